"""Scenario routes: list, get, create, update, delete, and evaluate a package."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from tradetalks.api.evaluate import evaluate_bytes
from tradetalks.api.service import Service, service
from tradetalks.errors import Problem, ScenarioError
from tradetalks.scenario.loader import LoadedScenario, load_scenario_text
from tradetalks.store import ScenarioRecord

router = APIRouter(prefix="/api/scenarios", tags=["scenarios"])
Svc = Annotated[Service, Depends(service)]
#: what a scenario is called in the problems of an uploaded text (no file is involved)
UPLOAD_NAME = "scenario.yaml"
#: the largest version number a request may name: the store's ``Integer`` column (32 bits on PostgreSQL); a larger
#: one overflowed the SQLite driver into a 500 (found by tests/test_api_fuzz.py)
MAX_VERSION = 2**31 - 1
#: ``?version=``: a stored scenario version, 1 up to :data:`MAX_VERSION`
Version = Annotated[int | None, Query(ge=1, le=MAX_VERSION)]
_PACKAGE_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "additionalProperties": {"type": "string"}}}},
    "description": "The package: `{issue id: option id}`; issues left out stay at their BATNA option."}}
_YAML_BODY = {"requestBody": {"required": True, "content": {
    "application/yaml": {"schema": {"type": "string"}}, "text/plain": {"schema": {"type": "string"}}},
    "description": "The scenario file's YAML text (see docs/scenario-format.md); the limit is `max_upload_bytes`."}}


async def _yaml_text(request: Request) -> str:
    raw = await request.body()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(UPLOAD_NAME, [Problem(UPLOAD_NAME, None, "", f"the body is not UTF-8 text "
                                                  f"({exc.reason}).", "send the scenario as UTF-8 text")]) from None


def _described(rec: ScenarioRecord, loaded: LoadedScenario) -> dict[str, Any]:
    scn = loaded.scenario
    return {**rec.summary(), "scenario": {"id": scn.id, "title": getattr(scn, "title", None),
                                          "parties": [p.id for p in scn.parties],
                                          "issues": [i.id for i in scn.issues], "facts": len(scn.facts)}}


@router.get("", summary="List the scenarios")
def list_scenarios(svc: Svc) -> dict[str, Any]:
    return {"scenarios": svc.store.list_scenarios()}


@router.post("", status_code=201, summary="Create a scenario from its YAML text", openapi_extra=_YAML_BODY)
async def create_scenario(request: Request, response: Response, svc: Svc) -> dict[str, Any]:
    text = await _yaml_text(request)
    loaded = await run_in_threadpool(load_scenario_text, text, UPLOAD_NAME)
    rec = await run_in_threadpool(svc.store.create_scenario, loaded.scenario.id, text)
    response.headers["Location"] = f"/api/scenarios/{rec.id}"
    return _described(rec, loaded)


@router.get("/{scenario_id}", summary="A scenario (its current version, or ?version=)")
def get_scenario(scenario_id: str, svc: Svc, version: Version = None) -> dict[str, Any]:
    rec = svc.store.get_scenario(scenario_id, version)
    return {**rec.summary(), "yaml": rec.yaml}


@router.put("/{scenario_id}", summary="Store a new version of a scenario", openapi_extra=_YAML_BODY)
async def update_scenario(scenario_id: str, request: Request, svc: Svc) -> dict[str, Any]:
    text = await _yaml_text(request)
    await run_in_threadpool(svc.store.get_scenario, scenario_id)  # 404 before validating
    loaded = await run_in_threadpool(load_scenario_text, text, UPLOAD_NAME)
    rec = await run_in_threadpool(svc.store.update_scenario, scenario_id, loaded.scenario.id, text)
    svc.cache.forget(scenario_id)  # evaluations without ?version= see the new version at once
    return _described(rec, loaded)


@router.delete("/{scenario_id}", status_code=204, summary="Delete a scenario (its runs stay readable)")
def delete_scenario(scenario_id: str, svc: Svc) -> Response:
    svc.store.delete_scenario(scenario_id)
    svc.cache.forget(scenario_id)
    return Response(status_code=204)


@router.post("/{scenario_id}/evaluate", summary="Evaluate a package {issue: option}",
             response_class=Response, openapi_extra=_PACKAGE_BODY,
             responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}})
async def evaluate(scenario_id: str, request: Request, svc: Svc, version: Version = None) -> Response:
    """Both sides' utilities, payoffs per stakeholder, the place against the frontier, the BATNA and the
    solutions. Issues left out stay at their BATNA option."""
    data = await evaluate_bytes(svc.cache, svc.store, scenario_id, version, await request.body())
    return Response(data, media_type="application/json")  # the fast path's bytes (api/evaluate.py)
