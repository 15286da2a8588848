"""The store's operations: scenarios (every version kept) and runs, each write one transaction.

Example
-------
>>> store = Store("sqlite://")
>>> s = store.create_scenario("toy", "id: toy\\n")
>>> (s.version, store.get_scenario(s.id).yaml)
(1, 'id: toy\\n')
>>> run = store.create_run(s.id, s.version, "analyze", {})
>>> store.finish_run(run.id, {"answer": 42}).status
'succeeded'
>>> owned, token = store.create_owned_scenario("toy", "id: toy\\n")
>>> grant = store.authenticate_scenario_token(token)
>>> (grant.scenario_id == owned.id, grant.role)
(True, 'owner')
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, cast

from sqlalchemy import Connection, Engine, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from tradetalks.errors import NotFoundError
from tradetalks.options import RunKind, RunStatus
from tradetalks.store import tokens
from tradetalks.store.db import migrate, open_engine
from tradetalks.store.tables import runs, scenario_tokens, scenario_versions, scenarios

#: the roles a scenario token grants: its owner (writes, runs, publishes, hands out viewer tokens) or a reader
ScenarioRole = Literal["owner", "viewer"]
#: what seeding a built-in scenario did
Seeded = Literal["created", "updated", "unchanged", "deleted"]

#: statuses after which a run never changes again
FINISHED: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
#: the reason a run that was queued or running when the server stopped is failed with at the next start
INTERRUPTED = "interrupted"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(t: dt.datetime | None) -> str | None:
    if t is None:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).isoformat()


def content_hash(text: str) -> str:
    """SHA-256 of a scenario's YAML text (hex), the key of its version."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def new_id() -> str:
    """A random URL-safe id (64 bits, hex)."""
    return secrets.token_hex(8)


@dataclass(frozen=True)
class ScenarioRecord:
    """A version of a stored scenario: its YAML text and content hash (SHA-256)."""

    id: str
    name: str
    version: int
    current_version: int
    yaml: str
    sha256: str
    created_at: str
    updated_at: str
    published: bool = False

    def summary(self) -> dict[str, Any]:
        """Everything but the YAML text."""
        return {"id": self.id, "name": self.name, "version": self.version, "current_version": self.current_version,
                "sha256": self.sha256, "published": self.published, "created_at": self.created_at,
                "updated_at": self.updated_at}


@dataclass(frozen=True)
class ScenarioGrant:
    """What a valid scenario token grants: a role on one scenario."""

    token_id: str
    scenario_id: str
    role: ScenarioRole


@dataclass(frozen=True)
class TokenRecord:
    """A scenario token as the store keeps it (never its secret)."""

    id: str
    scenario_id: str
    role: ScenarioRole
    label: str | None
    created_at: str
    revoked_at: str | None

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role, "label": self.label, "created_at": self.created_at,
                "revoked_at": self.revoked_at}


@dataclass(frozen=True)
class RunRecord:
    """A background job and, once it succeeded, its results (plain JSON data)."""

    id: str
    scenario_id: str
    scenario_version: int
    kind: RunKind
    options: dict[str, Any]
    status: RunStatus
    progress: float
    message: str
    error: dict[str, Any] | None
    results: dict[str, Any] | None
    created_at: str
    started_at: str | None
    finished_at: str | None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def summary(self) -> dict[str, Any]:
        """Everything but the results."""
        return {"id": self.id, "scenario_id": self.scenario_id, "scenario_version": self.scenario_version,
                "kind": self.kind, "options": self.options, "status": self.status, "progress": self.progress,
                "message": self.message, "error": self.error, "created_at": self.created_at,
                "started_at": self.started_at, "finished_at": self.finished_at}


class Store:
    """Scenarios and runs in a database (SQLite file by default, PostgreSQL by URL), migrated when opened.

    Safe to share between threads. On SQLite the writes of one process go one at a time (SQLite has one writer;
    a lock here avoids "database is locked" when two transactions would upgrade to writing at once).

    Parameters
    ----------
    url
        SQLAlchemy URL (``sqlite:///file.db``, ``postgresql://user@host:port/db``); default the user data dir.
    """

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        self.engine = engine or open_engine(url)
        self._serial = threading.Lock() if self.engine.dialect.name == "sqlite" else None
        migrate(self.engine)

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        if self._serial is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._serial, self.engine.begin() as conn:
            yield conn

    # -- scenarios ---------------------------------------------------------------------------------------------
    def create_scenario(self, name: str, yaml: str, *, scenario_id: str | None = None,
                        published: bool = False) -> ScenarioRecord:
        """Store a new scenario as version 1 (id ``scenario_id``, default a random one); no token is made."""
        sid = scenario_id or new_id()
        with self._write() as conn:
            _insert_scenario(conn, sid, name, yaml, published)
        return self.get_scenario(sid)

    def create_owned_scenario(self, name: str, yaml: str) -> tuple[ScenarioRecord, str]:
        """Store a new, unpublished scenario and its owner token, in one transaction; the token is returned only
        here (the store keeps its salted hash)."""
        sid = new_id()
        with self._write() as conn:
            _insert_scenario(conn, sid, name, yaml, False)
            made = _insert_token(conn, sid, "owner", None)
        return self.get_scenario(sid), made.token

    def seed_scenario(self, scenario_id: str, name: str, yaml: str) -> Seeded:
        """Store a built-in scenario under ``scenario_id``, published and without owner token (the admin owns it).

        A built-in already stored gets ``yaml`` as a new version when no version of it has that text (the package
        was upgraded); one the admin deleted stays deleted. Safe when two processes seed the same store at once.
        """
        sha, now = content_hash(yaml), _now()
        try:
            with self._write() as conn:
                head = conn.execute(select(scenarios.c.current_version, scenarios.c.deleted_at)
                                    .where(scenarios.c.id == scenario_id)).first()
                if head is None:
                    _insert_scenario(conn, scenario_id, name, yaml, True)
                    return "created"
                if head[1] is not None:
                    return "deleted"
                known = conn.execute(select(scenario_versions.c.version).where(
                    scenario_versions.c.scenario_id == scenario_id, scenario_versions.c.sha256 == sha)).first()
                if known is not None:
                    return "unchanged"
                version = int(head[0]) + 1
                conn.execute(scenario_versions.insert().values(scenario_id=scenario_id, version=version, yaml=yaml,
                                                               sha256=sha, created_at=now))
                conn.execute(update(scenarios).where(scenarios.c.id == scenario_id)
                             .values(current_version=version, name=name, updated_at=now))
                return "updated"
        except IntegrityError:  # another process seeded it between our read and our write
            return "unchanged"

    def set_published(self, scenario_id: str, published: bool) -> ScenarioRecord:
        """Open (``True``) or close the scenario and its runs to reading without a token."""
        with self._write() as conn:
            done = conn.execute(update(scenarios).where(scenarios.c.id == scenario_id,
                                                        scenarios.c.deleted_at.is_(None))
                                .values(published=published, updated_at=_now()))
            if done.rowcount != 1:
                raise _no_scenario(scenario_id)
        return self.get_scenario(scenario_id)

    def is_published(self, scenario_id: str) -> bool:
        """Whether the scenario is published (``False`` for an unknown one; a deleted one keeps its flag, so
        the runs of a published scenario stay readable after it is deleted)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(scenarios.c.published).where(scenarios.c.id == scenario_id)).first()
        return bool(row is not None and row[0])

    def update_scenario(self, scenario_id: str, name: str, yaml: str) -> ScenarioRecord:
        """Store a new version (the previous ones stay, runs keep pointing at theirs)."""
        now = _now()
        with self._write() as conn:
            row = conn.execute(select(scenarios.c.current_version).where(
                scenarios.c.id == scenario_id, scenarios.c.deleted_at.is_(None))).first()
            if row is None:
                raise _no_scenario(scenario_id)
            version = int(row[0]) + 1
            conn.execute(scenario_versions.insert().values(scenario_id=scenario_id, version=version, yaml=yaml,
                                                           sha256=content_hash(yaml), created_at=now))
            conn.execute(update(scenarios).where(scenarios.c.id == scenario_id)
                         .values(current_version=version, name=name, updated_at=now))
        return self.get_scenario(scenario_id)

    def delete_scenario(self, scenario_id: str) -> None:
        """Hide a scenario (its versions stay, so the runs made on them can still be read and compared)."""
        with self._write() as conn:
            done = conn.execute(update(scenarios).where(scenarios.c.id == scenario_id,
                                                        scenarios.c.deleted_at.is_(None))
                                .values(deleted_at=_now()))
            if done.rowcount != 1:
                raise _no_scenario(scenario_id)

    def get_scenario(self, scenario_id: str, version: int | None = None) -> ScenarioRecord:
        """A scenario at ``version`` (default its current one)."""
        with self.engine.connect() as conn:
            head = conn.execute(select(scenarios).where(scenarios.c.id == scenario_id,
                                                        scenarios.c.deleted_at.is_(None))).mappings().first()
            if head is None:
                raise _no_scenario(scenario_id)
            v = head["current_version"] if version is None else version
            body = conn.execute(select(scenario_versions).where(scenario_versions.c.scenario_id == scenario_id,
                                                                scenario_versions.c.version == v)).mappings().first()
        if body is None:
            raise NotFoundError(f"scenario {scenario_id!r} has no version {version}.",
                                fix=f"use a version from 1 to {head['current_version']}")
        return ScenarioRecord(id=scenario_id, name=head["name"], version=int(v),
                              current_version=int(head["current_version"]), yaml=body["yaml"],
                              sha256=body["sha256"], created_at=_iso(head["created_at"]) or "",
                              updated_at=_iso(head["updated_at"]) or "", published=bool(head["published"]))

    def scenario_key(self, scenario_id: str, version: int | None = None) -> tuple[int, str]:
        """Version (default the current one) and its SHA-256, without reading the YAML text."""
        q = (select(scenario_versions.c.version, scenario_versions.c.sha256)
             .join(scenarios, scenarios.c.id == scenario_versions.c.scenario_id)
             .where(scenarios.c.id == scenario_id, scenarios.c.deleted_at.is_(None),
                    scenario_versions.c.version == (scenarios.c.current_version if version is None else version)))
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            self.get_scenario(scenario_id, version)  # raises the precise NotFoundError
            raise _no_scenario(scenario_id)
        return int(row[0]), str(row[1])

    def list_scenarios(self, *, published_only: bool = False, plus: str | None = None) -> list[dict[str, Any]]:
        """Every scenario not deleted (no YAML text), newest first; with ``published_only``, the published ones
        and the scenario ``plus``."""
        q = (select(scenarios, scenario_versions.c.sha256)
             .join(scenario_versions, (scenario_versions.c.scenario_id == scenarios.c.id)
                   & (scenario_versions.c.version == scenarios.c.current_version))
             .where(scenarios.c.deleted_at.is_(None)).order_by(scenarios.c.created_at.desc(), scenarios.c.id))
        if published_only:
            q = q.where(or_(scenarios.c.published.is_(True), scenarios.c.id == (plus or "")))
        with self.engine.connect() as conn:
            rows = conn.execute(q).mappings().all()
        return [{"id": r["id"], "name": r["name"], "version": r["current_version"], "sha256": r["sha256"],
                 "published": bool(r["published"]), "created_at": _iso(r["created_at"]),
                 "updated_at": _iso(r["updated_at"])} for r in rows]

    def count_scenarios(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(scenarios)
                                    .where(scenarios.c.deleted_at.is_(None))).scalar_one())

    # -- runs --------------------------------------------------------------------------------------------------
    def create_run(self, scenario_id: str, version: int, kind: RunKind, options: Mapping[str, Any]) -> RunRecord:
        """Record a queued run."""
        rid = new_id()
        with self._write() as conn:
            conn.execute(runs.insert().values(id=rid, scenario_id=scenario_id, scenario_version=version, kind=kind,
                                              options=dict(options), status="queued", progress=0.0, message="",
                                              created_at=_now()))
        return self.get_run(rid)

    def get_run(self, run_id: str) -> RunRecord:
        with self.engine.connect() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no run {run_id!r}.", fix="list the runs with GET /api/runs")
        return _run(row)

    def run_scenario(self, run_id: str) -> str | None:
        """The id of the scenario a run was made on (``None``: no such run)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(runs.c.scenario_id).where(runs.c.id == run_id)).first()
        return None if row is None else str(row[0])

    def list_runs(self, scenario_id: str | None = None, limit: int = 100, *, published_only: bool = False,
                  plus: str | None = None) -> list[RunRecord]:
        """Runs, newest first (results not loaded); with ``published_only``, only the runs of published scenarios
        and of the scenario ``plus``."""
        cols = [c for c in runs.c if c.name != "results"]
        q = select(*cols).order_by(runs.c.created_at.desc(), runs.c.id).limit(limit)
        if scenario_id is not None:
            q = q.where(runs.c.scenario_id == scenario_id)
        if published_only:
            public = select(scenarios.c.id).where(scenarios.c.published.is_(True))
            q = q.where(or_(runs.c.scenario_id.in_(public), runs.c.scenario_id == (plus or "")))
        with self.engine.connect() as conn:
            return [_run(r) for r in conn.execute(q).mappings().all()]

    def count_runs(self, status: RunStatus | None = None) -> int:
        q = select(func.count()).select_from(runs)
        if status is not None:
            q = q.where(runs.c.status == status)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def _set(self, run_id: str, only_if: frozenset[str], **values: Any) -> bool:
        with self._write() as conn:
            done = conn.execute(update(runs).where(runs.c.id == run_id, runs.c.status.in_(sorted(only_if)))
                                .values(**values))
            return done.rowcount == 1

    def start_run(self, run_id: str) -> bool:
        """Mark a queued run running; ``False`` when it was cancelled meanwhile."""
        return self._set(run_id, frozenset({"queued"}), status="running", started_at=_now(), message="started")

    def set_progress(self, run_id: str, progress: float, message: str) -> bool:
        """Record progress (0 to 1) of a running run; ``False`` when it is no longer running (cancelled)."""
        return self._set(run_id, frozenset({"running"}), progress=max(0.0, min(1.0, float(progress))),
                         message=message[:500])

    def finish_run(self, run_id: str, results: Mapping[str, Any]) -> RunRecord:
        """Store the results and mark the run succeeded, in one transaction (nothing if it was cancelled)."""
        self._set(run_id, frozenset({"queued", "running"}), status="succeeded", progress=1.0, message="done",
                  results=dict(results), finished_at=_now())
        return self.get_run(run_id)

    def fail_run(self, run_id: str, error: Mapping[str, Any], message: str | None = None) -> RunRecord:
        """Mark the run failed with the JSON error envelope's ``error`` object (``message``: its error's)."""
        self._set(run_id, frozenset({"queued", "running"}), status="failed",
                  message=message if message is not None else str(error.get("message", "")),
                  error=dict(error), finished_at=_now())
        return self.get_run(run_id)

    def cancel_run(self, run_id: str) -> RunRecord:
        """Cancel a queued or running run (a finished one stays as it is)."""
        run = self.get_run(run_id)
        if not run.finished:
            self._set(run_id, frozenset({"queued", "running"}), status="cancelled", message="cancelled",
                      finished_at=_now())
        return self.get_run(run_id)

    def mark_interrupted(self) -> int:
        """Fail every run left queued or running by a server that stopped (call at start-up and after the run pool
        has stopped); how many."""
        error = interrupted_error()
        with self._write() as conn:
            done = conn.execute(update(runs).where(runs.c.status.in_(["queued", "running"]))
                                .values(status="failed", message=INTERRUPTED, error=error, finished_at=_now()))
            return int(done.rowcount)


    # -- scenario tokens -------------------------------------------------------------------------------------
    def authenticate_scenario_token(self, token: str) -> ScenarioGrant | None:
        """The grant of a scenario token, or ``None`` when it is malformed, unknown, revoked or its secret does
        not match (compared in constant time; :mod:`tradetalks.store.tokens`)."""
        parts = tokens.split(token)
        if parts is None:
            return None
        tid, secret = parts
        with self.engine.connect() as conn:
            row = conn.execute(select(scenario_tokens).where(scenario_tokens.c.id == tid)).mappings().first()
        ok = tokens.matches(None if row is None else row["salt"], None if row is None else row["digest"], secret)
        if row is None or not ok or row["revoked_at"] is not None:
            return None
        return ScenarioGrant(token_id=row["id"], scenario_id=row["scenario_id"], role=row["role"])

    def issue_scenario_token(self, scenario_id: str, role: ScenarioRole,
                             label: str | None = None) -> tuple[TokenRecord, str]:
        """A new token of ``role`` on the scenario; the token is returned only here."""
        with self._write() as conn:
            if conn.execute(select(scenarios.c.id).where(scenarios.c.id == scenario_id,
                                                         scenarios.c.deleted_at.is_(None))).first() is None:
                raise _no_scenario(scenario_id)
            made = _insert_token(conn, scenario_id, role, label)
        return self._token(made.id), made.token

    def scenario_tokens(self, scenario_id: str) -> list[TokenRecord]:
        """The scenario's tokens, revoked ones included, oldest first (never their secrets)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(scenario_tokens).where(scenario_tokens.c.scenario_id == scenario_id)
                                .order_by(scenario_tokens.c.created_at, scenario_tokens.c.id)).mappings().all()
        return [_token(r) for r in rows]

    def revoke_scenario_token(self, scenario_id: str, token_id: str, *,
                              roles: tuple[ScenarioRole, ...] = ("viewer",)) -> TokenRecord:
        """Revoke a token of the scenario (of one of ``roles``); revoking a revoked token changes nothing.

        Raises
        ------
        NotFoundError
            If the scenario has no such token of those roles.
        """
        with self._write() as conn:
            conn.execute(update(scenario_tokens).where(scenario_tokens.c.id == token_id,
                                                       scenario_tokens.c.scenario_id == scenario_id,
                                                       scenario_tokens.c.role.in_(roles),
                                                       scenario_tokens.c.revoked_at.is_(None))
                         .values(revoked_at=_now()))
            row = conn.execute(select(scenario_tokens).where(scenario_tokens.c.id == token_id,
                                                             scenario_tokens.c.scenario_id == scenario_id,
                                                             scenario_tokens.c.role.in_(roles))).mappings().first()
        if row is None:
            raise NotFoundError(f"scenario {scenario_id!r} has no {' or '.join(roles)} token {token_id!r}.",
                                fix="list its tokens with GET /api/scenarios/{id}/tokens")
        return _token(row)

    def rotate_owner_token(self, scenario_id: str, current: str | None = None) -> tuple[TokenRecord, str]:
        """A new owner token; the owner token ``current`` (every owner token when ``None``) is revoked in the same
        transaction, so the old one stops working when the new one exists."""
        now = _now()
        with self._write() as conn:
            if conn.execute(select(scenarios.c.id).where(scenarios.c.id == scenario_id,
                                                         scenarios.c.deleted_at.is_(None))).first() is None:
                raise _no_scenario(scenario_id)
            old = update(scenario_tokens).where(scenario_tokens.c.scenario_id == scenario_id,
                                                scenario_tokens.c.role == "owner",
                                                scenario_tokens.c.revoked_at.is_(None))
            if current is not None:
                old = old.where(scenario_tokens.c.id == current)
            conn.execute(old.values(revoked_at=now))
            made = _insert_token(conn, scenario_id, "owner", None)
        return self._token(made.id), made.token

    def _token(self, token_id: str) -> TokenRecord:
        with self.engine.connect() as conn:
            row = conn.execute(select(scenario_tokens).where(scenario_tokens.c.id == token_id)).mappings().one()
        return _token(row)


def _insert_scenario(conn: Connection, sid: str, name: str, yaml: str, published: bool) -> None:
    now = _now()
    conn.execute(scenarios.insert().values(id=sid, name=name, current_version=1, published=published,
                                           created_at=now, updated_at=now))
    conn.execute(scenario_versions.insert().values(scenario_id=sid, version=1, yaml=yaml, sha256=content_hash(yaml),
                                                   created_at=now))


def _insert_token(conn: Connection, scenario_id: str, role: ScenarioRole, label: str | None) -> tokens.IssuedToken:
    made = tokens.issue()
    conn.execute(scenario_tokens.insert().values(id=made.id, scenario_id=scenario_id, role=role, label=label,
                                                 salt=made.salt, digest=made.digest, created_at=_now()))
    return made


def _token(row: Any) -> TokenRecord:
    return TokenRecord(id=row["id"], scenario_id=row["scenario_id"], role=row["role"], label=row["label"],
                       created_at=_iso(row["created_at"]) or "", revoked_at=_iso(row["revoked_at"]))


def interrupted_error() -> dict[str, Any]:
    """The ``error`` of a run the server stopped before it finished."""
    return {"code": INTERRUPTED, "message": "the server stopped while this run was queued or running.",
            "fix": "start the run again", "problems": []}


def _no_scenario(scenario_id: str) -> NotFoundError:
    return NotFoundError(f"no scenario {scenario_id!r}.", fix="list the scenarios with GET /api/scenarios")


def _run(row: Any) -> RunRecord:
    return RunRecord(id=row["id"], scenario_id=row["scenario_id"], scenario_version=int(row["scenario_version"]),
                     kind=cast(RunKind, row["kind"]), options=dict(row["options"] or {}),
                     status=cast(RunStatus, row["status"]), progress=float(row["progress"]),
                     message=row["message"], error=row["error"], results=row.get("results"),
                     created_at=_iso(row["created_at"]) or "", started_at=_iso(row["started_at"]),
                     finished_at=_iso(row["finished_at"]))


__all__ = ["FINISHED", "INTERRUPTED", "RunRecord", "ScenarioGrant", "ScenarioRecord", "ScenarioRole", "Store",
           "TokenRecord", "content_hash", "interrupted_error"]
