"""A live service on loopback and a Playwright browser (Debian's Chromium), for the dashboard's browser tests.

The fixtures are registered for every test module (``pytest_plugins`` in ``tests/conftest.py``).

``live_server`` is a running ``tradetalks`` app (SQLite in a temporary folder, ``admin_token=ADMIN_TOKEN``) on a
free 127.0.0.1 port, stopped at the end of the module; ``page`` is a fresh browser tab (1366×900) whose console
errors and uncaught exceptions fail the test. No browser is downloaded: Playwright drives ``/usr/bin/chromium``
(or the first Chromium on the PATH); without one the test skips locally and fails under ``CI=true``.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser import chromium_path
from tests.conftest import skip_or_fail

#: the service's admin token in browser tests (reads and writes everything)
ADMIN_TOKEN = "test-admin-token-0123456789abcdef"
#: the built-in scenario's YAML text, as the tests upload it
KORUS_YAML = (Path(__file__).resolve().parents[1] / "src" / "tradetalks" / "scenario" / "builtin"
              / "korus-2025.yaml")
#: window sizes the dashboard must work at (issue #10 §3)
WIDE, NARROW = (1366, 900), (800, 900)
#: how long a page may take to show what a test waits for, ms
UI_TIMEOUT_MS = 15_000


@dataclass(frozen=True)
class LiveServer:
    """A running service: its base URL (``http://127.0.0.1:PORT``)."""

    url: str

    def at(self, path: str, *, token: str | None = ADMIN_TOKEN) -> str:
        """The address of ``path``, carrying ``token`` the way ``tradetalks serve`` prints it."""
        sep = "&" if "?" in path else "?"
        return f"{self.url}{path}{sep}token={token}" if token else f"{self.url}{path}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app served by uvicorn in a thread on a free loopback port; stopped when the module's tests are done."""
    uvicorn = pytest.importorskip("uvicorn")
    from tradetalks.api import Settings, create_app

    db = tmp_path_factory.mktemp("live") / "store.db"
    app = create_app(Settings(db_url=f"sqlite:///{db}", admin_token=ADMIN_TOKEN))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the live server did not start within 20 s")
        time.sleep(0.02)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium driven by Playwright (never a downloaded browser; nothing resolves off loopback)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("Playwright for Python is not installed (it is in the `dev` extra: pip install -e '.[dev]')")
    exe = Path("/usr/bin/chromium") if Path("/usr/bin/chromium").exists() else None
    found = str(exe) if exe else chromium_path()
    if found is None:
        skip_or_fail("Chromium not found (install Debian's 'chromium'; `make test` does it when run as root)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=found, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--host-resolver-rules=MAP * ~NOTFOUND, "
                                    "EXCLUDE 127.0.0.1"])
        try:
            yield b
        finally:
            b.close()


@dataclass
class Tab:
    """A browser context with one page, the errors it logged and (if asked) every API answer it received."""

    context: Any
    page: Any
    errors: list[str] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)


def open_tab(browser: Any, size: tuple[int, int] = WIDE, *, expected_http: tuple[int, ...] = (),
             keep_answers: bool = False, **context_options: Any) -> Tab:
    """A new context (own sessionStorage) with one page of ``size``. Console errors and uncaught exceptions are
    collected in ``Tab.errors``, except Chromium's line for an HTTP status in ``expected_http`` (an error the test
    provokes on purpose, e.g. 422 for a bad scenario); with ``keep_answers`` the bodies of ``/api/`` answers are
    kept in ``Tab.answers`` (to check what a page was sent)."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, **context_options)
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    tab = Tab(context, page)
    expected = [f"the server responded with a status of {code}" for code in expected_http]

    def console(m: Any) -> None:
        if m.type == "error" and not any(e in m.text for e in expected):
            tab.errors.append(f"console.error: {m.text}")

    page.on("console", console)
    page.on("pageerror", lambda e: tab.errors.append(f"uncaught: {e}"))
    if keep_answers:
        def keep(response: Any) -> None:
            if "/api/" in response.url:
                with contextlib.suppress(Exception):  # a body the browser dropped (navigation): nothing to check
                    tab.answers.append(response.text())

        page.on("response", keep)
    return tab


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A new tab at 1366×900 in its own context (own sessionStorage); console errors fail the test."""
    tab = open_tab(browser)
    try:
        yield tab.page
    finally:
        tab.context.close()
    assert not tab.errors, f"the page logged errors: {tab.errors}"
