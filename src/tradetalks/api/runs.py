"""Run routes: start, list, get, follow (server-sent events), compare, cancel.

A run has its scenario's access (:mod:`tradetalks.api.auth`): reading it needs a token of the scenario or the
admin's unless the scenario is published; starting and cancelling need the owner's token or the admin's.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from tradetalks.api.auth import CallerDep, require_run, require_scenario
from tradetalks.api.compare import compare_runs
from tradetalks.api.jobs import parse_options
from tradetalks.api.scenarios import MAX_VERSION
from tradetalks.api.service import Service, service
from tradetalks.options import RunKind

router = APIRouter(prefix="/api/runs", tags=["runs"])
Svc = Annotated[Service, Depends(service)]
#: seconds between two looks at a followed run
EVENT_POLL = 0.25
#: seconds between keep-alive comments on a quiet event stream
KEEPALIVE = 10.0


class RunRequest(BaseModel):
    """A run to start: which scenario (and version), what to compute, with which options."""

    model_config = ConfigDict(extra="forbid")
    scenario: str = Field(description="scenario id (POST /api/scenarios)")
    version: int | None = Field(None, ge=1, le=MAX_VERSION, description="scenario version (default: the current one)")
    kind: RunKind = "analyze"
    options: dict[str, Any] = Field(default_factory=dict)


@router.post("", status_code=202, summary="Start a run in the background (the scenario's owner)")
def start_run(body: RunRequest, svc: Svc, caller: CallerDep) -> dict[str, Any]:
    require_scenario(svc, caller, body.scenario, "owner")
    options = parse_options(body.kind, body.options, svc.settings.max_draws)
    rec = svc.store.get_scenario(body.scenario, body.version)
    run = svc.runs.submit(rec.id, rec.version, rec.yaml, body.kind, options)
    return run.summary()


@router.get("", summary="List the runs the caller may read, newest first")
def list_runs(svc: Svc, caller: CallerDep, scenario: str | None = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    """Every run for the admin; for anyone else the runs of published scenarios and of the token's scenario
    (``?scenario=`` must be one the caller may read)."""
    if caller.is_admin:
        return {"runs": [r.summary() for r in svc.store.list_runs(scenario, limit)]}
    if scenario is not None:
        require_scenario(svc, caller, scenario, "read")
    found = svc.store.list_runs(scenario, limit, published_only=True, plus=caller.scenario_id)
    return {"runs": [r.summary() for r in found]}


@router.get("/compare", summary="Compare two runs: inputs that changed, results that moved")
def compare(a: str, b: str, svc: Svc, caller: CallerDep) -> dict[str, Any]:
    require_run(svc, caller, a, "read")
    require_run(svc, caller, b, "read")
    return compare_runs(svc.store.get_run(a), svc.store.get_run(b))


@router.get("/{run_id}", summary="A run with its results")
def get_run(run_id: str, svc: Svc, caller: CallerDep) -> dict[str, Any]:
    require_run(svc, caller, run_id, "read")
    run = svc.store.get_run(run_id)
    return {**run.summary(), "results": run.results}


@router.post("/{run_id}/cancel", summary="Cancel a queued or running run (the scenario's owner)")
def cancel_run(run_id: str, svc: Svc, caller: CallerDep) -> dict[str, Any]:
    require_run(svc, caller, run_id, "owner")
    return svc.store.cancel_run(run_id).summary()


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


@router.get("/{run_id}/events", summary="Follow a run (server-sent events: progress, then end)",
            response_class=StreamingResponse,
            responses={200: {"content": {"text/event-stream": {}}, "description": "`progress` events while the run "
                             "is queued or running, one `end` event with its final status"}})
async def events(run_id: str, request: Request, svc: Svc, caller: CallerDep) -> StreamingResponse:
    """The token goes in the ``Authorization`` header, as for every endpoint (read the stream with ``fetch``:
    ``EventSource`` cannot send headers, and the API takes no token from a query string, which servers log)."""
    await run_in_threadpool(require_run, svc, caller, run_id, "read")
    first = await run_in_threadpool(svc.store.get_run, run_id)  # 404 before the stream starts

    async def stream() -> AsyncIterator[str]:
        run, last, quiet = first, None, 0.0
        while True:
            state = (run.status, run.progress, run.message)
            if state != last:
                last, quiet = state, 0.0
                yield _event("progress", {"status": run.status, "progress": run.progress, "message": run.message})
            if run.finished:
                yield _event("end", run.summary())
                return
            if await request.is_disconnected():
                return
            await asyncio.sleep(EVENT_POLL)
            quiet += EVENT_POLL
            if quiet >= KEEPALIVE:
                quiet = 0.0
                yield ": keep-alive\n\n"
            run = await run_in_threadpool(svc.store.get_run, run_id)

    return StreamingResponse(stream(), media_type="text/event-stream", headers={"X-Accel-Buffering": "no"})
