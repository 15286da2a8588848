"""The service's heavy runs and fast paths: runs on the executor (a real local Dask cluster on 127.0.0.1), gravity
runs on named data sets, the evaluate fast path's caches, and the settings handed to worker processes."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import under_ci
from tests.web_fixtures import ADMIN_TOKEN

if not under_ci() and any(importlib.util.find_spec(m) is None for m in ("fastapi", "httpx")):
    pytest.skip("the service extra is not installed (pip install 'tradetalks[serve]')", allow_module_level=True)

from fastapi.testclient import TestClient

from tradetalks.api import Settings, create_app
from tradetalks.api.evaluate import ModelCache
from tradetalks.api.jobs import GRAVITY_DATA, HeavyExecutor, gravity_spec
from tradetalks.errors import SpecError
from tradetalks.executor import Executor, ExecutorError

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
TOY = (DATA / "toy.yaml").read_text(encoding="utf-8")
TOY_UNCERTAIN = (DATA / "toy-uncertain.yaml").read_text(encoding="utf-8")
#: the book's "trade without borders" spec (one cross-section, exporter and importer fixed effects): a fast
#: gravity run, also run here from its file to compare
BORDERS = ROOT / "examples" / "gravity" / "trade-without-borders.yaml"
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
#: seconds a test waits for a background run at most (a local cluster starts in it)
RUN_TIMEOUT = 180.0
#: API numbers are rounded to 6 significant digits (tradetalks.jsonable)
REL_TOL = 1e-5


def make_client(tmp_path: Path, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(db_url=f"sqlite:///{tmp_path / 'api.db'}", admin_token=ADMIN_TOKEN,
                                          **settings)), raise_server_exceptions=False)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path) as c:
        yield c


def create(client: TestClient, text: str = TOY) -> str:
    r = client.post("/api/scenarios", content=text.encode(), headers={"content-type": "application/yaml", **AUTH})
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def start(client: TestClient, sid: str, kind: str, options: dict[str, Any]) -> Any:
    return client.post("/api/runs", json={"scenario": sid, "kind": kind, "options": options}, headers=AUTH)


def wait_finished(client: TestClient, run_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        run = client.get(f"/api/runs/{run_id}", headers=AUTH).json()
        if run["status"] in ("succeeded", "failed", "cancelled"):
            return dict(run)
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} did not finish within {RUN_TIMEOUT} s")


def error_of(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code, err
    return dict(err)


def comparable(results: dict[str, Any]) -> dict[str, Any]:
    """An uncertainty result without what depends on where and how fast it ran."""
    return {k: v for k, v in results.items() if k not in ("seconds", "workers", "timing")}


# -- settings ---------------------------------------------------------------------------------------------------------
def test_settings_survive_the_trip_to_worker_processes(tmp_path: Path) -> None:
    settings = Settings(db_url="sqlite:///x.db", scheduler="tcp://127.0.0.1:8786", data_dir=tmp_path,
                        cors_origins=("http://a.example",), admin_token=ADMIN_TOKEN, version_ttl=0.5)
    assert Settings.from_json(settings.to_json()) == settings
    assert ADMIN_TOKEN not in repr(settings)
    with pytest.raises(TypeError):
        Settings.from_json(json.dumps({"no_such_setting": 1}))


# -- evaluate: the fast path's caches ---------------------------------------------------------------------------------
def test_cached_answers_are_the_computed_ones_and_stay_bounded(tmp_path: Path) -> None:
    with make_client(tmp_path, evaluate_cache_size=2) as cached:
        sid = create(cached)
        packages = [{"widget_tariff": t, "transfer": "some"} for t in ("t25", "t15", "t0")]
        first = [cached.post(f"/api/scenarios/{sid}/evaluate", json=p, headers=AUTH) for p in packages]
        again = [cached.post(f"/api/scenarios/{sid}/evaluate", json=p, headers=AUTH) for p in packages]
        svc = cached.app.state.service  # type: ignore[attr-defined]
        assert len(svc.cache._responses) == 2  # the bound
    (tmp_path / "none").mkdir()
    with make_client(tmp_path / "none", evaluate_cache_size=0) as uncached:
        sid2 = create(uncached)
        plain = [uncached.post(f"/api/scenarios/{sid2}/evaluate", json=p, headers=AUTH) for p in packages]
    for a, b, c in zip(first, again, plain, strict=True):
        assert a.status_code == b.status_code == c.status_code == 200
        assert a.headers["content-type"] == "application/json"
        assert a.content == b.content
        assert {**a.json(), "scenario_id": None} == {**c.json(), "scenario_id": None}
    with make_client(tmp_path, evaluate_cache_size=2) as cached:  # the same store, a new app
        swapped = cached.post(f"/api/scenarios/{sid}/evaluate", json={"transfer": "some", "widget_tariff": "t0"},
                              headers=AUTH)
        assert swapped.content == first[2].content  # another key order, the same answer


def test_an_update_is_seen_at_once_by_this_process_and_within_the_ttl_by_others(tmp_path: Path) -> None:
    with make_client(tmp_path, version_ttl=60.0) as client:
        sid = create(client)
        package = {"widget_tariff": "t0"}
        assert client.post(f"/api/scenarios/{sid}/evaluate", json=package, headers=AUTH).json()["version"] == 1
        r = client.put(f"/api/scenarios/{sid}", content=TOY.replace("value: 1.5, unit: weight",
                                                                     "value: 2.5, unit: weight").encode(),
                       headers={"content-type": "application/yaml", **AUTH})
        assert r.status_code == 200, r.text
        v2 = client.post(f"/api/scenarios/{sid}/evaluate", json=package, headers=AUTH).json()
        assert v2["version"] == 2  # an update through this app forgets the remembered version at once
        # another process (here: the store directly) stores version 3: unseen until the TTL passes
        svc = client.app.state.service  # type: ignore[attr-defined]
        svc.store.update_scenario(sid, "toy", TOY.replace("value: 1.5, unit: weight", "value: 3.5, unit: weight"))
        assert client.post(f"/api/scenarios/{sid}/evaluate", json=package, headers=AUTH).json()["version"] == 2
        assert client.post(f"/api/scenarios/{sid}/evaluate?version=3", json=package,
                           headers=AUTH).json()["version"] == 3  # an explicit version is always exact
        svc.cache.version_ttl = 0.0
        assert client.post(f"/api/scenarios/{sid}/evaluate", json=package, headers=AUTH).json()["version"] == 3
        client.delete(f"/api/scenarios/{sid}", headers=AUTH)
        error_of(client.post(f"/api/scenarios/{sid}/evaluate", json=package, headers=AUTH), 404, "not_found")


@pytest.mark.parametrize(("body", "path"), [(b"{not json", ""), (b"[1, 2]", ""), (b"", ""), (b'"t0"', ""),
                                            (b'{"widget_tariff": 1}', "widget_tariff"),
                                            (b'{"widget_tariff": {"a": "b"}}', "widget_tariff")])
def test_a_body_that_is_not_a_package_is_refused_with_its_field(client: TestClient, body: bytes, path: str) -> None:
    sid = create(client)
    r = client.post(f"/api/scenarios/{sid}/evaluate", content=body,
                    headers={"content-type": "application/json", **AUTH})
    err = error_of(r, 422, "invalid_request")
    assert err["problems"] and err["problems"][0]["path"] == path


def test_concurrent_requests_share_one_store_look_up_of_a_version() -> None:
    class SlowStore:
        calls = 0

        def scenario_key(self, scenario_id: str, version: int | None) -> tuple[int, str]:
            SlowStore.calls += 1
            time.sleep(0.05)
            return 1, "sha"

    cache = ModelCache(2, version_ttl=10.0)

    async def many() -> list[tuple[int, str]]:
        return await asyncio.gather(*(cache.look_up_version_key(SlowStore(), "s", None)  # type: ignore[arg-type]
                                      for _ in range(20)))

    assert asyncio.run(many()) == [(1, "sha")] * 20
    assert SlowStore.calls == 1
    assert cache.version_key("s", None) == (1, "sha")


# -- runs on the executor --------------------------------------------------------------------------------------------
def test_a_small_uncertainty_run_stays_in_the_service(tmp_path: Path) -> None:
    with make_client(tmp_path, executor_min_draws=10_000) as client:
        sid = create(client, TOY_UNCERTAIN)
        run = wait_finished(client, start(client, sid, "uncertainty", {"draws": 300, "seed": 3}).json()["id"])
        assert run["status"] == "succeeded", run
        assert not client.app.state.service.runs.heavy.started  # type: ignore[attr-defined]


@pytest.mark.slow
def test_a_heavy_uncertainty_run_goes_to_a_local_cluster_the_service_starts_and_stops(tmp_path: Path) -> None:
    options = {"draws": 600, "seed": 11}
    with make_client(tmp_path, executor_min_draws=500, executor_workers=2) as client:
        sid = create(client, TOY_UNCERTAIN)
        heavy: HeavyExecutor = client.app.state.service.runs.heavy  # type: ignore[attr-defined]
        assert not heavy.started  # lazily: nothing started before the first heavy run
        run = wait_finished(client, start(client, sid, "uncertainty", options).json()["id"])
        assert run["status"] == "succeeded", run
        assert heavy.started
        address = heavy.address()
        assert address.startswith("tcp://127.0.0.1:")
        cluster = heavy._local._cluster  # type: ignore[union-attr]
        small = wait_finished(client, start(client, sid, "uncertainty", {**options, "draws": 100}).json()["id"])
        assert small["status"] == "succeeded"
    assert not heavy.started and cluster.status.name == "closed"  # shut down with the app
    (tmp_path / "serial").mkdir()
    with make_client(tmp_path / "serial", executor_min_draws=10_000) as serial:
        sid2 = create(serial, TOY_UNCERTAIN)
        same = wait_finished(serial, start(serial, sid2, "uncertainty", options).json()["id"])
    assert comparable(same["results"]) == comparable(run["results"])  # where chunks run does not change results


@pytest.mark.slow
def test_a_heavy_run_uses_the_given_scheduler_and_leaves_it_running(tmp_path: Path) -> None:
    with Executor(workers=2, scheduler="") as cluster:
        address = cluster.start().address
        assert address is not None
        with make_client(tmp_path, scheduler=address, executor_min_draws=200) as client:
            sid = create(client, TOY_UNCERTAIN)
            r = start(client, sid, "uncertainty", {"draws": 300, "seed": 5})
            run = wait_finished(client, r.json()["id"])
            assert run["status"] == "succeeded", run
            heavy: HeavyExecutor = client.app.state.service.runs.heavy  # type: ignore[attr-defined]
            assert not heavy.started  # no cluster of its own
        client_ = cluster._client
        assert client_ is not None and client_.status == "running"  # the service left the scheduler alone
        assert sum(client_.nthreads().values()) == 2


def test_an_unreachable_scheduler_fails_the_run_with_the_address(tmp_path: Path) -> None:
    with make_client(tmp_path, scheduler="tcp://127.0.0.1:9", executor_min_draws=100) as client:
        sid = create(client, TOY_UNCERTAIN)
        run = wait_finished(client, start(client, sid, "uncertainty", {"draws": 200}).json()["id"])
    assert run["status"] == "failed"
    assert run["error"]["code"] == "executor" and "tcp://127.0.0.1:9" in run["error"]["message"]


# -- gravity runs ---------------------------------------------------------------------------------------------------
def borders_spec() -> dict[str, Any]:
    """The book's spec as a JSON object, its data named instead of given as a file."""
    import yaml

    spec = yaml.safe_load(BORDERS.read_text(encoding="utf-8"))
    spec["data"] = {k: v for k, v in spec["data"].items() if k != "file"} | {"dataset": "agtpa"}
    return dict(spec)


@pytest.mark.parametrize(("change", "path"), [
    (lambda s: s["data"].update(file="/etc/passwd"), "data.file"),
    (lambda s: s["data"].update(dataset="../../etc"), "data.dataset"),
    (lambda s: s.pop("data"), "data"),
    (lambda s: s.update(sigma=0.5), "sigma"),
    (lambda s: s["counterfactual"]["edits"][0].update(set="NOPE"), "counterfactual.edits[0].set"),
])
def test_a_bad_gravity_spec_is_refused_at_its_field(client: TestClient, change: Callable[[dict[str, Any]], Any],
                                                    path: str) -> None:
    sid = create(client)
    spec = borders_spec()
    change(spec)
    err = error_of(start(client, sid, "gravity", {"spec": spec}), 422, "invalid_spec")
    assert path in [p["path"] for p in err["problems"]], err
    assert "/etc/passwd" not in json.dumps(err) or path == "data.file"
    assert client.get("/api/runs", headers=AUTH).json()["runs"] == []  # nothing was queued


def test_a_gravity_spec_in_yaml_points_at_its_line(client: TestClient) -> None:
    sid = create(client)
    text = BORDERS.read_text(encoding="utf-8").replace("sigma: 7", "sigma: one")
    text = text.replace("  file: ../../../shared/data/agtpa/ch2_app2_rta_effects.csv.gz", "  dataset: agtpa")
    err = error_of(start(client, sid, "gravity", {"spec": text}), 422, "invalid_spec")
    line = next(k for k, ln in enumerate(text.splitlines(), 1) if ln.startswith("sigma:"))
    assert [(p["path"], p["line"]) for p in err["problems"]] == [("sigma", line)]


def test_gravity_options_are_limited(client: TestClient) -> None:
    sid = create(client)
    err = error_of(start(client, sid, "gravity", {"spec": borders_spec(), "sigma_draws": 10**6}), 422, "too_large")
    assert "max_draws" in err["message"]
    err = error_of(start(client, sid, "gravity", {"spec": borders_spec(), "sigma_range": [9, 5]}), 422,
                   "invalid_request")
    assert err["problems"][0]["path"] == "options"
    error_of(start(client, sid, "gravity", {"spec": borders_spec(), "path": "/tmp"}), 422, "invalid_request")


def test_a_missing_data_set_is_an_error_naming_the_option(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with make_client(tmp_path, data_dir=tmp_path / "empty") as client:
        sid = create(client)
        err = error_of(start(client, sid, "gravity", {"spec": borders_spec()}), 404, "not_found")
    assert "options.spec.data.dataset" in err["message"] and "--data-dir" in (err["fix"] or "")
    assert str(tmp_path) not in json.dumps(err)  # the server's directories are not shown


def test_gravity_spec_validation_alone_needs_no_data() -> None:
    sf = gravity_spec(borders_spec())
    assert sf.spec.data.file == GRAVITY_DATA["agtpa"].file
    with pytest.raises(SpecError):
        gravity_spec({"data": {"dataset": "agtpa"}})


@pytest.mark.slow
def test_a_gravity_run_on_the_books_data_matches_the_cli(tmp_path: Path,
                                                         shared_data: Callable[[str], Path]) -> None:
    folder = shared_data("agtpa")
    from tradetalks.econ.gravity.run import run_file

    with make_client(tmp_path, data_dir=folder.parent, executor_min_draws=10_000) as client:
        sid = create(client)
        r = start(client, sid, "gravity", {"spec": borders_spec(), "sigma_draws": 50, "seed": 2})
        assert r.status_code == 202, r.text
        run = wait_finished(client, r.json()["id"])
    assert run["status"] == "succeeded", run
    results = run["results"]
    assert str(folder) not in json.dumps(results) and str(ROOT) not in json.dumps(results)
    assert results["data"] == "agtpa/ch2_app2_rta_effects.csv.gz" and results["spec"] == "options.spec"
    cli = run_file(BORDERS).to_dict()  # the same spec, read from its file as `tradetalks gravity run` does
    api_rows = {row["country"]: row for row in results["scenarios"][0]["countries"]}
    for row in cli["scenarios"][0]["countries"]:
        for key in ("real_gdp", "exports", "welfare"):
            assert api_rows[row["country"]][key] == pytest.approx(row[key], rel=REL_TOL, abs=1e-9), key
    draws = results["sigma_draws"]
    assert draws["draws"] == 50 and draws["where"] == "in the service"
    assert {"scenario", "country", "field", "mean", "p5", "p50", "p95"} <= set(draws["table"][0])


def test_a_given_scheduler_is_probed_not_started() -> None:
    with socket.socket() as listener:  # something accepting connections where the scheduler should be
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
        heavy = HeavyExecutor(address, 2)
        seen: list[str] = []
        threads = [threading.Thread(target=lambda: seen.append(heavy.address())) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert seen == [address] * 4 and not heavy.started
    heavy.close()
    with pytest.raises(ExecutorError, match="not a Dask scheduler address"):
        HeavyExecutor("tcp://nowhere", 2).address()


# -- tradetalks serve --workers -------------------------------------------------------------------------------------
def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry.name))
            except OSError:
                continue
    return out


@pytest.mark.slow
def test_serve_with_two_worker_processes_answers_and_stops_cleanly(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    import httpx

    from tests.pg_server import free_port

    port, log = free_port(), tmp_path / "server.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
           "TRADETALKS_ADMIN_TOKEN": ADMIN_TOKEN}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "tradetalks", "serve", "--port", str(port), "--db",
                                 f"sqlite:///{tmp_path / 'api.db'}", "--workers", "2"], env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            time.sleep(0.2)
        with httpx.Client(base_url=base, headers=AUTH, timeout=60) as http:
            sid = http.post("/api/scenarios", content=TOY.encode(),
                            headers={"content-type": "application/yaml"}).json()["id"]
            fresh = {"connection": "close"}  # a new connection each: the kernel spreads them over both processes
            answers = {http.post(f"/api/scenarios/{sid}/evaluate", json={"widget_tariff": "t0"},
                                 headers=fresh).content for _ in range(12)}
            assert len(answers) == 1 and json.loads(answers.pop())["version"] == 1
            http.put(f"/api/scenarios/{sid}", content=TOY.replace("value: 1.5, unit: weight",
                                                                  "value: 2.5, unit: weight").encode(),
                     headers={"content-type": "application/yaml"}).raise_for_status()
            time.sleep(Settings().version_ttl + 0.1)  # the other process's remembered version expires
            versions = {http.post(f"/api/scenarios/{sid}/evaluate", json={}, headers=fresh).json()["version"]
                        for _ in range(12)}
            assert versions == {2}
        assert len(_children(proc.pid)) >= 2  # uvicorn's worker processes
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            assert proc.wait(timeout=30) == 0, log.read_text(errors="replace")[-3000:]
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_forbidden_packages_beyond_the_frontier_are_evaluated_and_solutions_sit_on_it(client: TestClient) -> None:
    import random

    import yaml

    from tests.web_fixtures import KORUS_YAML
    from tradetalks.api.evaluate import warm_model
    from tradetalks.bargain.comparison import compare_to_frontier
    from tradetalks.errors import DataError
    from tradetalks.model import package_feasible, package_value
    from tradetalks.scenario.loader import load_scenario_text

    text = KORUS_YAML.read_text(encoding="utf-8")
    warm = warm_model(load_scenario_text(text, "korus.yaml"))
    issues = [(i["id"], [o["id"] for o in i["options"]]) for i in yaml.safe_load(text)["issues"]]
    rng = random.Random(7)

    def beyond(p: dict[str, str]) -> bool:
        try:
            compare_to_frontier(warm.frontier, package_value(warm.model, p)[1])
        except DataError:
            return True
        return False

    package = next(p for p in ({i: rng.choice(o) for i, o in issues} for _ in range(2000)) if beyond(p))
    assert not package_feasible(warm.model, package)  # only a forbidden package can lie beyond the frontier
    sid = create(client, text)
    r = client.post(f"/api/scenarios/{sid}/evaluate", json=package, headers=AUTH)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["feasible"] is False and out["frontier"]["beyond_frontier"] is True
    assert out["frontier"]["distance"] is None and out["frontier"]["best_improvement"] is None
    for name, found in out["solutions"].items():  # each solution's own package sits on the frontier, exactly
        at = client.post(f"/api/scenarios/{sid}/evaluate", json=found["package"], headers=AUTH).json()
        assert at["feasible"] and at["frontier"]["on_frontier"], name
        assert at["frontier"]["left_on_table"] == 0 and not at["frontier"]["beyond_frontier"], name
        assert at["utilities"] == found["utilities"], name
