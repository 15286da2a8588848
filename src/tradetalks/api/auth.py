"""Who is calling, and what they may do with a scenario and its runs (issue #10 §5).

Every request may carry ``Authorization: Bearer <token>``. A token is one of

- the **admin** token (``Settings.admin_token``; ``tradetalks serve`` makes one at start): reads and writes
  everything. The service keeps only its SHA-256 and compares a presented token's SHA-256 in constant time;
- a **scenario** token, role ``owner`` (returned once by ``POST /api/scenarios``; rotated by its holder) or
  ``viewer`` (made and revoked by the owner). Stored as salted hashes (:mod:`tradetalks.store.tokens`);
- a **room** token (:mod:`tradetalks.api.rooms`): it grants nothing on scenarios beyond what anyone may read.

Reads of a scenario and of its runs need a token of that scenario or the admin's, unless the scenario is published:
then anyone may read them. Writes (new versions, deletion, runs started or cancelled, publication, tokens) need the
scenario's owner token or the admin's; creating a scenario needs the admin's.

Authentication comes before any lookup: a header that is present but malformed, unknown, revoked or rotated is a
401 everywhere. A scenario (or run) the caller may not read is answered exactly like one that does not exist: 401
without a token, 403 with a token of something else. Only the admin and the scenario's own tokens can get a 404, so
no answer tells whether an unpublished scenario or one of its runs exists. A valid token never gives less than no
token: published scenarios stay readable with any of them.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tradetalks.api.service import Service, service
from tradetalks.errors import NotFoundError, TradetalksError
from tradetalks.store.tokens import same_fingerprint

#: what an action on a scenario needs: to read it, or to own it (write)
Need = Literal["read", "owner"]
#: how to get a token, said in every 401
TOKEN_FIX = ("send the header `Authorization: Bearer <token>` with the admin token (`tradetalks serve` prints the "
             "dashboard's address with it) or a token of this scenario (POST /api/scenarios returns its owner's "
             "token once; the owner makes viewer tokens with POST /api/scenarios/{id}/tokens)")
#: how to send a token, for a header that is missing or malformed
ANY_TOKEN_FIX = ("send the header `Authorization: Bearer <token>` with a token the service gave: the admin token, a "
                 "scenario's (POST /api/scenarios, POST /api/scenarios/{id}/tokens) or a room's (POST /api/rooms)")
#: the bearer scheme, declared in the OpenAPI description (the header itself is read by :func:`bearer_token`)
bearer_scheme = HTTPBearer(auto_error=False, description="the admin token, a scenario's owner or viewer token, or "
                                                         "a room token")


class AuthError(TradetalksError):
    """A missing, malformed or unknown token (HTTP 401)."""

    code = "unauthorized"
    http_status = 401


class ForbiddenError(TradetalksError):
    """A valid token that does not grant this action (HTTP 403)."""

    code = "forbidden"
    http_status = 403


@dataclass(frozen=True)
class Caller:
    """Who sent a request.

    Attributes
    ----------
    kind
        ``anonymous`` (no token), ``admin``, ``scenario`` (a scenario's token) or ``room`` (a room's token).
    role
        ``owner`` or ``viewer`` for a scenario token, the room role for a room token, ``None`` otherwise.
    scenario_id
        The scenario a scenario token belongs to.
    token_id
        The token's id (scenario and room tokens), never its secret.
    """

    kind: Literal["anonymous", "admin", "scenario", "room"]
    role: str | None = None
    scenario_id: str | None = None
    token_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"


ANONYMOUS = Caller("anonymous")


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header.

    Raises
    ------
    AuthError
        If the header is missing, of another scheme, or empty.
    """
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("this request needs a token (`Authorization: Bearer <token>`).", fix=ANY_TOKEN_FIX)
    return token.strip()


def authenticate(svc: Service, authorization: str | None) -> Caller:
    """The caller of a request from its ``Authorization`` header (:data:`ANONYMOUS` without one).

    Raises
    ------
    AuthError
        If a header is sent but is not a valid token (malformed, unknown, revoked or rotated).
    """
    if authorization is None:
        return ANONYMOUS
    token = bearer_token(authorization)
    if svc.admin_fingerprint is not None and same_fingerprint(svc.admin_fingerprint, token):
        return Caller("admin")
    grant = svc.store.authenticate_scenario_token(token)
    if grant is not None:
        return Caller("scenario", grant.role, grant.scenario_id, grant.token_id)
    from tradetalks.store.rooms import RoomStore

    room = RoomStore(svc.store).authenticate(token)
    if room is not None:
        return Caller("room", room.role)
    raise AuthError("the token is not valid (unknown, revoked or replaced by a rotation).", fix=TOKEN_FIX)


def current_caller(request: Request, svc: Annotated[Service, Depends(service)],
                   _: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)] = None) -> Caller:
    """The caller of ``request`` (a FastAPI dependency)."""
    return authenticate(svc, request.headers.get("authorization"))


#: a route's caller, authenticated before anything else is looked up
CallerDep = Annotated[Caller, Depends(current_caller)]


async def may_read_fast(svc: Service, authorization: str | None, scenario_id: str) -> None:
    """:func:`require_scenario` for a read, without a thread-pool hop for the callers decided in memory (no
    header, the admin token); the others are checked in the pool (a store look-up). For hot routes (evaluate).

    Raises
    ------
    AuthError, ForbiddenError
        As :func:`require_scenario`.
    """
    from fastapi.concurrency import run_in_threadpool

    if authorization is not None:
        token = bearer_token(authorization)
        if svc.admin_fingerprint is not None and same_fingerprint(svc.admin_fingerprint, token):
            return
        caller = await run_in_threadpool(authenticate, svc, authorization)
    else:
        caller = ANONYMOUS
    await run_in_threadpool(require_scenario, svc, caller, scenario_id, "read")


def _refused(caller: Caller, what: str, need: Need) -> TradetalksError:
    """The answer for a caller who may not do ``need`` on ``what``: the same whether ``what`` exists or not."""
    if caller.kind == "anonymous":
        verb = "reading" if need == "read" else "changing"
        return AuthError(f"{verb} {what} needs a token.", fix=TOKEN_FIX)
    return ForbiddenError(f"this token grants nothing on {what}.",
                          fix="use the admin token or a token of this scenario")


def require_scenario(svc: Service, caller: Caller, scenario_id: str, need: Need) -> Caller:
    """Check that ``caller`` may ``need`` (read, or write as its owner) the scenario ``scenario_id``.

    Raises
    ------
    AuthError
        Without a token, when the scenario is not published, does not exist, or the action is a write (401).
    ForbiddenError
        A token of another scenario or a room (the same answer whether ``scenario_id`` exists or not), or a
        viewer token on a write (403).
    """
    if caller.is_admin:
        return caller
    if caller.kind == "scenario" and caller.scenario_id == scenario_id:
        if need == "owner" and caller.role != "owner":
            raise ForbiddenError(f"a {caller.role} token may only read; this needs the owner's token or the "
                                 "admin's.", fix="ask the scenario's owner")
        return caller
    if need == "read" and svc.store.is_published(scenario_id):
        return caller
    raise _refused(caller, f"scenario {scenario_id!r}", need)


def require_run(svc: Service, caller: Caller, run_id: str, need: Need) -> str:
    """Check that ``caller`` may ``need`` the run ``run_id`` (a run has its scenario's access); its scenario id.

    Raises
    ------
    NotFoundError
        For the admin only, when there is no such run (anyone else gets the answer of :func:`require_scenario`
        for a scenario they may not read).
    AuthError, ForbiddenError
        As :func:`require_scenario`, for the run's scenario.
    """
    scenario_id = svc.store.run_scenario(run_id)
    if scenario_id is None:
        if caller.is_admin:
            raise NotFoundError(f"no run {run_id!r}.", fix="list the runs with GET /api/runs")
        raise _refused(caller, f"run {run_id!r}", need)
    try:
        require_scenario(svc, caller, scenario_id, need)
    except (AuthError, ForbiddenError) as exc:
        if isinstance(exc, ForbiddenError) and caller.scenario_id == scenario_id:
            raise  # a viewer writing a run of its own scenario: it may know the run
        raise _refused(caller, f"run {run_id!r}", need) from None
    return scenario_id


def require_admin(caller: Caller, what: str) -> Caller:
    """Check that ``caller`` holds the admin token.

    Raises
    ------
    AuthError, ForbiddenError
        Without a token (401), with another token (403).
    """
    if caller.is_admin:
        return caller
    if caller.kind == "anonymous":
        raise AuthError(f"{what} needs the admin token.", fix=TOKEN_FIX)
    raise ForbiddenError(f"{what} needs the admin token; this token is not it.",
                         fix="use the admin token (`tradetalks serve` prints the dashboard's address with it)")


# -- the admin token of `tradetalks serve` ---------------------------------------------------------------------------
#: the environment variable `tradetalks serve` reads the admin token from (when no --admin-token-file is given)
ADMIN_TOKEN_ENV = "TRADETALKS_ADMIN_TOKEN"
#: bytes of randomness in an admin token made at start
ADMIN_TOKEN_BYTES = 32


def admin_token_from(file: Path | None, environ: Mapping[str, str]) -> tuple[str, str | None]:
    """The admin token for a server: read from ``file``, else from ``environ[ADMIN_TOKEN_ENV]``, else a new random
    one. Returns the token and where it came from (``None``: made now, so the caller should show it).

    Raises
    ------
    TradetalksError
        If the file cannot be read or holds no token.
    """
    if file is not None:
        try:
            token = file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise TradetalksError(f"cannot read the admin token file {str(file)!r}: {exc}.",
                                  fix="give a readable UTF-8 file holding the token on one line") from None
        if not token:
            raise TradetalksError(f"the admin token file {str(file)!r} is empty.",
                                  fix="write the token on its first line, or leave the option out to get a new one")
        return token, str(file)
    if environ.get(ADMIN_TOKEN_ENV, "").strip():
        return environ[ADMIN_TOKEN_ENV].strip(), ADMIN_TOKEN_ENV
    return secrets.token_urlsafe(ADMIN_TOKEN_BYTES), None


#: ``token=...`` in a logged address (the dashboard's address carries the token the first time it is opened)
_TOKEN_IN_URL = re.compile(r"(?i)(token=)[^&\s\"]+")


class RedactTokens(logging.Filter):
    """A logging filter that replaces ``token=...`` in a record's message arguments by ``token=REDACTED``
    (uvicorn's access log writes each request's address, query included). The CLI installs it; the library
    never touches logging configuration."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_TOKEN_IN_URL.sub(r"\1REDACTED", a) if isinstance(a, str) else a
                                for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = _TOKEN_IN_URL.sub(r"\1REDACTED", record.msg)
        return True
