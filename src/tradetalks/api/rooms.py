"""Confidential mediator rooms (issue #10 §4): each delegate enters its side's private inputs, the service
computes the joint frontier from both and shows each delegate only its own utilities.

Roles (tokens ``Authorization: Bearer <token>``, created with the room and shown once; rotated or revoked by the
owner, a delegate rotates its own; the service's admin token acts as the owner of every room):

- ``owner``: tables proposals (the mediator's package by a rule it chooses, or a package of its own), proposes
  post-settlement improvements, publishes the room, rotates and revokes tokens, reads the history;
- ``delegate`` of a party: sets its party's private inputs, reads its own utilities, accepts or rejects;
- ``viewer``: reads the history, writes nothing.
- Without a token: the history of a room its owner published (packages and decisions; no utility, no input).

Private inputs are overrides of *private facts*: a fact is private to party P when every quantity that uses it
is a political weight of one of P's stakeholders or a direct option payoff to one of P's stakeholders
(:func:`private_facts`). Overriding such a fact changes P's utility only, never the other side's; anything
else (market data, elasticities, bargaining powers, discount rates, ratification, dated revisions, payoffs
shared by both sides) is common ground that stays as the scenario writes it.

What a delegate may see: its own inputs, its own utility of each package and of the mediator's package, its
own gain from a proposed improvement, the range of its own utility on the joint frontier, the packages and
both parties' decisions. Never the other side's inputs or utilities. The mediator's package itself depends on
both sides' inputs (that is what a mediator is for), so it reveals what any single negotiation text reveals;
no number of the other side is shown.

Post-settlement (Raiffa 1985): once both accepted a package, the owner may ask the service for a Pareto
improvement of it on the joint frontier, a package *strictly* better for both sides by their private inputs,
chosen by a rule of :mod:`tradetalks.bargain.improve`; it replaces the agreement only when both accept.

References
----------
Raiffa, H. (1985). Post-settlement settlements. *Negotiation Journal* 1(1), 9-12.
https://doi.org/10.1111/j.1571-9979.1985.tb00286.x
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any, Literal, get_args

import numpy as np
from fastapi import APIRouter, Depends, Header, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from tradetalks.api.auth import ForbiddenError, authenticate, require_scenario
from tradetalks.api.auth import bearer_token as _bearer
from tradetalks.api.errors import ConflictError, RequestError
from tradetalks.api.evaluate import WarmModel, evaluate_package, warm_model
from tradetalks.api.service import Service, service
from tradetalks.bargain.improve import improvement_objective
from tradetalks.bargain.solutions import pick_best
from tradetalks.errors import NotFoundError, ScenarioError
from tradetalks.model import decode_package, package_value
from tradetalks.options import ImprovementRule, MediatorRule
from tradetalks.scenario.checks import quantities
from tradetalks.scenario.expressions import names_in
from tradetalks.scenario.loader import LoadedScenario, load_scenario_text
from tradetalks.scenario.schema import Scenario
from tradetalks.store.rooms import Grant, ProposalRecord, Role, RoomStateError, RoomStore
from tradetalks.store.tokens import same_fingerprint

router = APIRouter(prefix="/api/rooms", tags=["rooms"])
Svc = Annotated[Service, Depends(service)]
#: what a scenario is called in problems (no file is involved)
ROOM_SCENARIO = "scenario.yaml"
#: most fact overrides one delegate may send at once
MAX_OVERRIDES = 200
#: largest proposal number accepted in a URL (a 32-bit integer column on PostgreSQL)
MAX_PROPOSAL = 2**31 - 1
#: an improvement must raise each side's utility by more than this share of the frontier's largest |utility|
#: (below it, a "gain" is floating-point noise of summing issue values, not a better package)
IMPROVEMENT_RTOL = 1e-9
MEDIATOR_RULES: tuple[MediatorRule, ...] = get_args(MediatorRule)
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
UNITS = "USD/yr against the BATNA, politically weighted (your utility only)"


class NewRoom(BaseModel):
    scenario_id: str = Field(min_length=1, max_length=64)
    version: int | None = Field(default=None, ge=1)


class Inputs(BaseModel):
    overrides: dict[str, FiniteFloat] = Field(default_factory=dict, max_length=MAX_OVERRIDES,
                                        description="fact id → value, for facts private to your party")


class Tabled(BaseModel):
    package: dict[str, str] | None = Field(default=None, description="issue → option; omit for the mediator's "
                                                                      "package on the joint frontier")
    rule: MediatorRule | None = Field(default=None, description="the mediator's rule when no package is given "
                                                                "(default nash)")


class ImprovementAsk(BaseModel):
    rule: ImprovementRule = Field(default="nash", description="how to pick among the packages better for both: "
                                  "nash (Raiffa's post-settlement settlement), equal_gains, proportional, "
                                  "utilitarian (tradetalks.bargain.improve)")


class TokenSlot(BaseModel):
    role: Role | None = Field(default=None, description="whose token; omitted: the caller's own")
    party: str | None = Field(default=None, max_length=64, description="the party, for a delegate's token")


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


def _is_admin(svc: Service, token: str) -> bool:
    """Whether ``token`` is the service's admin token (compared by SHA-256 in constant time)."""
    return svc.admin_fingerprint is not None and same_fingerprint(svc.admin_fingerprint, token)


def grant_for(svc: Service, room_id: str, authorization: str | None, *roles: str) -> Grant:
    """The caller's grant in ``room_id`` with one of ``roles``.

    The token is checked before the room is looked up, and a valid token of another room is refused exactly as
    for a room that does not exist, so no answer tells whether another room exists. The service's admin token
    (``Settings.admin_token``) is the owner of every room.

    Raises
    ------
    AuthError
        No token, a malformed one, a revoked one, or one the service does not know (401).
    ForbiddenError
        A token of another room or a scenario's, or a role that may not do this (403).
    """
    token = _bearer(authorization)
    store = RoomStore(svc.store)
    if _is_admin(svc, token):
        grant = Grant(room_id=store.get_room(room_id).id, role="owner", party=None)
    else:
        found = store.authenticate(token)
        if found is None:
            authenticate(svc, authorization)  # 401 when the token is valid nowhere (unknown, revoked, rotated)
            raise ForbiddenError("this token grants nothing in the room named by the URL.",
                                 fix="use a token of this room")  # a scenario's token: valid, but not here
        grant = found
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


def _party_index(warm: WarmModel, party: str) -> int:
    return list(warm.model.cs.parties).index(party)


def _utilities(warm: WarmModel, package: dict[str, str]) -> np.ndarray:
    """Both sides' utilities of ``package``, summed issue by issue as the frontier's are (never sent out)."""
    _, util = package_value(warm.model, package)
    return np.asarray(util, dtype=np.float64)


def _mine(warm: WarmModel, party: str, package: dict[str, str]) -> dict[str, Any]:
    ev = evaluate_package(warm, package)
    return {"package": ev["package"], "feasible": ev["feasible"], "utility": ev["utilities"][party]}


def _rule_unavailable(rule: str, warm: WarmModel) -> RequestError:
    have = [r for r in MEDIATOR_RULES if r in warm.solutions]
    return RequestError(f"the rule {rule!r} is not available in this scenario.",
                        [{"file": "request", "line": None, "path": "rule",
                          "message": f"{rule!r} needs a discount rate for every party in the scenario.",
                          "fix": f"use one of: {', '.join(have)}"}])


def _pareto_improvement(warm: WarmModel, agreed: dict[str, str], rule: ImprovementRule) -> dict[str, str] | None:
    """The package on the joint frontier that ``rule`` picks among those strictly better for both sides than
    ``agreed``, or ``None`` when there is none (the agreement is efficient by both sides' inputs).

    The candidates are the frontier points whose gain over the agreement exceeds :data:`IMPROVEMENT_RTOL` of
    the frontier's scale for *each* side (a weak improvement, better for one side only, is not offered: both must
    accept it); the objective and tie-breaking are those of :func:`tradetalks.bargain.improve.improve_deal`.
    """
    points = warm.frontier.utilities
    deal = _utilities(warm, agreed)
    gains = points - deal
    tol = IMPROVEMENT_RTOL * max(1.0, float(np.abs(points).max()) if points.size else 1.0)
    better = np.asarray((gains > tol).all(axis=1), dtype=np.bool_)
    best = pick_best(improvement_objective(rule, gains, deal), points, better)
    if best is None:
        return None
    return decode_package(warm.model, warm.frontier.choices[best])


def _own_frontier(warm: WarmModel, party: str) -> dict[str, Any] | None:
    """The range of one side's utility over the joint frontier's packages that both prefer to no deal."""
    u = warm.frontier.utilities
    rational = u[(u > 0).all(axis=1)]
    if rational.shape[0] == 0:
        return None
    mine = rational[:, _party_index(warm, party)]
    return {"min": float(mine.min()), "max": float(mine.max()), "n_points": int(mine.shape[0])}


def _issues(scn: Scenario) -> list[dict[str, Any]]:
    """The agenda (ids and names only; the scenario's structure, no value)."""
    return [{"id": i.id, "name": i.name, "batna": i.batna, "options": [{"id": o.id, "label": o.label}
                                                                        for o in i.options]} for i in scn.issues]


def may_open_room(svc: Service, authorization: str | None, scenario_id: str) -> None:
    """Opening a room on a scenario is a write on it: the scenario's owner token or the admin's
    (:func:`tradetalks.api.auth.require_scenario`, checked before the scenario is looked up).

    Raises
    ------
    AuthError
        No token, or one the service does not know (401).
    ForbiddenError
        A viewer's token, a token of another scenario or a room's (403, the same whether the scenario exists).
    """
    require_scenario(svc, authenticate(svc, authorization), scenario_id, "owner")


@router.post("", status_code=201, summary="Open a room on a stored scenario (tokens are shown once)")
def create_room(body: NewRoom, svc: Svc, authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    may_open_room(svc, authorization, body.scenario_id)
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
             summary="The owner tables a package: its own, or the mediator's by a rule (default Nash)")
async def table_proposal(room_id: str, body: Tabled, svc: Svc,
                         authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    await run_in_threadpool(grant_for, svc, room_id, authorization, "owner")
    store = RoomStore(svc.store)
    room = await run_in_threadpool(store.get_room, room_id)
    if room.status == "agreed":
        raise ConflictError("the room has agreed; no further proposal is tabled.",
                            fix="propose a Pareto improvement of the agreement (POST /api/rooms/{id}/improvements)")
    if body.package is not None and body.rule is not None:
        raise RequestError("give a package or a rule, not both.",
                           [{"file": "request", "line": None, "path": "rule",
                             "message": "a rule picks the mediator's package; this request also gives one.",
                             "fix": "drop `rule` to table your package, or `package` for the mediator's"}])
    warm = await run_in_threadpool(_joint, svc, room_id)
    rule: MediatorRule | None = None
    if body.package is None:
        rule = body.rule or "nash"
        if rule not in warm.solutions:
            raise _rule_unavailable(rule, warm)
        found = warm.solutions[rule]
        if found is None:
            raise ConflictError("no package on the joint frontier is better than no deal for both sides.",
                                fix="table a package of your own, or let the delegates revise their inputs")
        package = dict(found["package"])
        tabled_by = "mediator"
    else:
        package = evaluate_package(warm, body.package)["package"]  # validates issue and option ids (public)
        tabled_by = "owner"
    try:
        rec = await run_in_threadpool(lambda: store.table_proposal(room_id, package, tabled_by, rule=rule))
    except RoomStateError as exc:  # agreed since the check above
        raise ConflictError(exc.what, fix=exc.fix) from None
    return rec.summary()


@router.post("/{room_id}/improvements", status_code=201,
             summary="After an agreement, the owner asks for a Pareto improvement better for both (post-settlement)")
async def propose_improvement(room_id: str, body: ImprovementAsk, svc: Svc,
                              authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    await run_in_threadpool(grant_for, svc, room_id, authorization, "owner")
    store = RoomStore(svc.store)
    agreed = await run_in_threadpool(store.agreement, room_id)
    if agreed is None:
        raise ConflictError("the room has no agreement to improve yet.",
                            fix="table proposals (POST /api/rooms/{id}/proposals) until both sides accept one")
    warm = await run_in_threadpool(_joint, svc, room_id)
    package = _pareto_improvement(warm, agreed.package, body.rule)
    if package is None:
        raise ConflictError("no package on the joint frontier is better for both sides than the agreement.",
                            fix="the agreement stands; nothing is left on the table by both sides' inputs")
    try:
        rec = await run_in_threadpool(lambda: store.table_proposal(room_id, package, "mediator", kind="improvement",
                                                                   rule=body.rule))
    except RoomStateError as exc:
        raise ConflictError(exc.what, fix=exc.fix) from None
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


@router.post("/{room_id}/publish", summary="The owner publishes the room's history read-only (no token needed)")
def publish(room_id: str, svc: Svc, authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    grant_for(svc, room_id, authorization, "owner")
    room = RoomStore(svc.store).set_published(room_id, True)
    return {"id": room.id, "published": True, "published_at": room.published_at}


@router.post("/{room_id}/unpublish", summary="The owner withdraws the room's published history")
def unpublish(room_id: str, svc: Svc, authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    grant_for(svc, room_id, authorization, "owner")
    room = RoomStore(svc.store).set_published(room_id, False)
    return {"id": room.id, "published": False, "published_at": None}


def _slot(svc: Service, room_id: str, grant: Grant, body: TokenSlot) -> tuple[Role, str | None]:
    """The token slot ``body`` names, checked against what the caller may touch (a delegate: its own only)."""
    role: Role = body.role or grant.role
    party = body.party if role == "delegate" else None
    if role == "delegate" and party is None:
        party = grant.party if grant.role == "delegate" else None
    if grant.role == "delegate" and (role, party) != ("delegate", grant.party):
        raise ForbiddenError("a delegate may rotate only its own token.",
                             fix="send no role, or ask the room's owner")
    if role == "delegate":
        loaded, _ = _loaded(svc, room_id)
        parties = [p.id for p in loaded.scenario.parties]
        if party not in parties:
            raise RequestError("a delegate's token needs one of the room's parties.",
                               [{"file": "request", "line": None, "path": "party",
                                 "message": f"{party!r} is not a party of this room.",
                                 "fix": f"use one of: {', '.join(parties)}"}])
    return role, party


@router.post("/{room_id}/tokens/rotate",
             summary="A new token for a role (owner: any; a delegate: its own); the old one stops working")
def rotate_token(room_id: str, body: TokenSlot, svc: Svc,
                 authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    grant = grant_for(svc, room_id, authorization, "owner", "delegate")
    role, party = _slot(svc, room_id, grant, body)
    token = RoomStore(svc.store).rotate_token(room_id, role, party)
    return {"role": role, "party": party, "token": token,
            "note": "this token is shown only now; the one it replaces no longer works"}


@router.post("/{room_id}/tokens/revoke", summary="The owner revokes a viewer's or a delegate's token")
def revoke_token(room_id: str, body: TokenSlot, svc: Svc,
                 authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    grant = grant_for(svc, room_id, authorization, "owner")
    if body.role in (None, "owner"):
        raise RequestError("the owner's token is rotated, not revoked (a room needs an owner).",
                           [{"file": "request", "line": None, "path": "role",
                             "message": "name the viewer or a delegate", "fix": "send role viewer or delegate, "
                             "or rotate the owner's token (POST /api/rooms/{id}/tokens/rotate)"}])
    role, party = _slot(svc, room_id, grant, body)
    n = RoomStore(svc.store).revoke_token(room_id, role, party)
    return {"role": role, "party": party, "revoked": n,
            "fix": "POST /api/rooms/{id}/tokens/rotate with the same role gives the slot a new token"}


def _public(svc: Service, room_id: str, authorization: str | None) -> dict[str, Any] | None:
    """The view of a published room for a caller without a token; ``None`` when the caller sent a token.

    A room that does not exist or is not published is refused exactly like a missing token (401)."""
    if authorization is not None:
        return None
    try:
        room = RoomStore(svc.store).get_room(room_id)
    except NotFoundError:
        room = None
    if room is None or not room.published:
        _bearer(None)  # raises the 401 of a missing token
    assert room is not None
    loaded, _ = _loaded(svc, room_id)
    return {**_common(room, loaded.scenario, RoomStore(svc.store).proposals(room_id)),
            "role": "public", "party": None}


def _common(room: Any, scn: Scenario, history: list[ProposalRecord]) -> dict[str, Any]:
    return {"id": room.id, "scenario_id": room.scenario_id, "scenario_version": room.scenario_version,
            "title": scn.title, "status": room.status, "published": room.published,
            "parties": [{"id": p.id, "name": p.name} for p in scn.parties], "issues": _issues(scn),
            "history": [p.summary() for p in history]}


@router.get("/{room_id}/view", summary="What the caller may see: a delegate its own utilities only; without a "
                                       "token, the history of a published room")
def view(room_id: str, svc: Svc, authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    public = _public(svc, room_id, authorization)
    if public is not None:
        return public
    grant = grant_for(svc, room_id, authorization, "owner", "delegate", "viewer")
    store = RoomStore(svc.store)
    room = store.get_room(room_id)
    history = store.proposals(room_id)
    inputs = store.inputs(room_id)
    loaded, _ = _loaded(svc, room_id)
    out: dict[str, Any] = {**_common(room, loaded.scenario, history), "role": grant.role, "party": grant.party,
                           "inputs_entered": sorted(inputs)}
    if grant.role == "owner":
        try:
            joint: WarmModel | None = _joint(svc, room_id)
        except ConflictError:  # the two sides' inputs clash: no rule gives a package until one revises
            joint = None
        out["rules"] = {r: joint is not None and joint.solutions.get(r) is not None for r in MEDIATOR_RULES}
        out["improvement_rules"] = list(get_args(ImprovementRule))
    if grant.role != "delegate":
        return out
    party = str(grant.party)
    facts = loaded.scenario.facts
    mine = sorted(private_facts(loaded.scenario)[party])
    out |= {"my_facts": [{"id": f, "value": facts[f].value, "unit": facts[f].unit} for f in mine],
            "my_inputs": inputs.get(party, {}), "batna_utility": 0.0, "units": UNITS}
    try:
        warm = _joint(svc, room_id)
    except ConflictError as exc:  # both sides' inputs clash: the delegate may still revise its own
        return out | {"joint_problem": f"{exc.what} {exc.fix}", "current": None, "agreement": None,
                      "mediator": None, "my_frontier": None}
    current = history[-1] if history else None
    agreed = next((p for p in reversed(history) if p.status == "agreed"), None)
    nash = warm.solutions.get("nash")
    cur: dict[str, Any] | None = None
    if current is not None:
        cur = {"number": current.number, "kind": current.kind, "rule": current.rule, "status": current.status,
               **_mine(warm, party, current.package)}
        if current.kind == "improvement" and agreed is not None and agreed.number != current.number:
            cur["gain"] = cur["utility"] - _mine(warm, party, agreed.package)["utility"]
    return out | {"joint_problem": None, "current": cur,
                  "agreement": None if agreed is None else {"number": agreed.number,
                                                            **_mine(warm, party, agreed.package)},
                  "mediator": None if nash is None else _mine(warm, party, dict(nash["package"])),
                  "my_frontier": _own_frontier(warm, party)}
