"""Confidential mediator rooms in the store: rooms, hashed tokens, each party's private inputs, proposals.

A token is ``<token id>.<secret>``; the store keeps the id, a random per-token salt and
SHA-256(salt ‖ secret), and checks a presented secret with :func:`hmac.compare_digest`. The secret itself is
returned once, when the room is created or the token rotated, and never stored. A rotated or revoked token keeps
its row (``revoked_at`` set) and stops working at once.

Proposals are of two kinds: ``proposal`` (the single negotiation text before an agreement) and ``improvement``
(a post-settlement Pareto improvement of the agreement, which replaces it once every party accepted; the
replaced agreement's status becomes ``replaced``). The history keeps every row.

Example
-------
>>> from tradetalks.store import Store
>>> store = Store("sqlite://")
>>> s = store.create_scenario("toy", "id: toy\\n")
>>> room, tokens = RoomStore(store).create_room(s.id, s.version, ["A", "B"])
>>> RoomStore(store).authenticate(tokens["delegate:A"]).party
'A'
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, select, update

from tradetalks.errors import NotFoundError, TradetalksError
from tradetalks.store.repository import Store, new_id
from tradetalks.store.tables import room_inputs, room_proposals, room_tokens, rooms
from tradetalks.store.tokens import SALT_BYTES, issue, token_digest  # one token scheme for rooms and scenarios

#: who holds a token: the room's owner, the delegate of one party, or a reader
Role = Literal["owner", "delegate", "viewer"]
#: a package tabled before an agreement, or a Pareto improvement of the agreement after it
ProposalKind = Literal["proposal", "improvement"]


class RoomStateError(TradetalksError):
    """An operation that does not fit the state of a room or proposal (the service answers 409)."""

    code = "conflict"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(t: dt.datetime | None) -> str | None:
    if t is None:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).isoformat()


@dataclass(frozen=True)
class Grant:
    """What a valid token grants: a role in one room (a party for a delegate)."""

    room_id: str
    role: Role
    party: str | None


@dataclass(frozen=True)
class RoomRecord:
    """A room: the scenario version it negotiates over and its status (``open`` or ``agreed``)."""

    id: str
    scenario_id: str
    scenario_version: int
    status: str
    created_at: str
    published_at: str | None = None

    @property
    def published(self) -> bool:
        """Whether the room's history is readable without a token."""
        return self.published_at is not None


@dataclass(frozen=True)
class ProposalRecord:
    """A package tabled in a room, and each party's decision on it (``accept`` or ``reject``)."""

    number: int
    package: dict[str, str]
    tabled_by: str
    status: str
    decisions: dict[str, str]
    created_at: str
    decided_at: str | None
    kind: ProposalKind = "proposal"
    rule: str | None = None

    def summary(self) -> dict[str, Any]:
        """Everything recorded of the proposal (no utilities: the store holds none)."""
        return {"number": self.number, "kind": self.kind, "package": self.package, "tabled_by": self.tabled_by,
                "rule": self.rule, "status": self.status, "decisions": self.decisions,
                "created_at": self.created_at, "decided_at": self.decided_at}


class RoomStore:
    """Room operations on a :class:`~tradetalks.store.Store` (same engine, same one-writer rule on SQLite)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def create_room(self, scenario_id: str, version: int, parties: Sequence[str]) -> tuple[RoomRecord, dict[str, str]]:
        """A new room and its tokens (``owner``, ``viewer``, ``delegate:<party>`` → token), shown only here."""
        rid, now = new_id(), _now()
        grants: list[tuple[str, Role, str | None]] = [("owner", "owner", None), ("viewer", "viewer", None)]
        grants += [(f"delegate:{p}", "delegate", p) for p in parties]
        tokens: dict[str, str] = {}
        with self.store._write() as conn:
            conn.execute(rooms.insert().values(id=rid, scenario_id=scenario_id, scenario_version=version,
                                               status="open", created_at=now, updated_at=now))
            for name, role, party in grants:
                tokens[name] = _insert_token(conn, rid, role, party, now)
        return RoomRecord(rid, scenario_id, version, "open", _iso(now) or ""), tokens

    def rotate_token(self, room_id: str, role: Role, party: str | None) -> str:
        """A new token for ``role`` (and ``party`` for a delegate) in ``room_id``; the slot's valid tokens are
        revoked in the same transaction. The new token is returned only here."""
        now = _now()
        with self.store._write() as conn:
            self._revoke(conn, room_id, role, party, now)
            return _insert_token(conn, room_id, role, party, now)

    def revoke_token(self, room_id: str, role: Role, party: str | None) -> int:
        """Revoke the valid tokens of ``role`` (and ``party``) in ``room_id``; returns how many were revoked.
        The slot has no token until :meth:`rotate_token` makes one."""
        with self.store._write() as conn:
            return self._revoke(conn, room_id, role, party, _now())

    @staticmethod
    def _revoke(conn: Any, room_id: str, role: Role, party: str | None, now: dt.datetime) -> int:
        same_party = room_tokens.c.party.is_(None) if party is None else room_tokens.c.party == party
        done = conn.execute(update(room_tokens).where(room_tokens.c.room_id == room_id, room_tokens.c.role == role,
                                                      same_party, room_tokens.c.revoked_at.is_(None))
                            .values(revoked_at=now))
        return int(done.rowcount or 0)

    def authenticate(self, token: str) -> Grant | None:
        """The grant of ``token``, or ``None`` when it is malformed, unknown or its secret does not match.

        The digest is compared in constant time; an unknown id costs one digest too, so timing does not tell
        unknown ids from wrong secrets.
        """
        tid, _, secret = token.partition(".")
        if not tid or not secret:
            return None
        with self.store.engine.connect() as conn:
            row = conn.execute(select(room_tokens).where(room_tokens.c.id == tid)).mappings().first()
        salt, digest = (row["salt"], row["digest"]) if row is not None else ("0" * 2 * SALT_BYTES, "")
        ok = hmac.compare_digest(token_digest(salt, secret), digest)
        if row is None or not ok or row["revoked_at"] is not None:
            return None
        return Grant(room_id=row["room_id"], role=row["role"], party=row["party"])

    def get_room(self, room_id: str) -> RoomRecord:
        with self.store.engine.connect() as conn:
            row = conn.execute(select(rooms).where(rooms.c.id == room_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no room {room_id!r}.", fix="use the room id POST /api/rooms returned")
        return RoomRecord(row["id"], row["scenario_id"], int(row["scenario_version"]), row["status"],
                          _iso(row["created_at"]) or "", _iso(row["published_at"]))

    def set_published(self, room_id: str, published: bool) -> RoomRecord:
        """Publish the room's history read-only (``True``) or withdraw it (``False``)."""
        now = _now()
        with self.store._write() as conn:
            conn.execute(update(rooms).where(rooms.c.id == room_id)
                         .values(published_at=now if published else None, updated_at=now))
        return self.get_room(room_id)

    def inputs(self, room_id: str) -> dict[str, dict[str, float]]:
        """Every party's private fact overrides (party → fact → value). Only the mediator's maths reads them all."""
        with self.store.engine.connect() as conn:
            found = conn.execute(select(room_inputs).where(room_inputs.c.room_id == room_id)).mappings().all()
        return {r["party"]: {k: float(v) for k, v in r["overrides"].items()} for r in found}

    def set_inputs(self, room_id: str, party: str, overrides: Mapping[str, float]) -> None:
        """Replace one party's private inputs (one transaction)."""
        now = _now()
        with self.store._write() as conn:
            conn.execute(room_inputs.delete().where(room_inputs.c.room_id == room_id, room_inputs.c.party == party))
            conn.execute(room_inputs.insert().values(room_id=room_id, party=party, overrides=dict(overrides),
                                                     updated_at=now))
            conn.execute(update(rooms).where(rooms.c.id == room_id).values(updated_at=now))

    def proposals(self, room_id: str) -> list[ProposalRecord]:
        """The room's history, oldest first."""
        with self.store.engine.connect() as conn:
            found = conn.execute(select(room_proposals).where(room_proposals.c.room_id == room_id)
                                 .order_by(room_proposals.c.number)).mappings().all()
        return [_proposal(r) for r in found]

    def agreement(self, room_id: str) -> ProposalRecord | None:
        """The standing agreement of the room (the proposal or improvement every party accepted last), if any."""
        agreed = [p for p in self.proposals(room_id) if p.status == "agreed"]
        return agreed[-1] if agreed else None

    def table_proposal(self, room_id: str, package: Mapping[str, str], tabled_by: str, *,
                       kind: ProposalKind = "proposal", rule: str | None = None) -> ProposalRecord:
        """Table a package: it becomes the single negotiation text; an open earlier one is superseded.

        Raises
        ------
        RoomStateError
            If the room's status does not admit this kind (a proposal once agreed, an improvement before).
        """
        now = _now()
        with self.store._write() as conn:
            status = conn.execute(select(rooms.c.status).where(rooms.c.id == room_id)).scalar()
            if (status == "agreed") != (kind == "improvement"):
                raise RoomStateError(
                    "the room has agreed; only Pareto improvements of the agreement are tabled now."
                    if kind == "proposal" else "the room has no agreement to improve yet.",
                    fix="propose an improvement (POST /api/rooms/{id}/improvements)" if kind == "proposal"
                    else "table proposals (POST /api/rooms/{id}/proposals) until both sides accept one")
            last = conn.execute(select(func.max(room_proposals.c.number))
                                .where(room_proposals.c.room_id == room_id)).scalar()
            number = int(last or 0) + 1
            conn.execute(update(room_proposals).where(room_proposals.c.room_id == room_id,
                                                      room_proposals.c.status == "open")
                         .values(status="superseded", decided_at=now))
            conn.execute(room_proposals.insert().values(room_id=room_id, number=number, package=dict(package),
                                                        tabled_by=tabled_by, status="open", decisions={},
                                                        created_at=now, kind=kind, rule=rule))
            conn.execute(update(rooms).where(rooms.c.id == room_id).values(updated_at=now))
        return ProposalRecord(number, dict(package), tabled_by, "open", {}, _iso(now) or "", None, kind, rule)

    def decide(self, room_id: str, number: int, party: str, decision: Literal["accept", "reject"],
               parties: Sequence[str]) -> ProposalRecord:
        """Record a party's decision on an open proposal: ``rejected`` at once on a rejection, ``agreed`` (and
        the room too) once every party accepted. An improvement every party accepted replaces the standing
        agreement (whose status becomes ``replaced``); a rejected improvement leaves the agreement standing.

        Raises
        ------
        NotFoundError
            If the room has no such proposal.
        RoomStateError
            If the proposal is no longer open (superseded, rejected or agreed).
        """
        now = _now()
        with self.store._write() as conn:
            row = conn.execute(select(room_proposals).where(room_proposals.c.room_id == room_id,
                                                            room_proposals.c.number == number)).mappings().first()
            if row is None:
                raise NotFoundError(f"room {room_id!r} has no proposal {number}.",
                                    fix="use a proposal number from the room's history (GET /api/rooms/{id}/view)")
            if row["status"] != "open":
                raise RoomStateError(f"proposal {number} is {row['status']}, not open to decisions.",
                                     fix="decide on the room's latest open proposal")
            decisions = dict(row["decisions"]) | {party: decision}
            status = "rejected" if decision == "reject" else (
                "agreed" if all(decisions.get(p) == "accept" for p in parties) else "open")
            done = now if status != "open" else None
            if status == "agreed":  # an accepted improvement replaces the agreement it improves
                conn.execute(update(room_proposals).where(room_proposals.c.room_id == room_id,
                                                          room_proposals.c.status == "agreed")
                             .values(status="replaced"))
            conn.execute(update(room_proposals).where(room_proposals.c.room_id == room_id,
                                                      room_proposals.c.number == number)
                         .values(decisions=decisions, status=status, decided_at=done))
            conn.execute(update(rooms).where(rooms.c.id == room_id)
                         .values(updated_at=now, **({"status": "agreed"} if status == "agreed" else {})))
        return ProposalRecord(number, dict(row["package"]), row["tabled_by"], status, decisions,
                              _iso(row["created_at"]) or "", _iso(done), row["kind"] or "proposal", row["rule"])


def _insert_token(conn: Any, room_id: str, role: Role, party: str | None, now: dt.datetime) -> str:
    """Store a new token's salted hash; the token itself (``<id>.<secret>``) is returned, never stored."""
    made = issue()
    conn.execute(room_tokens.insert().values(id=made.id, room_id=room_id, role=role, party=party, salt=made.salt,
                                             digest=made.digest, created_at=now))
    return made.token


def _proposal(row: Any) -> ProposalRecord:
    return ProposalRecord(number=int(row["number"]), package=dict(row["package"]), tabled_by=row["tabled_by"],
                          status=row["status"], decisions=dict(row["decisions"]), created_at=_iso(row["created_at"])
                          or "", decided_at=_iso(row["decided_at"]), kind=row["kind"] or "proposal",
                          rule=row["rule"])
