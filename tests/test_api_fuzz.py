"""Schemathesis against the service's own OpenAPI description (issue #10 §6): no request makes a server error.

Every operation of ``/openapi.json`` gets generated requests, in-process against the ASGI app, on a temporary SQLite
store holding the built-in scenario, the toy scenario, a viewer token of it and one finished run of it. Each example
carries the admin token (so that the fuzzer gets past authentication and explores the API; who may do what is
tests/test_auth.py's) and is sent twice: as generated (ids that do not exist, bodies that do not fit) and with its
path and query ids replaced by the stored ones, so the fuzzer also reaches the code behind a found scenario, token
or run. Checks: ``not_a_server_error`` and, where the description
documents the answer, ``response_schema_conformance``. Under ``CI=true`` hypothesis runs derandomised
(tests/conftest.py), so a landing sees the same examples every time.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import under_ci
from tests.web_fixtures import ADMIN_TOKEN

if not under_ci() and any(importlib.util.find_spec(m) is None for m in ("fastapi", "schemathesis")):
    pytest.skip("the service extra or schemathesis is not installed (pip install 'tradetalks[serve,dev]')",
                allow_module_level=True)

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import response_schema_conformance

from tradetalks.api import Settings, create_app

TOY = (Path(__file__).parent / "data" / "toy.yaml").read_text(encoding="utf-8")
#: generated requests per operation (each sent twice: as generated and with the stored ids)
MAX_EXAMPLES = 30
#: seconds the fixture waits for the toy's analysis run at most
RUN_TIMEOUT = 60.0
CHECKS = [not_a_server_error, response_schema_conformance]
#: sent with every generated request
ADMIN = {"authorization": f"Bearer {ADMIN_TOKEN}"}
#: every operation of the description, read without starting the app (the description needs no store)
OPERATIONS = [(method.upper(), path) for path, item in create_app(Settings(db_url="sqlite://")).openapi()["paths"].items()
              for method in item]


@dataclass(frozen=True)
class Fuzzed:
    schema: Any
    client: asgi.ASGIClient
    scenario_id: str
    run_id: str
    token_id: str


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    db = tmp_path_factory.mktemp("fuzz") / "api.db"
    app = create_app(Settings(db_url=f"sqlite:///{db}", run_workers=1, max_queued_runs=64, admin_token=ADMIN_TOKEN))
    try:
        with asgi.get_client(app) as client:
            r = client.post("/api/scenarios", data=TOY.encode(), headers={"content-type": "application/yaml", **ADMIN})
            assert r.status_code == 201, r.text
            scenario_id = r.json()["id"]
            r = client.post(f"/api/scenarios/{scenario_id}/tokens", json={"label": "fuzz"}, headers=ADMIN)
            assert r.status_code == 201, r.text
            token_id = r.json()["id"]
            r = client.post("/api/runs", json={"scenario": scenario_id, "kind": "analyze"}, headers=ADMIN)
            assert r.status_code == 202, r.text
            run_id = r.json()["id"]
            deadline = time.monotonic() + RUN_TIMEOUT
            while client.get(f"/api/runs/{run_id}", headers=ADMIN).json()["status"] not in ("succeeded", "failed",
                                                                                           "cancelled"):
                assert time.monotonic() < deadline, f"the toy run {run_id} did not finish in {RUN_TIMEOUT} s"
                time.sleep(0.05)
            schema = schemathesis.openapi.from_asgi("/openapi.json", app)
            yield Fuzzed(schema, client, scenario_id, run_id, token_id)
    finally:
        asgi.shutdown_lifespans()  # the app's lifespan (its store and run pool) ends with the module


def with_stored_ids(case: Any, fz: Fuzzed) -> bool:
    """Point ``case`` at the stored scenario and run; False if it names none (then it is not sent again)."""
    changed = False
    path = case.path_parameters or {}
    if "scenario_id" in path:
        path["scenario_id"] = fz.scenario_id
        changed = True
    if "run_id" in path:
        path["run_id"] = fz.run_id
        changed = True
    if "token_id" in path:
        path["token_id"] = fz.token_id
        changed = True
    query = case.query or {}
    for key in ("a", "b"):
        if key in query:
            query[key] = fz.run_id
            changed = True
    if isinstance(case.body, dict) and "scenario" in case.body:
        case.body["scenario"] = fz.scenario_id
        changed = True
    return changed


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_no_server_error(fuzzed: Fuzzed, method: str, path: str) -> None:
    operation = fuzzed.schema[path][method]

    @given(case=operation.as_strategy())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        case.call_and_validate(session=fuzzed.client, headers=ADMIN, checks=CHECKS)
        # deleting the stored scenario would leave the other operations nothing to find (revoking a token would not)
        if (method != "DELETE" or path.endswith("{token_id}")) and with_stored_ids(case, fuzzed):
            case.call_and_validate(session=fuzzed.client, headers=ADMIN, checks=CHECKS)

    check()


@pytest.mark.parametrize("request_", [("GET", "/api/scenarios/{sid}?version=9223372036854775808", None),
                                      ("POST", "/api/scenarios/{sid}/evaluate?version=2147483648", {}),
                                      ("POST", "/api/runs", {"scenario": "{sid}", "version": 2**31})])
def test_version_beyond_the_store_is_a_422(fuzzed: Fuzzed, request_: tuple[str, str, Any]) -> None:
    """Found by the fuzzer: a version above the store's 32-bit column was a 500 (driver overflow), now a 422."""
    method, url, body = request_
    if isinstance(body, dict) and "scenario" in body:
        body = {**body, "scenario": fuzzed.scenario_id}
    r = fuzzed.client.request(method, url.format(sid=fuzzed.scenario_id), json=body, headers=ADMIN)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"]
