"""The board's data (``GET /api/scenarios/{id}/board``, ``POST .../board/check``) against the library's model.

The board must show the library's numbers: its frontier is :func:`tradetalks.bargain.frontier.pareto_frontier` of
the model, each frontier package is worth its point, the solutions and the real deal are the library's, evaluate
agrees with :func:`tradetalks.model.package_value`, and the broken constraints agree with
:func:`tradetalks.model.package_feasible`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.web_fixtures import ADMIN_TOKEN, KORUS_YAML
from tradetalks.api import Settings, create_app
from tradetalks.api.board import broken_constraints
from tradetalks.bargain.frontier import pareto_frontier
from tradetalks.model import build_model, package_feasible, package_value
from tradetalks.scenario.loader import load_scenario, load_scenario_text
from tradetalks.web.pages import PAGE_CSP

#: JSON numbers carry 6 significant digits (tradetalks.jsonable)
JSON_RTOL = 1e-5
#: absolute tolerance for utilities near zero, USD/yr
ABS_USD = 1.0
#: seconds a small background run may take in the test
RUN_TIMEOUT = 60.0
#: draws of the uncertainty run the tests start (small: the test checks plumbing, not the statistics)
TEST_DRAWS = 64
AUTH = {"authorization": f"Bearer {ADMIN_TOKEN}"}

KORUS_TEXT = KORUS_YAML.read_text(encoding="utf-8")
LOADED = load_scenario_text(KORUS_TEXT, "scenario.yaml")
MODEL = build_model(LOADED)
SCN = LOADED.scenario
PARTIES = list(MODEL.cs.parties)


@pytest.fixture(scope="module")
def app_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    db = tmp_path_factory.mktemp("board") / "s.db"
    with TestClient(create_app(Settings(db_url=f"sqlite:///{db}", admin_token=ADMIN_TOKEN))) as c:
        r = c.post("/api/scenarios", content=KORUS_TEXT, headers={"content-type": "application/yaml", **AUTH})
        assert r.status_code == 201, r.text
        yield c, r.json()["id"]


@pytest.fixture(scope="module")
def board(app_client: tuple[TestClient, str]) -> dict[str, Any]:
    c, sid = app_client
    r = c.get(f"/api/scenarios/{sid}/board", headers=AUTH)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def _pair(u: Any) -> list[float]:
    return [float(u[0]), float(u[1])]


def _close(a: Any, b: Any) -> bool:
    return bool(np.allclose(np.asarray(a, float), np.asarray(b, float), rtol=JSON_RTOL, atol=ABS_USD))


def test_board_frontier_is_the_librarys_exact_frontier(board: dict[str, Any]) -> None:
    lib = pareto_frontier(MODEL.utilities)
    want = lib.utilities[np.argsort(lib.utilities[:, 0], kind="stable")]
    got = np.array(board["frontier"]["utilities"])
    assert got.shape == want.shape
    assert _close(got, want)
    assert board["frontier"]["n_packages"] == pytest.approx(float(lib.n_packages), rel=JSON_RTOL)
    assert (np.diff(got[:, 0]) >= 0).all()  # sorted by the first party


def test_each_frontier_package_is_worth_its_point(board: dict[str, Any]) -> None:
    issues = board["issues"]
    pts, pkgs = board["frontier"]["utilities"], board["frontier"]["packages"]
    for k in range(0, len(pts), 37):  # a spread of points (each package_value costs a model evaluation)
        pkg = {iss["id"]: iss["options"][j]["id"] for iss, j in zip(issues, pkgs[k], strict=True)}
        assert package_feasible(MODEL, pkg)
        assert _close(_pair(package_value(MODEL, pkg)[1]), pts[k])


def test_agenda_has_every_issue_and_option_with_the_reports_labels(board: dict[str, Any]) -> None:
    assert [i["id"] for i in board["issues"]] == [i.id for i in SCN.issues]
    for got, iss in zip(board["issues"], SCN.issues, strict=True):
        assert got["batna"] == iss.batna and got["name"] == iss.name
        for op, want in zip(got["options"], iss.options, strict=True):
            assert op["id"] == want.id
            assert op["label"].startswith(want.label)
            if want.id == iss.batna:
                assert "no deal" in op["label"].lower()  # the report marks the no-deal option
    assert board["parties"][0]["id"] == PARTIES[0] and board["batna"]["package"] == {i.id: i.batna for i in SCN.issues}


def test_solutions_are_worth_their_utilities_and_nash_is_on_the_frontier(board: dict[str, Any]) -> None:
    names = [s["id"] for s in board["solutions"]]
    assert {"nash", "kalai_smorodinsky", "egalitarian", "utilitarian"} <= set(names)
    front = np.array(board["frontier"]["utilities"])
    for s in board["solutions"]:
        u = package_value(MODEL, s["package"])[1]
        assert _close(_pair(u), [s["utilities"][p] for p in PARTIES]), s["id"]
        assert package_feasible(MODEL, s["package"])
        assert (np.abs(front - _pair(u)).max(axis=1) <= ABS_USD + JSON_RTOL * np.abs(_pair(u)).max()).any(), s["id"]


def test_real_deal_is_the_observed_outcome_as_the_timeline_records_it(board: dict[str, Any]) -> None:
    deal = board["real_deal"]
    observed = load_scenario("korus-2025").observed
    assert observed is not None and deal["basis"] == "timeline"
    assert deal["package"] == {i: c.option for i, c in observed.package.items()}
    assert deal["date"] == observed.date.isoformat()
    assert _close([deal["utilities"][p] for p in PARTIES], _pair(package_value(MODEL, deal["package"])[1]))
    assert deal["feasible"] is package_feasible(MODEL, deal["package"])


def test_timeline_has_every_event_in_date_order(board: dict[str, Any]) -> None:
    rows = board["timeline"]
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)
    titles = {r["title"] for r in rows}
    assert all(e.title in titles for e in SCN.timeline)
    deals = [r for r in rows if r["settled"]]
    assert deals and all(s["text"] for r in deals for s in r["settled"])


def test_constraints_are_given_with_their_reason_and_in_words(board: dict[str, Any]) -> None:
    assert [c["id"] for c in board["constraints"]] == [c.id for c in SCN.constraints]
    for got, c in zip(board["constraints"], SCN.constraints, strict=True):
        assert got["reason"] == c.reason and got["kind"] == c.kind
        assert ("must be" if c.kind == "requires" else "cannot be") in got["text"]


def test_the_opening_view_frames_every_marked_point(board: dict[str, Any]) -> None:
    view = board["view"]
    marked = [s["utilities"] for s in board["solutions"]] + [board["real_deal"]["utilities"]]
    for u in marked:
        assert view["x"][0] < u[PARTIES[0]] < view["x"][1] and view["y"][0] < u[PARTIES[1]] < view["y"][1]


_ISSUES = [(iss.id, [op.id for op in iss.options]) for iss in SCN.issues]
packages = st.fixed_dictionaries({iid: st.sampled_from(opts) for iid, opts in _ISSUES})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pkg=packages)
def test_evaluate_and_check_agree_with_the_library(app_client: tuple[TestClient, str], pkg: dict[str, str]) -> None:
    c, sid = app_client
    r = c.post(f"/api/scenarios/{sid}/evaluate", json=pkg, headers=AUTH)
    ck = c.post(f"/api/scenarios/{sid}/board/check", json=pkg, headers=AUTH).json()
    pay, util = package_value(MODEL, pkg)
    feasible = package_feasible(MODEL, pkg)
    assert _close([ck["utilities"][p] for p in PARTIES], _pair(util))
    assert _close([p["payoff"] for p in ck["payoffs"]], pay)
    assert r.status_code == 200, r.text
    ev = r.json()
    assert _close([ev["utilities"][p] for p in PARTIES], _pair(util))
    assert _close([p["payoff"] for p in ev["payoffs"]], pay)
    assert ev["feasible"] is feasible
    assert [p["stakeholder"] for p in ev["payoffs"]] == [p["stakeholder"] for p in ck["payoffs"]]
    # only a package that breaks a constraint can lie beyond the frontier; both routes place it alike
    assert ev["frontier"]["beyond_frontier"] is ck["beyond_frontier"]
    assert not ck["beyond_frontier"] or not feasible
    assert ck["feasible"] is feasible
    assert (not ck["broken"]) is feasible
    for iid, opts in ck["forbidden"].items():  # a forbidden choice breaks the constraints it names
        for oid, ids in opts.items():
            moved = {**pkg, iid: oid}
            assert not package_feasible(MODEL, moved)
            assert set(ids) <= set(broken_constraints(SCN, moved))


@settings(max_examples=200, deadline=None)
@given(pkg=packages)
def test_broken_constraints_are_exactly_the_infeasible_packages(pkg: dict[str, str]) -> None:
    assert (not broken_constraints(SCN, pkg)) is package_feasible(MODEL, pkg)


def test_a_forbidden_choice_is_named_with_its_constraint(app_client: tuple[TestClient, str]) -> None:
    c, sid = app_client
    ck = c.post(f"/api/scenarios/{sid}/board/check", json={"auto_tariff": "a15"}, headers=AUTH).json()
    assert ck["broken"] == ["auto_cut_needs_investment"]
    assert ck["package"]["auto_tariff"] == "a15"  # shown as chosen, not silently moved back
    assert "auto_cut_needs_investment" in ck["forbidden"]["auto_tariff"]["a0"]
    ok = c.post(f"/api/scenarios/{sid}/board/check", json={"auto_tariff": "a15", "investment": "loans_guarantees_200"},
                headers=AUTH).json()
    assert ok["feasible"] and not ok["broken"]


def test_unknown_scenario_and_option_answer_the_error_envelope(app_client: tuple[TestClient, str]) -> None:
    c, sid = app_client
    r = c.get("/api/scenarios/nope/board", headers=AUTH)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = c.post(f"/api/scenarios/{sid}/board/check", json={"auto_tariff": "a99"}, headers=AUTH)
    assert r.status_code == 400 and "a15" in r.json()["error"]["fix"]


def _finish(c: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    r = c.post("/api/runs", json=body, headers=AUTH)
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        run: dict[str, Any] = c.get(f"/api/runs/{run_id}", headers=AUTH).json()
        if run["status"] not in ("queued", "running"):
            assert run["status"] == "succeeded", run
            return run
        time.sleep(0.1)
    raise AssertionError(f"run {run_id} did not finish in {RUN_TIMEOUT} s")


def test_uncertainty_bands_come_from_the_latest_finished_run(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(db_url=f"sqlite:///{tmp_path / 's.db'}", admin_token=ADMIN_TOKEN))) as c:
        sid = c.post("/api/scenarios", content=KORUS_TEXT,
                     headers={"content-type": "application/yaml", **AUTH}).json()["id"]
        first = c.get(f"/api/scenarios/{sid}/board", headers=AUTH).json()
        assert first["uncertainty"] is None and first["analysis"] is None
        assert first["uncertainty_run"]["body"] == {"scenario": sid, "version": 1, "kind": "uncertainty"}
        run = _finish(c, {"scenario": sid, "kind": "uncertainty", "options": {"draws": TEST_DRAWS, "seed": 7}})
        unc = c.get(f"/api/scenarios/{sid}/board", headers=AUTH).json()["uncertainty"]
        assert unc["run_id"] == run["id"] and unc["n_draws"] == TEST_DRAWS
        bands = {b["id"]: b["band"] for b in unc["bands"]}
        assert set(bands) == set(run["results"]["solutions"])
        for name, sol in run["results"]["solutions"].items():
            for p in PARTIES:
                assert bands[name][p] == {q: sol["gains"][p][q] for q in ("p05", "p50", "p95")}
                assert bands[name][p]["p05"] <= bands[name][p]["p50"] <= bands[name][p]["p95"]


def test_downloads_follow_the_routes_the_app_has(tmp_path: Path) -> None:
    app = create_app(Settings(db_url=f"sqlite:///{tmp_path / 's.db'}", admin_token=ADMIN_TOKEN))
    with TestClient(app) as c:
        sid = c.post("/api/scenarios", content=KORUS_TEXT,
                     headers={"content-type": "application/yaml", **AUTH}).json()["id"]
        run = _finish(c, {"scenario": sid, "kind": "analyze"})
        analysis = c.get(f"/api/scenarios/{sid}/board", headers=AUTH).json()["analysis"]
        assert analysis["run_id"] == run["id"]
        if "/api/runs/{run_id}/download/results.json" not in app.openapi()["paths"]:  # no downloads: no links
            assert analysis["downloads"] == []
            app.add_api_route("/api/runs/{run_id}/download/results.json", lambda run_id: {})
            app.add_api_route("/api/runs/{run_id}/download/csv/{name}", lambda run_id, name: {})
            app.openapi_schema = None  # described anew with the routes added
        else:  # the app has them (api/downloads.py): every link answers
            for d in analysis["downloads"]:
                r = c.get(d["href"], headers=AUTH)
                assert r.status_code == 200 and r.content, d
        links = {d["label"]: d["href"] for d in
                 c.get(f"/api/scenarios/{sid}/board", headers=AUTH).json()["analysis"]["downloads"]}
        assert links["results.json"] == f"/api/runs/{run['id']}/download/results.json"
        assert links["frontier.csv"] == f"/api/runs/{run['id']}/download/csv/frontier.csv"


def test_board_page_is_served_with_the_page_policy(app_client: tuple[TestClient, str]) -> None:
    c, sid = app_client
    r = c.get(f"/board/{sid}")
    assert r.status_code == 200 and r.headers["content-security-policy"] == PAGE_CSP
    assert f'data-scenario="{sid}"' in r.text and "/static/board.js" in r.text and "/static/plotly.min.js" in r.text
    assert "http://" not in r.text and "https://" not in r.text
    r = c.get('/board/"><script>alert(1)</script>')
    assert "<script>alert(1)" not in r.text  # the id is escaped into the page


def test_frontier_packages_and_solutions_are_placed_on_the_frontier(app_client: tuple[TestClient, str],
                                                                    board: dict[str, Any]) -> None:
    c, sid = app_client
    issues, pkgs = board["issues"], board["frontier"]["packages"]
    chosen = [{iss["id"]: iss["options"][j]["id"] for iss, j in zip(issues, pkgs[k], strict=True)}
              for k in range(0, len(pkgs), 97)]
    for pkg in chosen + [s["package"] for s in board["solutions"]]:
        place = c.post(f"/api/scenarios/{sid}/board/check", json=pkg, headers=AUTH).json()["place"]
        assert place == {"on_frontier": True, "distance": 0.0, "left_on_table": 0.0}, pkg
    batna = c.post(f"/api/scenarios/{sid}/board/check", json={}, headers=AUTH).json()["place"]
    assert not batna["on_frontier"] and batna["distance"] > 0 and batna["left_on_table"] >= batna["distance"]


def test_frontier_sum_is_bit_equal_to_the_frontier_points() -> None:
    from tradetalks.api.board import frontier_sum
    from tradetalks.api.evaluate import warm_model
    from tradetalks.model import decode_package

    warm = warm_model(LOADED)
    for k in range(0, len(warm.frontier.utilities), 13):
        got = frontier_sum(warm, decode_package(MODEL, warm.frontier.choices[k]))
        assert got is not None and np.array_equal(got, warm.frontier.utilities[k])
    assert frontier_sum(warm, {"auto_tariff": "a15"}) is None  # breaks auto_cut_needs_investment


def test_board_reads_follow_the_scenarios_read_rule(app_client: tuple[TestClient, str]) -> None:
    """Without a token, an unpublished scenario's board is refused once the service has tokens (api/auth.py)."""
    import importlib.util

    c, sid = app_client
    r = c.get(f"/api/scenarios/{sid}/board")
    k = c.post(f"/api/scenarios/{sid}/board/check", json={})
    if importlib.util.find_spec("tradetalks.api.auth") is None:  # a service without tokens: reads are open
        assert r.status_code == 200 and k.status_code == 200
    else:
        scenario = c.get(f"/api/scenarios/{sid}")
        assert r.status_code == k.status_code == scenario.status_code
        if scenario.status_code != 200:
            assert r.json()["error"]["code"] == scenario.json()["error"]["code"]


def test_frontier_options_decode_every_point_as_decode_package_does() -> None:
    from tradetalks.api.board import frontier_options
    from tradetalks.api.evaluate import warm_model
    from tradetalks.model import decode_package

    warm = warm_model(LOADED)
    got = frontier_options(warm)
    position = {iss.id: {op.id: j for j, op in enumerate(iss.options)} for iss in SCN.issues}
    for k in range(len(got)):
        pkg = decode_package(MODEL, warm.frontier.choices[k])
        assert got[k].tolist() == [position[iss.id][pkg[iss.id]] for iss in SCN.issues]
