"""The board page in a real browser (Playwright on Debian's Chromium): choosing options moves both sides' utilities
to the library's values, a forbidden choice shows its constraint, no horizontal overflow at 1366 and 800 px, a
keyboard-only path, the uncertainty run button and bands, and the README's screenshots regenerate."""

from __future__ import annotations

import importlib.util
import json
import struct
import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
import httpx

from tests.web_fixtures import ADMIN_TOKEN, KORUS_YAML, NARROW, WIDE
from tradetalks.model import build_model, package_value
from tradetalks.scenario.loader import load_scenario_text

pytestmark = pytest.mark.browser

#: JSON numbers carry 6 significant digits (tradetalks.jsonable)
JSON_RTOL = 1e-5
#: absolute tolerance near zero, USD/yr
ABS_USD = 1.0
#: key presses allowed to reach the agenda from the top of the page
MAX_TABS = 40
#: draws of the uncertainty run the button starts in the test (the button asks for the library's default)
TEST_DRAWS = 64
#: ms an uncertainty run of TEST_DRAWS may take, queued behind nothing, on a busy machine
RUN_WAIT_MS = 60_000
AUTH = {"authorization": f"Bearer {ADMIN_TOKEN}"}
LOADED = load_scenario_text(KORUS_YAML.read_text(encoding="utf-8"), "scenario.yaml")
MODEL = build_model(LOADED)
PARTIES = list(MODEL.cs.parties)
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sid(live_server: Any) -> str:
    r = httpx.post(f"{live_server.url}/api/scenarios", content=KORUS_YAML.read_text(encoding="utf-8"),
                   headers={"content-type": "application/yaml", **AUTH})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _open(page: Any, live_server: Any, sid: str) -> None:
    page.goto(live_server.at(f"/board/{sid}"))
    _settled(page)


def _settled(page: Any) -> None:
    page.locator("#board[data-ready]:not([data-pending])").wait_for()


def _board_package(page: Any) -> dict[str, str]:
    pairs = page.locator("#agenda input[type=radio]:checked").evaluate_all(
        "els => els.map(e => [e.dataset.issue, e.value])")
    return dict(pairs)


def _shown_utilities(page: Any) -> list[float]:
    return [float(page.locator(f"#score-p{k} .score-value").get_attribute("data-value")) for k in (0, 1)]


def _assert_library_values(page: Any) -> None:
    pkg = _board_package(page)
    pay, util = package_value(MODEL, pkg)
    assert _shown_utilities(page) == pytest.approx([float(util[0]), float(util[1])], rel=JSON_RTOL, abs=ABS_USD)
    shown = [float(v) for v in page.locator("#stakeholders tbody td[data-value]").evaluate_all(
        "els => els.map(e => e.dataset.value)")]
    assert shown == pytest.approx([float(v) for v in pay], rel=JSON_RTOL, abs=ABS_USD)
    # the package's point on the chart is at the same utilities ($bn/yr)
    x, y = page.locator("#frontier-chart").evaluate("d => [d.data.at(-1).x[0], d.data.at(-1).y[0]]")
    assert [x * 1e9, y * 1e9] == pytest.approx([float(util[0]), float(util[1])], rel=JSON_RTOL, abs=ABS_USD)


def test_choosing_options_moves_both_utilities_to_the_librarys_values(page: Any, live_server: Any, sid: str) -> None:
    _open(page, live_server, sid)
    assert _shown_utilities(page) == [0.0, 0.0]  # the board opens at the BATNA
    assert page.locator("#agenda fieldset").count() == len(LOADED.scenario.issues)
    before = _shown_utilities(page)
    page.check("#opt-investment-loans_guarantees_200")
    _settled(page)
    page.check("#opt-auto_tariff-a15")
    _settled(page)
    assert _board_package(page)["auto_tariff"] == "a15"
    assert _shown_utilities(page) != before
    _assert_library_values(page)
    assert page.locator("#broken li").count() == 0  # both choices together respect the constraints
    page.get_by_role("button", name="Nash", exact=True).click()
    _settled(page)
    _assert_library_values(page)
    assert "on the Pareto frontier" in page.locator("#score-place").inner_text()
    assert "#p=" in page.url  # the package is in the address, to share
    span = "d => d.layout.xaxis.range[1] - d.layout.xaxis.range[0]"
    opening = page.locator("#frontier-chart").evaluate(span)
    page.get_by_role("button", name="Whole frontier").click()
    assert page.locator("#frontier-chart").evaluate(span) > opening
    assert page.get_by_role("button", name="Whole frontier").get_attribute("aria-pressed") == "true"
    page.set_viewport_size({"width": NARROW[0], "height": NARROW[1]})  # the chart shrinks with the window
    chart, box = page.locator("#frontier-chart .main-svg").first, page.locator("#frontier-chart")
    deadline = time.monotonic() + 5
    while chart.bounding_box()["width"] > box.bounding_box()["width"] + 1 and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert chart.bounding_box()["width"] <= box.bounding_box()["width"] + 1
    assert _overflow(page) <= 0


def _overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def test_keyboard_only_at_800_px_a_forbidden_choice_and_no_overflow_at_both_widths(page: Any, live_server: Any,
                                                                                   sid: str) -> None:
    page.set_viewport_size({"width": NARROW[0], "height": NARROW[1]})  # opened on an 800 px window
    _open(page, live_server, sid)
    assert _overflow(page) <= 0
    unlabelled = page.locator("#board input, #board button").evaluate_all(
        "els => els.filter(e => !(e.labels && e.labels.length) && !e.textContent.trim()"
        " && !e.getAttribute('aria-label')).map(e => e.outerHTML)")
    assert unlabelled == []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "issue-auto_tariff":
            break
    else:
        pytest.fail(f"the agenda was not reached with {MAX_TABS} Tab presses")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")  # focus is visible
    page.keyboard.press("ArrowDown")  # arrows move within the radio group and choose: a15, which a constraint forbids
    _settled(page)
    assert _board_package(page)["auto_tariff"] == "a15"
    assert "breaks 1 constraint" in page.locator("#score-live").inner_text()  # announced (aria-live)
    assert page.locator("#score-live").get_attribute("aria-live") == "polite"
    item = page.locator('#broken li[data-constraint="auto_cut_needs_investment"]')
    reason = next(c.reason for c in LOADED.scenario.constraints if c.id == "auto_cut_needs_investment")
    assert reason in item.inner_text()  # the constraint is shown with its reason ...
    assert page.is_checked("#opt-auto_tariff-a15") and page.is_checked("#opt-investment-none")  # ... not applied
    assert "auto_cut_needs_investment" in page.locator("#why-auto_tariff-a15").inner_text()
    _assert_library_values(page)  # its values are still the library's
    assert _overflow(page) <= 0  # long constraint text: still no overflow
    page.keyboard.press("ArrowUp")
    _settled(page)
    assert _board_package(page)["auto_tariff"] == "a25"
    assert _shown_utilities(page) == [0.0, 0.0] and page.locator("#broken li").count() == 0
    # a whole package from the keyboard: Shift+Tab back to the preset buttons, Enter on "Real deal"
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.textContent") == "Real deal":
            break
    else:
        pytest.fail("the 'Real deal' button was not reached with the keyboard")
    page.keyboard.press("Enter")
    _settled(page)
    _assert_library_values(page)
    chart = page.locator("#frontier-chart .main-svg").first
    narrow = chart.bounding_box()["width"]
    assert narrow <= page.locator("#frontier-chart").bounding_box()["width"] + 1
    page.set_viewport_size({"width": WIDE[0], "height": WIDE[1]})
    deadline = time.monotonic() + 5
    while chart.bounding_box()["width"] <= narrow and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert chart.bounding_box()["width"] > narrow  # the chart resizes with the window
    assert _overflow(page) <= 0


def test_uncertainty_button_starts_a_run_and_its_bands_appear(page: Any, live_server: Any, sid: str) -> None:
    _open(page, live_server, sid)
    box = page.locator("#uncertainty")
    assert "No uncertainty run yet" in box.inner_text()
    sent: list[dict[str, Any]] = []

    def fewer_draws(route: Any) -> None:  # what the button sends, with few draws so the test stays short
        body = json.loads(route.request.post_data)
        sent.append(body)
        route.continue_(post_data=json.dumps({**body, "options": {"draws": TEST_DRAWS, "seed": 3}}))

    page.route("**/api/runs", fewer_draws)
    page.focus("#start-uncertainty")
    page.keyboard.press("Enter")
    box.filter(has_text="Uncertainty bands").wait_for(timeout=RUN_WAIT_MS)
    assert sent == [{"scenario": sid, "version": 1, "kind": "uncertainty"}]
    runs = httpx.get(f"{live_server.url}/api/runs?scenario={sid}", headers=AUTH).json()["runs"]
    assert [r["kind"] for r in runs] == ["uncertainty"] and runs[0]["status"] == "succeeded"
    assert runs[0]["id"] in box.inner_text() and f"{TEST_DRAWS} draws" in box.inner_text()
    names = page.locator("#frontier-chart").evaluate("d => d.data.map(t => t.name)")
    assert "Nash: 5–95 % of draws" in names and "Real deal" in names and "BATNA (no deal)" in names
    _settled(page)
    _assert_library_values(page)
    # the latest analysis: none yet, a button starts one, then its downloads (or, without download routes, its JSON)
    page.unroute("**/api/runs")
    downloads = page.locator("#downloads-body")
    assert "No finished analysis" in downloads.inner_text()
    page.click("#start-analysis")
    downloads.locator("a").first.wait_for(timeout=RUN_WAIT_MS)  # links appear when the run has finished
    assert "Run " in downloads.inner_text()
    if downloads.locator("ul a").count():
        with page.expect_download() as got:
            downloads.get_by_text("frontier.csv").click()
        assert got.value.suggested_filename == "frontier.csv"
    else:
        href = downloads.locator("a").first.get_attribute("href")
        assert href is not None and href.startswith("/api/runs/")


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", head[16:24])
    return int(w), int(h)


def test_the_readmes_screenshots_regenerate(browser: Any, live_server: Any, sid: str, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("gen_screenshots", ROOT / "scripts" / "gen_screenshots.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    written = gen.capture(browser, live_server.url, sid, tmp_path, ADMIN_TOKEN)
    assert [p.name for p in written] == list(gen.SHOTS)
    for p in written:
        width = _png_size(p)[0]
        if "timeline" in p.name:  # a section of the page
            assert 0.9 * gen.SHOTS[p.name] <= width <= gen.SHOTS[p.name], p.name
        else:
            assert width == gen.SHOTS[p.name], p.name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in gen.SHOTS:  # the README shows every screenshot, and the committed file exists
        assert f"docs/img/{name}" in readme
        assert (ROOT / "docs" / "img" / name).exists()
