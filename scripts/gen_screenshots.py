"""Regenerate the README's dashboard screenshots (``docs/img/board-*.png``) from a live service.

Starts ``tradetalks`` on a free loopback port with a temporary SQLite store, stores the built-in scenario, runs a
small uncertainty study on it (so the frontier chart shows its bands), then photographs the board in headless
Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright; nothing is downloaded)::

    PYTHONPATH=src .venv/bin/python scripts/gen_screenshots.py            # writes docs/img/board-*.png
    PYTHONPATH=src .venv/bin/python scripts/gen_screenshots.py --out /tmp/shots --draws 200

``tests/test_browser_board.py`` runs :func:`capture` against its own live service on every test run.
"""

from __future__ import annotations

import argparse
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KORUS_YAML = ROOT / "src" / "tradetalks" / "scenario" / "builtin" / "korus-2025.yaml"
#: the screenshots: file name → window width, px (height 900); the timeline is its section only (narrower)
SHOTS = {"board-1366.png": 1366, "board-timeline-1366.png": 1366, "board-constraint-1366.png": 1366,
         "board-800.png": 800}
HEIGHT = 900
#: ms a page may take to show what is waited for
WAIT_MS = 30_000


def _ready(page: Any) -> None:
    page.locator("#board[data-ready]:not([data-pending])").wait_for(timeout=WAIT_MS)


def _nash(page: Any) -> None:
    page.get_by_role("button", name="Nash", exact=True).click()
    _ready(page)


def capture(browser: Any, base_url: str, scenario_id: str, out_dir: Path, token: str | None = None) -> list[Path]:
    """Photograph the board of ``scenario_id`` served at ``base_url`` into ``out_dir`` (one page load, then its
    states and widths); the files written, in :data:`SHOTS` order."""
    out_dir.mkdir(parents=True, exist_ok=True)
    suffix = f"?token={token}" if token else ""
    context = browser.new_context(viewport={"width": SHOTS["board-1366.png"], "height": HEIGHT},
                                  device_scale_factor=1)
    page = context.new_page()

    def shot(path: Path) -> None:
        page.mouse.move(0, HEIGHT - 1)  # no hover highlight where the last click was
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(400)  # plotly's transitions and resizes
        page.screenshot(path=str(path))

    try:
        page.goto(f"{base_url}/board/{scenario_id}{suffix}")
        _ready(page)
        page.check("#opt-auto_tariff-a15")  # from no deal, a choice a constraint forbids: shown with its reason
        _ready(page)
        page.locator("#broken li").first.wait_for(timeout=WAIT_MS)
        shot(out_dir / "board-constraint-1366.png")
        _nash(page)
        shot(out_dir / "board-1366.png")
        page.locator("#timeline-section").screenshot(path=str(out_dir / "board-timeline-1366.png"))
        page.set_viewport_size({"width": SHOTS["board-800.png"], "height": HEIGHT})
        shot(out_dir / "board-800.png")
    finally:
        context.close()
    return [out_dir / name for name in SHOTS]


def _serve(db: Path, token: str) -> tuple[Any, str]:
    import uvicorn

    from tradetalks.api import Settings, create_app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(create_app(Settings(db_url=f"sqlite:///{db}", admin_token=token)),
                                           host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the service did not start within 30 s")
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--draws", type=int, default=500, help="draws of the uncertainty run (0: none)")
    args = parser.parse_args()

    import httpx
    from playwright.sync_api import sync_playwright

    token = "screenshot-admin-token"
    tmp = Path(tempfile.mkdtemp(prefix="tt-shots-"))
    server, url = _serve(tmp / "store.db", token)
    auth = {"authorization": f"Bearer {token}"}
    try:
        r = httpx.post(f"{url}/api/scenarios", content=KORUS_YAML.read_text(encoding="utf-8"),
                       headers={"content-type": "application/yaml", **auth})
        r.raise_for_status()
        sid = r.json()["id"]
        if args.draws:
            run = httpx.post(f"{url}/api/runs", json={"scenario": sid, "kind": "uncertainty",
                                                      "options": {"draws": args.draws}}, headers=auth).json()
            while httpx.get(f"{url}/api/runs/{run['id']}", headers=auth).json()["status"] in ("queued", "running"):
                time.sleep(0.5)
        exe = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox", "--disable-gpu"])
            try:
                for path in capture(browser, url, sid, args.out, token):
                    print(path)
            finally:
                browser.close()
    finally:
        server.should_exit = True
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
