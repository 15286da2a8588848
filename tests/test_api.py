"""The web service (tradetalks.api) in-process: scenarios, the error envelope, package evaluation, runs."""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import under_ci
from tests.web_fixtures import ADMIN_TOKEN

#: the service extra (`pip install 'tradetalks[serve]'`, part of `make test`): locally its absence skips these tests,
#: under CI the import below fails the run
if not under_ci() and any(importlib.util.find_spec(m) is None for m in ("fastapi", "httpx")):
    pytest.skip("the service extra is not installed (pip install 'tradetalks[serve]')", allow_module_level=True)

from fastapi.testclient import TestClient

from tradetalks.api import Settings, create_app
from tradetalks.api.jobs import RunManager
from tradetalks.api.middleware import SECURITY_HEADERS
from tradetalks.errors import ScenarioError
from tradetalks.model import build_model, package_value
from tradetalks.scenario import load_scenario
from tradetalks.studies.analyze import analyze

DATA = Path(__file__).parent / "data"
TOY = (DATA / "toy.yaml").read_text(encoding="utf-8")
TOY_UNCERTAIN = (DATA / "toy-uncertain.yaml").read_text(encoding="utf-8")
#: utilities from the API against the library's, USD/yr: the API rounds to 6 significant digits (jsonable)
REL_TOL = 1e-5
#: seconds a test waits for a background run at most
RUN_TIMEOUT = 60.0
ENVELOPE_KEYS = {"code", "message", "fix", "problems"}


def make_client(tmp_path: Path, **settings: Any) -> TestClient:
    """A client of a new app that sends the admin token (who may do what is tests/test_auth.py's); the built-in
    scenarios are not stored unless ``seed_builtins=True``."""
    settings = {"admin_token": ADMIN_TOKEN, "seed_builtins": False, **settings}
    return TestClient(create_app(Settings(db_url=f"sqlite:///{tmp_path / 'api.db'}", **settings)),
                      raise_server_exceptions=False, headers={"authorization": f"Bearer {ADMIN_TOKEN}"})


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path) as c:
        yield c


def post_yaml(client: TestClient, text: str, url: str = "/api/scenarios", method: str = "POST") -> Any:
    return client.request(method, url, content=text.encode(), headers={"content-type": "application/yaml"})


def create(client: TestClient, text: str = TOY) -> str:
    r = post_yaml(client, text)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def assert_envelope(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == ENVELOPE_KEYS, body
    assert body["error"]["code"] == code and body["error"]["message"]
    for name, value in SECURITY_HEADERS:
        assert r.headers[name.decode()] == value.decode()
    return dict(body["error"])


def wait_finished(client: TestClient, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}").json()
        if run["status"] in ("succeeded", "failed", "cancelled"):
            return dict(run)
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish within {RUN_TIMEOUT} s")


# -- the error envelope ---------------------------------------------------------------------------------------------
def test_every_failure_answers_with_one_envelope(tmp_path: Path) -> None:
    with make_client(tmp_path, max_upload_bytes=2_000) as client:
        assert assert_envelope(client.get("/api/scenarios/nope"), 404, "not_found")["fix"]
        assert_envelope(client.get("/api/no-such-route"), 404, "not_found")
        assert_envelope(client.delete("/api/scenarios"), 405, "method_not_allowed")
        bad = assert_envelope(post_yaml(client, "schema_version: 1\nid: x\n"), 422, "invalid_scenario")
        assert bad["problems"] and all({"line", "path", "message", "fix"} <= set(p) for p in bad["problems"])
        big = assert_envelope(post_yaml(client, TOY), 413, "too_large")
        assert "2,000 bytes" in big["message"] and "max_upload_bytes" in big["message"]
        chunks = (TOY[i:i + 500].encode() for i in range(0, len(TOY), 500))  # no Content-Length: counted as read
        streamed = assert_envelope(client.post("/api/scenarios", content=chunks), 413, "too_large")
        assert "max_upload_bytes" in streamed["message"]
        req = assert_envelope(client.post("/api/runs", json={"scenario": "x", "kind": "fly"}), 422, "invalid_request")
        assert [p["path"] for p in req["problems"]] == ["kind"]

        def boom() -> None:
            raise RuntimeError("secret internal detail")

        client.app.state.service.store.list_scenarios = boom  # type: ignore[attr-defined]
        err = assert_envelope(client.get("/api/scenarios"), 500, "internal_error")
        assert "secret" not in json.dumps(err)


def test_validation_errors_are_the_clis(client: TestClient, tmp_path: Path) -> None:
    broken = TOY.replace("batna: t25", "batna: t99").replace("value: -1.2", "value: minus one")
    path = tmp_path / "scenario.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ScenarioError) as cli:
        load_scenario(path, with_observed=False)
    api = assert_envelope(post_yaml(client, broken), 422, "invalid_scenario")
    assert [(p["line"], p["path"], p["message"], p["fix"]) for p in api["problems"]] == \
        [(p.line, p.path, p.message, p.fix) for p in cli.value.problems]
    assert {p["path"] for p in api["problems"]} >= {"issues[0].batna", "facts.eps.value"}


def test_hostile_yaml_is_refused_with_the_limit_named(client: TestClient) -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(6))
    err = assert_envelope(post_yaml(client, laughs), 422, "invalid_scenario")
    assert "max_values" in json.dumps(err)
    tagged = assert_envelope(post_yaml(client, "!!python/object/apply:os.system ['true']\n"), 422,
                             "invalid_scenario")
    assert tagged["problems"]
    assert_envelope(client.post("/api/scenarios", content=b"\xff\xfe", headers={"content-type": "text/plain"}),
                    422, "invalid_scenario")


# -- scenarios ------------------------------------------------------------------------------------------------------
def test_scenario_crud_keeps_versions(client: TestClient) -> None:
    r = post_yaml(client, TOY)
    assert r.status_code == 201 and r.headers["location"] == f"/api/scenarios/{r.json()['id']}"
    body = r.json()
    sid = body["id"]
    assert (body["name"], body["version"], body["scenario"]["issues"]) == ("toy", 1, ["widget_tariff", "transfer"])
    assert [s["id"] for s in client.get("/api/scenarios").json()["scenarios"]] == [sid]
    assert client.get(f"/api/scenarios/{sid}").json()["yaml"] == TOY
    v2 = TOY.replace("value: 1.5, unit: weight", "value: 2.5, unit: weight")
    up = post_yaml(client, v2, f"/api/scenarios/{sid}", "PUT")
    assert up.status_code == 200 and up.json()["version"] == 2
    assert client.get(f"/api/scenarios/{sid}").json()["yaml"] == v2
    assert client.get(f"/api/scenarios/{sid}", params={"version": 1}).json()["yaml"] == TOY
    assert_envelope(post_yaml(client, "id: [", f"/api/scenarios/{sid}", "PUT"), 422, "invalid_scenario")
    assert_envelope(post_yaml(client, TOY, "/api/scenarios/nope", "PUT"), 404, "not_found")
    assert client.delete(f"/api/scenarios/{sid}").status_code == 204
    assert_envelope(client.get(f"/api/scenarios/{sid}"), 404, "not_found")
    assert client.get("/api/scenarios").json()["scenarios"] == []


def test_no_file_named_in_a_scenario_is_read(client: TestClient, tmp_path: Path) -> None:
    secret = tmp_path / "secret.observed.yaml"
    secret.write_text("not: [a valid, observed outcome\n", encoding="utf-8")
    sid = create(client, TOY + f"observed: {secret}\n")  # the CLI would read (and reject) this file
    rid = client.post("/api/runs", json={"scenario": sid}).json()["id"]
    run = wait_finished(client, rid)
    assert run["status"] == "succeeded" and run["results"]["observed"] is None


def test_apps_share_no_state(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with make_client(tmp_path / "a") as a, make_client(tmp_path / "b") as b:
        create(a)
        assert len(a.get("/api/scenarios").json()["scenarios"]) == 1
        assert b.get("/api/scenarios").json()["scenarios"] == []


# -- evaluate -------------------------------------------------------------------------------------------------------
def test_evaluate_matches_the_library_and_keeps_the_model_warm(client: TestClient) -> None:
    sid = create(client)
    model = build_model(load_scenario(DATA / "toy.yaml", with_observed=False))
    package = {"widget_tariff": "t0", "transfer": "some"}
    r = client.post(f"/api/scenarios/{sid}/evaluate", json=package)
    assert r.status_code == 200, r.text
    out = r.json()
    pay, util = package_value(model, package)
    assert out["utilities"]["A"] == pytest.approx(util[0], rel=REL_TOL)
    assert out["utilities"]["B"] == pytest.approx(util[1], rel=REL_TOL)
    names = {p["stakeholder"]: (p["name"], p["party"], p["payoff"]) for p in out["payoffs"]}
    assert names["a_exporters"][:2] == ("Alpha exporters", "A")
    assert [p["payoff"] for p in out["payoffs"]] == pytest.approx(list(pay), rel=REL_TOL)
    assert out["batna"]["package"] == {"widget_tariff": "t25", "transfer": "none"}
    analysis = analyze(load_scenario(DATA / "toy.yaml", with_observed=False)).to_dict()["solutions"]
    assert list(out["solutions"]) == list(analysis)  # nash, nash_rubinstein (the toy has discount rates), ...
    for name, found in out["solutions"].items():
        assert found["package"] == analysis[name]["package"]
        assert found["utilities"] == pytest.approx(analysis[name]["utilities"], rel=REL_TOL)
    nash = out["solutions"]["nash"]
    at_nash = client.post(f"/api/scenarios/{sid}/evaluate", json=nash["package"]).json()
    assert at_nash["frontier"]["on_frontier"] and at_nash["frontier"]["left_on_table"] == 0
    assert at_nash["utilities"] == pytest.approx(nash["utilities"], rel=REL_TOL)
    batna = client.post(f"/api/scenarios/{sid}/evaluate", json={}).json()
    assert batna["utilities"] == {"A": 0, "B": 0} and batna["package"] == out["batna"]["package"]
    assert batna["frontier"]["distance"] >= 0
    svc = client.app.state.service  # type: ignore[attr-defined]
    assert svc.cache.builds == 1  # three evaluations, one model
    post_yaml(client, TOY.replace("value: 1.5, unit: weight", "value: 2.5, unit: weight"),
              f"/api/scenarios/{sid}", "PUT")
    client.post(f"/api/scenarios/{sid}/evaluate", json=package)
    assert svc.cache.builds == 2  # a new version, a new model
    bad = assert_envelope(client.post(f"/api/scenarios/{sid}/evaluate", json={"widget_tariff": "t99"}), 400, "error")
    assert "t25" in (bad["fix"] or "")
    assert_envelope(client.post(f"/api/scenarios/{sid}/evaluate", json=["t0"]), 422, "invalid_request")


def test_every_package_of_the_toy_is_placed_against_the_frontier_like_brute_force(client: TestClient) -> None:
    sid = create(client)
    model = build_model(load_scenario(DATA / "toy.yaml", with_observed=False))
    packages = [{"widget_tariff": t, "transfer": m} for t in ("t25", "t15", "t0") for m in ("none", "some", "more")]
    utils = [package_value(model, p)[1] for p in packages]
    for package, u in zip(packages, utils, strict=True):
        out = client.post(f"/api/scenarios/{sid}/evaluate", json=package).json()
        assert [out["utilities"]["A"], out["utilities"]["B"]] == pytest.approx(list(u), rel=REL_TOL)
        dominated = any((v >= u).all() and (v > u).any() for v in utils)
        assert out["frontier"]["on_frontier"] is (not dominated), package
        assert out["frontier"]["left_on_table"] >= 0 and (out["frontier"]["left_on_table"] == 0 or dominated)
        assert out["frontier"]["distance"] >= 0


def test_model_cache_is_bounded_and_builds_once_under_threads() -> None:
    from tradetalks.api.evaluate import ModelCache

    cache = ModelCache(2)
    calls: list[str] = []

    def builder(name: str) -> Callable[[], Any]:
        def build() -> Any:
            calls.append(name)
            time.sleep(0.05)
            return name

        return build

    threads = [threading.Thread(target=cache.get, args=(("s", "h1"), builder("h1"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["h1"]
    cache.get(("s", "h2"), builder("h2"))
    cache.get(("s", "h3"), builder("h3"))
    assert len(cache) == 2
    cache.get(("s", "h1"), builder("h1"))  # dropped as least recently used: built again
    assert calls == ["h1", "h2", "h3", "h1"]


# -- runs -----------------------------------------------------------------------------------------------------------
def test_analysis_run_streams_progress_and_stores_the_librarys_results(client: TestClient) -> None:
    sid = create(client)
    r = client.post("/api/runs", json={"scenario": sid, "kind": "analyze"})
    assert r.status_code == 202 and r.json()["status"] == "queued"
    rid = r.json()["id"]
    events: list[tuple[str, dict[str, Any]]] = []
    with client.stream("GET", f"/api/runs/{rid}/events") as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        name = ""
        for line in stream.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: "):
                events.append((name, json.loads(line.removeprefix("data: "))))
    assert events[-1][0] == "end" and events[-1][1]["status"] == "succeeded"
    progress = [e["progress"] for n, e in events if n == "progress"]
    assert progress == sorted(progress) and progress[-1] == 1.0
    run = client.get(f"/api/runs/{rid}").json()
    expected = analyze(load_scenario(DATA / "toy.yaml", with_observed=False)).to_dict()
    assert run["results"]["solutions"] == expected["solutions"]
    assert run["results"]["zopa"] == expected["zopa"]
    assert [x["id"] for x in client.get("/api/runs").json()["runs"]] == [rid]
    assert_envelope(client.get("/api/runs/nope/events"), 404, "not_found")


def test_compare_two_runs_names_the_inputs_and_results_that_moved(client: TestClient) -> None:
    sid = create(client)
    a = client.post("/api/runs", json={"scenario": sid}).json()["id"]
    b = client.post("/api/runs", json={"scenario": sid, "options": {"overrides": {"w_exp": 3.0}}}).json()["id"]
    wait_finished(client, a), wait_finished(client, b)
    diff = client.get("/api/runs/compare", params={"a": a, "b": b}).json()
    assert diff["inputs"]["options"] == {"overrides": {"before": {}, "after": {"w_exp": 3.0}}}
    assert [(f["id"], f["before"], f["after"]) for f in diff["inputs"]["facts"]] == [("w_exp", 1.5, 3.0)]
    assert not diff["inputs"]["scenario_changed"]
    moved = {s["name"]: s for s in diff["results"]["solutions"]}
    assert moved["nash"]["before"] != moved["nash"]["after"] and diff["results"]["anything_moved"]
    same = client.get("/api/runs/compare", params={"a": a, "b": a}).json()
    assert not same["results"]["anything_moved"] and same["inputs"]["options"] == {}
    assert_envelope(client.get("/api/runs/compare", params={"a": a, "b": "nope"}), 404, "not_found")


def test_uncertainty_run_and_its_limits(tmp_path: Path) -> None:
    with make_client(tmp_path, max_draws=500) as client:
        sid = create(client, TOY_UNCERTAIN)
        too_many = assert_envelope(client.post("/api/runs", json={"scenario": sid, "kind": "uncertainty",
                                                                  "options": {"draws": 501}}), 422, "too_large")
        assert "500" in too_many["message"] and "max_draws" in too_many["message"]
        extra = assert_envelope(client.post("/api/runs", json={"scenario": sid, "kind": "uncertainty",
                                                               "options": {"draws": 10, "rounds": 3}}), 422,
                                "invalid_request")
        assert [p["path"] for p in extra["problems"]] == ["options.rounds"]
        rid = client.post("/api/runs", json={"scenario": sid, "kind": "uncertainty",
                                             "options": {"draws": 200, "seed": 7}}).json()["id"]
        run = wait_finished(client, rid)
        assert run["status"] == "succeeded", run["error"]
        assert run["results"]["n_draws"] == 200
        bad = client.post("/api/runs", json={"scenario": sid, "options": {"overrides": {"nope": 1.0}}}).json()["id"]
        failed = wait_finished(client, bad)
        assert failed["status"] == "failed" and "nope" in failed["error"]["message"]


def test_a_full_pool_refuses_with_the_limit_named_and_cancel_stops_a_run(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    reported = threading.Event()

    def slow(self: RunManager, run_id: str, yaml: str, kind: str, options: dict[str, Any]) -> dict[str, Any]:
        report = self._reporter(run_id)
        while not release.is_set():
            report(0.5, "working")
            reported.set()
            time.sleep(0.01)
        report(1.0, "last step")  # raises when the run was cancelled
        return {"done": True}

    monkeypatch.setattr(RunManager, "_compute", slow)
    with make_client(tmp_path, run_workers=1, max_queued_runs=1) as client:
        sid = create(client)
        first = client.post("/api/runs", json={"scenario": sid}).json()["id"]
        second = client.post("/api/runs", json={"scenario": sid}).json()["id"]
        busy = assert_envelope(client.post("/api/runs", json={"scenario": sid}), 429, "busy")
        assert "`run_workers` 1" in busy["message"] and "`max_queued_runs` 1" in busy["message"]
        assert reported.wait(RUN_TIMEOUT)
        assert client.post(f"/api/runs/{second}/cancel").json()["status"] == "cancelled"  # while queued
        assert client.post(f"/api/runs/{first}/cancel").json()["status"] == "cancelled"  # while running
        release.set()
        assert wait_finished(client, first)["status"] == "cancelled"
        assert wait_finished(client, second)["status"] == "cancelled"
        deadline = time.monotonic() + RUN_TIMEOUT
        while client.get("/api/health").json()["active_runs"] and time.monotonic() < deadline:
            time.sleep(0.02)
        third = client.post("/api/runs", json={"scenario": sid})
        assert third.status_code == 202
        assert wait_finished(client, third.json()["id"])["results"] == {"done": True}


def test_stopping_the_app_interrupts_its_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reported = threading.Event()

    def endless(self: RunManager, run_id: str, yaml: str, kind: str, options: dict[str, Any]) -> dict[str, Any]:
        report = self._reporter(run_id)
        while True:
            report(0.5, "working")
            reported.set()
            time.sleep(0.01)

    monkeypatch.setattr(RunManager, "_compute", endless)
    with make_client(tmp_path, run_workers=1, max_queued_runs=2) as client:
        sid = create(client)
        running, queued = (client.post("/api/runs", json={"scenario": sid}).json()["id"] for _ in range(2))
        assert reported.wait(RUN_TIMEOUT)
    with make_client(tmp_path) as client:  # the same database, a new app
        assert client.get("/api/health").json()["interrupted_at_start"] == 0  # already marked at shut-down
        for rid in (running, queued):
            run = client.get(f"/api/runs/{rid}").json()
            assert (run["status"], run["message"], run["error"]["code"]) == ("failed", "interrupted", "interrupted")


# -- service basics -------------------------------------------------------------------------------------------------
def test_cors_is_closed_by_default(client: TestClient, tmp_path: Path) -> None:
    pre = {"origin": "http://evil.example", "access-control-request-method": "POST"}
    r = client.options("/api/scenarios", headers=pre)
    assert "access-control-allow-origin" not in r.headers
    assert "access-control-allow-origin" not in client.get("/api/scenarios", headers={"origin": pre["origin"]}).headers
    (tmp_path / "open").mkdir()
    with make_client(tmp_path / "open", cors_origins=("http://ok.example",)) as opened:
        ok = opened.options("/api/scenarios", headers={**pre, "origin": "http://ok.example",
                                                       "access-control-request-headers": "authorization"})
        assert ok.headers["access-control-allow-origin"] == "http://ok.example"
        assert "authorization" in ok.headers["access-control-allow-headers"].lower()  # tokens cross with it
        evil = opened.options("/api/scenarios", headers=pre)
        assert "access-control-allow-origin" not in evil.headers


def test_openapi_describes_every_endpoint(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    assert paths >= {("GET", "/api/scenarios"), ("POST", "/api/scenarios"), ("GET", "/api/scenarios/{scenario_id}"),
                     ("PUT", "/api/scenarios/{scenario_id}"), ("DELETE", "/api/scenarios/{scenario_id}"),
                     ("POST", "/api/scenarios/{scenario_id}/evaluate"), ("POST", "/api/runs"),
                     ("GET", "/api/runs"), ("GET", "/api/runs/{run_id}"), ("GET", "/api/runs/{run_id}/events"),
                     ("GET", "/api/runs/compare"), ("POST", "/api/runs/{run_id}/cancel"), ("GET", "/api/health"),
                     ("POST", "/api/scenarios/{scenario_id}/publish"),
                     ("POST", "/api/scenarios/{scenario_id}/unpublish"),
                     ("GET", "/api/scenarios/{scenario_id}/tokens"), ("POST", "/api/scenarios/{scenario_id}/tokens"),
                     ("DELETE", "/api/scenarios/{scenario_id}/tokens/{token_id}"),
                     ("POST", "/api/scenarios/{scenario_id}/tokens/rotate")}
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert client.get("/docs").status_code == 404  # no page that loads scripts from a CDN
