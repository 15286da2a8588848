"""The rooms pages in a real browser (issue #10 §7): an owner opens a room and gets one link per role; two
delegates in one room, each in its own browser context, see only their own numbers (the other side's inputs and
utilities are nowhere in the page's text, DOM or API answers), at 1366 and 800 px, with the keyboard only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.web_fixtures import ADMIN_TOKEN, NARROW, WIDE, Tab
from tests.web_fixtures import open_tab as shared_open_tab

httpx = pytest.importorskip("httpx")

from tests.test_rooms import B_SECRET, ROOM_YAML  # noqa: E402
from tradetalks.api.evaluate import warm_model  # noqa: E402
from tradetalks.model import package_value  # noqa: E402
from tradetalks.scenario.loader import load_scenario_text  # noqa: E402

pytestmark = pytest.mark.browser

#: Alpha's private input in these tests (Beta's is tests.test_rooms.B_SECRET)
A_SECRET = 2.71828
#: the BATNA package of the toy scenario (what the owner's package form starts at)
BATNA = {"widget_tariff": "t25", "transfer": "none"}
#: widest the page may be beyond the window before it counts as horizontal overflow, px
OVERFLOW_SLACK_PX = 1
#: most Tab presses to walk through a page's controls
MAX_TABS = 80


def open_tab(browser: Any, size: tuple[int, int]) -> Tab:
    """A tab that keeps every API answer it received (to check nothing of the other side reached it)."""
    return shared_open_tab(browser, size, keep_answers=True)


@pytest.fixture
def tabs(browser: Any) -> Iterator[list[Tab]]:
    made: list[Tab] = []
    yield made
    for t in made:
        t.context.close()
    errors = [e for t in made for e in t.errors]
    assert not errors, f"the pages logged errors: {errors}"


def api(live_server: Any, method: str, path: str, token: str = ADMIN_TOKEN, headers: dict[str, str] | None = None,
        **kw: Any) -> Any:
    r = httpx.request(method, f"{live_server.url}{path}",
                      headers={"authorization": f"Bearer {token}", **(headers or {})}, timeout=30, **kw)
    assert r.status_code < 300, r.text
    return r.json()


@pytest.fixture(scope="module")
def scenario_id(live_server: Any) -> str:
    return str(api(live_server, "POST", "/api/scenarios", content=ROOM_YAML.encode(),
                   headers={"content-type": "application/yaml"})["id"])


def usd(x: float) -> str:
    """A utility as static/room.js writes it."""
    if x == 0:
        return "$0/yr"
    a = abs(x)
    s = f"${a / 1e9:.2f}bn" if a >= 1e9 else f"${a / 1e6:.1f}m"
    return f"{'−' if x < 0 else '+'}{s}/yr"


def spellings(x: float) -> list[str]:
    """How a number could show up in a page or an API answer."""
    a = abs(x)
    return [usd(x), repr(x), f"{x:.6g}", f"{x:.4g}", f"{a / 1e6:.1f}m", f"{a / 1e9:.2f}bn", str(round(x))]


def utilities(package: dict[str, str]) -> tuple[float, float]:
    joint = warm_model(load_scenario_text(ROOM_YAML, "room.yaml", overrides={"w_exp": A_SECRET, "w_prod": B_SECRET}))
    _, u = package_value(joint.model, package)
    return float(u[0]), float(u[1])


def everything(tab: Tab) -> str:
    """The page's DOM (attributes and input values included), its text, and every API answer it received."""
    values = tab.page.eval_on_selector_all("input", "els => els.map(e => e.value).join(' ')")
    return "\n".join([tab.page.content(), tab.page.inner_text("body"), values, *tab.answers])


def assert_only_own(tab: Tab, own: list[float], others: list[float], other_input: float) -> None:
    seen = everything(tab)
    for x in own:  # the page shows its own numbers as the test spells them (so the check below can fail)
        assert usd(x) in seen, (usd(x), tab.page.inner_text("body"))
    leaks = [s for x in others for s in spellings(x) if s in seen]
    leaks += [s for s in (repr(other_input), f"{other_input:.6g}") if s in seen]
    assert not leaks, leaks


def no_overflow(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert width <= OVERFLOW_SLACK_PX, f"the page overflows by {width} px"


def tab_reach(page: Any) -> set[str]:
    """Ids of the elements Tab reaches from the top of the page (each with a visible focus style)."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.locator("body").focus()
    seen: set[str] = set()
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => { const e = document.activeElement;
            const s = getComputedStyle(e); return [e.id, s.outlineStyle !== 'none' && s.outlineWidth !== '0px']; }""")
        if info[0]:
            assert info[1], f"#{info[0]} has no visible focus"
            seen.add(info[0])
    return seen


def visible_controls(page: Any) -> set[str]:
    return set(page.evaluate("""() => [...document.querySelectorAll('main button, main input, main select, main a')]
        .filter(e => e.offsetParent !== null && !e.disabled && e.id).map(e => e.id)"""))


def labelled(page: Any) -> list[str]:
    """Ids of visible form controls without a label."""
    return list(page.evaluate("""() => [...document.querySelectorAll('main input, main select')]
        .filter(e => e.offsetParent !== null && !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
        .map(e => e.id || e.outerHTML)"""))


def test_the_owner_opens_a_room_and_gets_one_link_per_role(live_server: Any, scenario_id: str, browser: Any,
                                                         tabs: list[Tab]) -> None:
    tab = open_tab(browser, NARROW)
    tabs.append(tab)
    page = tab.page
    page.goto(live_server.at("/rooms"))
    page.locator(f"#scenario option[value='{scenario_id}']").wait_for(state="attached")
    no_overflow(page)
    assert not labelled(page)
    page.locator("#scenario").focus()
    page.select_option("#scenario", scenario_id)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "open-room"
    page.keyboard.press("Enter")
    page.locator("#opened").wait_for()
    links = {el.get_attribute("data-role"): el.input_value() for el in page.locator("#links input").all()}
    assert set(links) == {"Owner", "Delegate of A", "Delegate of B", "Viewer"}
    assert len({v.partition("?token=")[2] for v in links.values()}) == 4
    no_overflow(page)
    assert not labelled(page)
    missing = visible_controls(page) - tab_reach(page)
    assert not missing, f"not reachable with Tab: {missing}"
    # the delegate's link opens the room as that delegate
    page.goto(links["Delegate of B"])
    page.locator("#delegate-inputs:not([hidden])").wait_for()
    assert "delegate of Beta" in page.inner_text("#room-state")


def test_two_delegates_see_only_their_own_numbers(live_server: Any, scenario_id: str, browser: Any,
                                                 tabs: list[Tab]) -> None:
    room = api(live_server, "POST", "/api/rooms", json={"scenario_id": scenario_id})
    rid, toks = room["id"], room["tokens"]
    a, b, owner = open_tab(browser, WIDE), open_tab(browser, NARROW), open_tab(browser, WIDE)
    tabs.extend([a, b, owner])
    for tab, token in ((a, toks["delegates"]["A"]), (b, toks["delegates"]["B"]), (owner, toks["owner"])):
        tab.page.goto(live_server.at(f"/rooms/{rid}", token=token))
        tab.page.locator("#room-state:has-text('you are')").wait_for()

    # each delegate types its private input and saves it with the keyboard
    for tab, fact, value in ((a, "w_exp", A_SECRET), (b, "w_prod", B_SECRET)):
        field_ = tab.page.locator(f"#fact-{fact}")
        field_.focus()
        field_.fill(str(value))
        tab.page.keyboard.press("Enter")  # submits the form
        tab.page.locator("#inputs-status:has-text('Saved')").wait_for()
        assert tab.page.locator(f"#fact-{'w_prod' if fact == 'w_exp' else 'w_exp'}").count() == 0

    # the owner tables its own package (the no-deal package the form starts at) with the keyboard
    op = owner.page
    op.locator("#owner-table:not([hidden])").wait_for()
    assert not labelled(op)
    op.locator("#table-package").focus()
    op.keyboard.press("Enter")
    op.locator("#current-h:has-text('Proposal 1: open')").wait_for()

    # both accept it, one with Enter and one with Space; the room agrees
    for tab, key in ((a, "Enter"), (b, " ")):
        tab.page.click("#refresh")
        tab.page.locator("#decide:not([hidden])").wait_for()
        tab.page.locator("#accept").focus()
        tab.page.keyboard.press(key)
        tab.page.locator("#decide[hidden]").wait_for(state="attached")
    op.click("#refresh")
    op.locator("#owner-improve:not([hidden])").wait_for()

    # post-settlement: the mediator's improvement, each delegate sees its own gain only
    op.select_option("#improve-rule", "nash")
    op.locator("#propose-improvement").focus()
    op.keyboard.press("Enter")
    op.locator("#current-h:has-text('Improvement 2: open')").wait_for()
    imp = api(live_server, "GET", f"/api/rooms/{rid}/view", token=toks["viewer"])["history"][-1]["package"]
    (a_deal, b_deal), (a_imp, b_imp) = utilities(BATNA), utilities(imp)
    assert a_imp > a_deal and b_imp > b_deal
    for tab in (a, b):
        tab.page.click("#refresh")
        tab.page.locator("#u-gain").wait_for()
    assert_only_own(a, own=[a_imp, a_imp - a_deal], others=[b_imp, b_imp - b_deal], other_input=B_SECRET)
    assert_only_own(b, own=[b_imp, b_imp - b_deal], others=[a_imp, a_imp - a_deal], other_input=A_SECRET)
    # the owner's page holds no utility and no input of either side
    leaks = [s for x in (a_imp, b_imp, a_imp - a_deal, b_imp - b_deal) for s in spellings(x) if s in everything(owner)]
    assert not leaks and str(B_SECRET) not in everything(owner) and str(A_SECRET) not in everything(owner)

    # each page shows only its role's controls
    assert op.locator("#accept").is_hidden() and op.locator("#delegate-inputs").is_hidden()
    for tab in (a, b):
        assert tab.page.locator("#owner-share").is_hidden() and tab.page.locator("#owner-improve").is_hidden()
        assert tab.page.locator("#accept").is_visible()  # the improvement awaits its decision

    # keyboard: every visible control of a delegate's and the owner's page is reached with Tab, at both widths
    for tab in (a, b, owner):
        no_overflow(tab.page)
        missing = visible_controls(tab.page) - tab_reach(tab.page)
        assert not missing, f"not reachable with Tab: {missing}"
        assert not labelled(tab.page)


def test_a_published_room_reads_without_a_token_and_shows_no_numbers(live_server: Any, scenario_id: str,
                                                                     browser: Any, tabs: list[Tab]) -> None:
    room = api(live_server, "POST", "/api/rooms", json={"scenario_id": scenario_id})
    rid, toks = room["id"], room["tokens"]
    api(live_server, "PUT", f"/api/rooms/{rid}/inputs", token=toks["delegates"]["B"],
        json={"overrides": {"w_prod": B_SECRET}})
    api(live_server, "POST", f"/api/rooms/{rid}/proposals", token=toks["owner"], json={"rule": "nash"})
    owner = open_tab(browser, WIDE)
    tabs.append(owner)
    owner.page.goto(live_server.at(f"/rooms/{rid}", token=toks["owner"]))
    owner.page.locator("#publish:has-text('Publish')").focus()
    owner.page.keyboard.press("Enter")
    owner.page.locator("#publish:has-text('Unpublish')").wait_for()
    reader = open_tab(browser, NARROW)
    tabs.append(reader)
    reader.page.goto(live_server.at(f"/rooms/{rid}", token=None))
    reader.page.locator("#room-state:has-text('public reader')").wait_for()
    assert reader.page.locator("#history-table tbody tr").count() == 1
    assert reader.page.locator("#delegate-utilities").is_hidden() and reader.page.locator("#owner-share").is_hidden()
    seen = everything(reader)
    assert "utilit" not in "\n".join(reader.answers) and str(B_SECRET) not in seen
    no_overflow(reader.page)
