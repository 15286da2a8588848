"""Scenario routes: list, get, create, update, delete, evaluate a package; publish; the scenario's tokens.

Who may do what is :mod:`tradetalks.api.auth`'s: reads (get, evaluate) need a token of the scenario or the admin's
unless it is published; writes need its owner's token or the admin's; creating one needs the admin's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from tradetalks.api.auth import CallerDep, may_read_fast, require_admin, require_scenario
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


class NewToken(BaseModel):
    """A viewer token to make: who it is for (a label shown in the list of tokens, never a secret)."""

    model_config = ConfigDict(extra="forbid")
    role: Literal["viewer"] = "viewer"
    label: str | None = Field(None, max_length=200, description="whom the token is for (shown in the list)")


#: a token id in a URL (16 hex digits as made; longer ones are refused by the schema)
TokenId = Annotated[str, Path(max_length=64)]


def _described(rec: ScenarioRecord, loaded: LoadedScenario) -> dict[str, Any]:
    scn = loaded.scenario
    return {**rec.summary(), "scenario": {"id": scn.id, "title": getattr(scn, "title", None),
                                          "parties": [p.id for p in scn.parties],
                                          "issues": [i.id for i in scn.issues], "facts": len(scn.facts)}}


@router.get("", summary="List the scenarios the caller may read")
def list_scenarios(svc: Svc, caller: CallerDep) -> dict[str, Any]:
    """Every scenario for the admin; the published ones (and the token's own scenario) for anyone else."""
    if caller.is_admin:
        return {"scenarios": svc.store.list_scenarios()}
    return {"scenarios": svc.store.list_scenarios(published_only=True, plus=caller.scenario_id)}


@router.post("", status_code=201, summary="Create a scenario from its YAML text (admin); its owner token is "
             "returned once", openapi_extra=_YAML_BODY)
async def create_scenario(request: Request, response: Response, svc: Svc, caller: CallerDep) -> dict[str, Any]:
    """The scenario, unpublished, with ``token``: its owner's token, shown only in this answer (the service keeps
    a salted hash)."""
    require_admin(caller, "creating a scenario")
    text = await _yaml_text(request)
    loaded = await run_in_threadpool(load_scenario_text, text, UPLOAD_NAME)
    rec, token = await run_in_threadpool(svc.store.create_owned_scenario, loaded.scenario.id, text)
    response.headers["Location"] = f"/api/scenarios/{rec.id}"
    return {**_described(rec, loaded), "token": token,
            "note": "the owner token is shown only now; the service keeps a salted hash"}


@router.get("/{scenario_id}", summary="A scenario (its current version, or ?version=)")
def get_scenario(scenario_id: str, svc: Svc, caller: CallerDep, version: Version = None) -> dict[str, Any]:
    require_scenario(svc, caller, scenario_id, "read")
    rec = svc.store.get_scenario(scenario_id, version)
    return {**rec.summary(), "yaml": rec.yaml}


@router.put("/{scenario_id}", summary="Store a new version of a scenario (owner)", openapi_extra=_YAML_BODY)
async def update_scenario(scenario_id: str, request: Request, svc: Svc, caller: CallerDep) -> dict[str, Any]:
    await run_in_threadpool(require_scenario, svc, caller, scenario_id, "owner")
    text = await _yaml_text(request)
    await run_in_threadpool(svc.store.get_scenario, scenario_id)  # 404 before validating
    loaded = await run_in_threadpool(load_scenario_text, text, UPLOAD_NAME)
    rec = await run_in_threadpool(svc.store.update_scenario, scenario_id, loaded.scenario.id, text)
    svc.cache.forget(scenario_id)  # evaluations without ?version= see the new version at once
    return _described(rec, loaded)


@router.delete("/{scenario_id}", status_code=204, summary="Delete a scenario (owner; its runs stay readable)")
def delete_scenario(scenario_id: str, svc: Svc, caller: CallerDep) -> Response:
    require_scenario(svc, caller, scenario_id, "owner")
    svc.store.delete_scenario(scenario_id)
    svc.cache.forget(scenario_id)
    return Response(status_code=204)


@router.post("/{scenario_id}/publish", summary="Publish a scenario (owner): it and its runs become readable "
             "without a token")
def publish(scenario_id: str, svc: Svc, caller: CallerDep) -> dict[str, Any]:
    require_scenario(svc, caller, scenario_id, "owner")
    return svc.store.set_published(scenario_id, True).summary()


@router.post("/{scenario_id}/unpublish", summary="Unpublish a scenario (owner): reading needs a token again")
def unpublish(scenario_id: str, svc: Svc, caller: CallerDep) -> dict[str, Any]:
    require_scenario(svc, caller, scenario_id, "owner")
    return svc.store.set_published(scenario_id, False).summary()


@router.get("/{scenario_id}/tokens", summary="The scenario's tokens (owner; never their secrets)")
def list_tokens(scenario_id: str, svc: Svc, caller: CallerDep) -> dict[str, Any]:
    require_scenario(svc, caller, scenario_id, "owner")
    svc.store.get_scenario(scenario_id)  # 404 for the admin
    return {"tokens": [t.summary() for t in svc.store.scenario_tokens(scenario_id)]}


@router.post("/{scenario_id}/tokens", status_code=201, summary="Make a viewer token (owner); shown once")
def make_token(scenario_id: str, body: NewToken, svc: Svc, caller: CallerDep) -> dict[str, Any]:
    require_scenario(svc, caller, scenario_id, "owner")
    rec, token = svc.store.issue_scenario_token(scenario_id, body.role, body.label)
    return {**rec.summary(), "token": token, "note": "the token is shown only now; the service keeps a salted hash"}


@router.delete("/{scenario_id}/tokens/{token_id}", summary="Revoke a viewer token (owner); it stops working at once")
def revoke_token(scenario_id: str, token_id: TokenId, svc: Svc, caller: CallerDep) -> dict[str, Any]:
    require_scenario(svc, caller, scenario_id, "owner")
    return svc.store.revoke_scenario_token(scenario_id, token_id).summary()


@router.post("/{scenario_id}/tokens/rotate", status_code=201,
             summary="Replace the owner token (owner: its own; admin: every owner token); the old one stops working")
def rotate_token(scenario_id: str, svc: Svc, caller: CallerDep) -> dict[str, Any]:
    """A new owner token, shown once; the caller's owner token (for the admin: every owner token of the scenario)
    is revoked in the same transaction."""
    require_scenario(svc, caller, scenario_id, "owner")
    rec, token = svc.store.rotate_owner_token(scenario_id, None if caller.is_admin else caller.token_id)
    return {**rec.summary(), "token": token, "note": "the new owner token is shown only now; the old one no "
                                                      "longer works"}


@router.post("/{scenario_id}/evaluate", summary="Evaluate a package {issue: option}",
             response_class=Response, openapi_extra={**_PACKAGE_BODY, "security": [{"HTTPBearer": []}]},
             responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}})
async def evaluate(scenario_id: str, request: Request, svc: Svc, version: Version = None) -> Response:
    """Both sides' utilities, payoffs per stakeholder, the place against the frontier, the BATNA and the
    solutions. Issues left out stay at their BATNA option. A read: open on a published scenario."""
    await may_read_fast(svc, request.headers.get("authorization"), scenario_id)
    data = await evaluate_bytes(svc.cache, svc.store, scenario_id, version, await request.body())
    return Response(data, media_type="application/json")  # the fast path's bytes (api/evaluate.py)
