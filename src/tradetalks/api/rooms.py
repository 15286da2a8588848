"""Confidential mediator rooms (issue #10 §4): each delegate enters its side's private inputs, the service
computes the joint frontier from both and shows each delegate only its own utilities.

Roles (tokens ``Authorization: Bearer <token>``, created with the room and shown once):

- ``owner``: tables proposals (the mediator's Nash package by default), reads the history;
- ``delegate`` of a party: sets its party's private inputs, reads its own utilities, accepts or rejects;
- ``viewer``: reads the history, writes nothing.

Private inputs are overrides of *private facts*: a fact is private to party P when every quantity that uses it
is a political weight of one of P's stakeholders or a direct option payoff to one of P's stakeholders
(:func:`private_facts`). Overriding such a fact changes P's utility only, never the other side's; anything
else (market data, elasticities, bargaining powers, discount rates, ratification, dated revisions, payoffs
shared by both sides) is common ground that stays as the scenario writes it.

What a delegate may see: its own inputs, its own utility of each package and of the mediator's package, the
packages and both parties' decisions. Never the other side's inputs or utilities. The mediator's package
itself depends on both sides' inputs (that is what a mediator is for), so it reveals what any single
negotiation text reveals; no number of the other side is shown.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from tradetalks.api.auth import AuthError, ForbiddenError
from tradetalks.api.auth import bearer_token as _bearer
from tradetalks.api.errors import ConflictError, RequestError
from tradetalks.api.evaluate import WarmModel, evaluate_package, warm_model
from tradetalks.api.service import Service, service
from tradetalks.errors import ScenarioError
from tradetalks.scenario.checks import quantities
from tradetalks.scenario.expressions import names_in
from tradetalks.scenario.loader import LoadedScenario, load_scenario_text
from tradetalks.scenario.schema import Scenario
from tradetalks.store.rooms import Grant, RoomStateError, RoomStore

router = APIRouter(prefix="/api/rooms", tags=["rooms"])
Svc = Annotated[Service, Depends(service)]
#: what a scenario is called in problems (no file is involved)
ROOM_SCENARIO = "scenario.yaml"
#: most fact overrides one delegate may send at once
MAX_OVERRIDES = 200
#: largest proposal number accepted in a URL (a 32-bit integer column on PostgreSQL)
MAX_PROPOSAL = 2**31 - 1
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


class NewRoom(BaseModel):
    scenario_id: str = Field(min_length=1, max_length=64)
    version: int | None = Field(default=None, ge=1)


class Inputs(BaseModel):
    overrides: dict[str, FiniteFloat] = Field(default_factory=dict, max_length=MAX_OVERRIDES,
                                        description="fact id → value, for facts private to your party")


class Tabled(BaseModel):
    package: dict[str, str] | None = Field(default=None, description="issue → option; omit for the mediator's "
                                                                      "Nash package on the joint frontier")


def private_facts(scn: Scenario) -> dict[str, set[str]]:
    """The facts private to each party (party id → fact ids).

    A fact is private to party P when it is used at least once and every use is the political weight of one of
    P's stakeholders or an option's direct payoff to one of P's stakeholders; a fact that a dated revision
    changes is never private.
    """
    owner = {st.id: party.id for party in scn.parties for st in party.stakeholders}
    uses: dict[str, set[str | None]] = {}
    for path, q in quantities(scn):
        who: str | None = None
        if path[:1] == ("parties",) and path[2:3] == ("stakeholders",) and path[-1] == "weight":
            who = scn.parties[int(path[1])].id
        elif path[:1] == ("issues",) and path[4:5] == ("payoffs",):
            who = owner.get(str(path[5]))
        for name in names_in(q):
            uses.setdefault(name, set()).add(who)
    revised = {rev.fact for rev in scn.valuation.revisions} if scn.valuation is not None else set()
    out: dict[str, set[str]] = {p.id: set() for p in scn.parties}
    for fid, who_all in uses.items():
        if fid in scn.facts and fid not in revised and len(who_all) == 1:
            (who,) = who_all
            if who is not None:
                out[who].add(fid)
    return out


def grant_for(svc: Service, room_id: str, authorization: str | None, *roles: str) -> Grant:
    """The caller's grant in ``room_id`` with one of ``roles``.

    The token is checked before the room is looked up, and a valid token of another room is refused exactly as
    for a room that does not exist, so no answer tells whether another room exists.

    Raises
    ------
    AuthError
        No token, a malformed one, or one the service does not know (401).
    ForbiddenError
        A token of another room, or a role that may not do this (403).
    """
    grant = RoomStore(svc.store).authenticate(_bearer(authorization))
    if grant is None:
        raise AuthError("the room token is not valid.", fix="use a token POST /api/rooms returned for this room")
    if grant.room_id != room_id:
        raise ForbiddenError("this token grants nothing in the room named by the URL.",
                             fix="use a token of this room")
    if grant.role not in roles:
        raise ForbiddenError(f"a {grant.role} token may not do this; it needs a token of role "
                             f"{' or '.join(roles)}.", fix="use the token of the role named")
    return grant


def _loaded(svc: Service, room_id: str, overrides: dict[str, float] | None = None) -> tuple[LoadedScenario, str]:
    room = RoomStore(svc.store).get_room(room_id)
    rec = svc.store.get_scenario(room.scenario_id, room.scenario_version)
    return load_scenario_text(rec.yaml, ROOM_SCENARIO, overrides=overrides), rec.sha256


def _joint(svc: Service, room_id: str) -> WarmModel:
    """The warm model of the scenario with both sides' private inputs (cached per inputs' content hash)."""
    store = RoomStore(svc.store)
    room = store.get_room(room_id)
    merged: dict[str, float] = {}
    for party_inputs in store.inputs(room_id).values():
        merged |= party_inputs  # private facts of the two parties are disjoint
    rec = svc.store.get_scenario(room.scenario_id, room.scenario_version)
    key = hashlib.sha256(json.dumps(sorted(merged.items())).encode()).hexdigest()

    def build() -> WarmModel:
        try:
            return warm_model(load_scenario_text(rec.yaml, ROOM_SCENARIO, overrides=merged))
        except ScenarioError:  # each side's inputs were valid alone; say nothing about which values clash
            raise ConflictError("the two sides' inputs together do not make a valid scenario.",
                                fix="each delegate may revise its inputs (PUT /api/rooms/{id}/inputs)") from None

    return svc.cache.get((f"room:{room_id}", f"{rec.sha256}:{key}"), build)


def _mine(warm: WarmModel, party: str, package: dict[str, str]) -> dict[str, Any]:
    ev = evaluate_package(warm, package)
    return {"package": ev["package"], "feasible": ev["feasible"], "utility": ev["utilities"][party]}


@router.post("", status_code=201, summary="Open a room on a stored scenario (tokens are shown once)")
def create_room(body: NewRoom, svc: Svc) -> dict[str, Any]:
    rec = svc.store.get_scenario(body.scenario_id, body.version)
    loaded = load_scenario_text(rec.yaml, ROOM_SCENARIO)
    parties = [p.id for p in loaded.scenario.parties]
    room, tokens = RoomStore(svc.store).create_room(rec.id, rec.version, parties)
    private = private_facts(loaded.scenario)
    return {"id": room.id, "scenario_id": rec.id, "scenario_version": rec.version, "status": room.status,
            "tokens": {"owner": tokens["owner"], "viewer": tokens["viewer"],
                       "delegates": {p: tokens[f"delegate:{p}"] for p in parties}},
            "private_facts": {p: sorted(f) for p, f in private.items()},
            "note": "each token is shown only now; the service keeps a salted hash"}


@router.put("/{room_id}/inputs", summary="A delegate sets its party's private inputs (fact overrides)")
async def put_inputs(room_id: str, body: Inputs, svc: Svc,
                     authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    grant = await run_in_threadpool(grant_for, svc, room_id, authorization, "delegate")
    party = str(grant.party)
    room = await run_in_threadpool(RoomStore(svc.store).get_room, room_id)
    if room.status == "agreed":
        raise ConflictError("the room has agreed; inputs no longer change.", fix="open a new room")
    loaded, _ = await run_in_threadpool(_loaded, svc, room_id)
    mine = private_facts(loaded.scenario)[party]
    refused = sorted(set(body.overrides) - mine)
    if refused:  # unknown facts and the other side's are refused alike, with no value named
        raise RequestError(f"{len(refused)} fact(s) are not private to party {party!r}.",
                           [{"file": "request", "line": None, "path": f"overrides.{fid}",
                             "message": f"{fid!r} is not a fact private to party {party!r}.",
                             "fix": f"override only: {', '.join(sorted(mine)) or '(none in this scenario)'}"}
                            for fid in refused])
    await run_in_threadpool(_loaded, svc, room_id, dict(body.overrides))  # own inputs alone must be valid
    await run_in_threadpool(RoomStore(svc.store).set_inputs, room_id, party, body.overrides)
    return {"party": party, "overrides": body.overrides}


@router.post("/{room_id}/proposals", status_code=201,
             summary="The owner tables a package (default: the mediator's Nash package on the joint frontier)")
async def table_proposal(room_id: str, body: Tabled, svc: Svc,
                         authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    await run_in_threadpool(grant_for, svc, room_id, authorization, "owner")
    store = RoomStore(svc.store)
    room = await run_in_threadpool(store.get_room, room_id)
    if room.status == "agreed":
        raise ConflictError("the room has agreed; no further proposal is tabled.", fix="open a new room")
    warm = await run_in_threadpool(_joint, svc, room_id)
    if body.package is None:
        nash = warm.solutions.get("nash")
        if nash is None:
            raise ConflictError("no package on the joint frontier is better than no deal for both sides.",
                                fix="table a package of your own, or let the delegates revise their inputs")
        package = dict(nash["package"])
        tabled_by = "mediator"
    else:
        package = evaluate_package(warm, body.package)["package"]  # validates issue and option ids (public)
        tabled_by = "owner"
    rec = await run_in_threadpool(store.table_proposal, room_id, package, tabled_by)
    return rec.summary()


@router.post("/{room_id}/proposals/{number}/{decision}", summary="A delegate accepts or rejects a proposal")
async def decide(room_id: str, number: Annotated[int, Path(ge=1, le=MAX_PROPOSAL)],
                 decision: Literal["accept", "reject"], svc: Svc,
                 authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    grant = await run_in_threadpool(grant_for, svc, room_id, authorization, "delegate")
    store = RoomStore(svc.store)
    room = await run_in_threadpool(store.get_room, room_id)
    loaded, _ = await run_in_threadpool(_loaded, svc, room.id)
    parties = [p.id for p in loaded.scenario.parties]
    try:
        rec = await run_in_threadpool(store.decide, room_id, number, str(grant.party), decision, parties)
    except RoomStateError as exc:
        raise ConflictError(exc.what, fix=exc.fix) from None
    out = rec.summary()
    out["room_status"] = "agreed" if rec.status == "agreed" else room.status
    return out


@router.get("/{room_id}/view", summary="What the caller may see: a delegate its own utilities only")
def view(room_id: str, svc: Svc, authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    grant = grant_for(svc, room_id, authorization, "owner", "delegate", "viewer")
    store = RoomStore(svc.store)
    room = store.get_room(room_id)
    history = store.proposals(room_id)
    inputs = store.inputs(room_id)
    out: dict[str, Any] = {"id": room.id, "scenario_id": room.scenario_id, "scenario_version": room.scenario_version,
                           "status": room.status, "role": grant.role, "party": grant.party,
                           "inputs_entered": sorted(inputs), "history": [p.summary() for p in history]}
    if grant.role != "delegate":
        return out
    party = str(grant.party)
    warm = _joint(svc, room_id)
    current = history[-1] if history else None
    nash = warm.solutions.get("nash")
    out |= {"my_inputs": inputs.get(party, {}),
            "current": None if current is None else {"number": current.number, "status": current.status,
                                                     **_mine(warm, party, current.package)},
            "mediator": None if nash is None else _mine(warm, party, dict(nash["package"])),
            "batna_utility": 0.0,
            "units": "USD/yr against the BATNA, politically weighted (your utility only)"}
    return out
