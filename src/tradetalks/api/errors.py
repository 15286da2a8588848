"""One JSON error envelope for every failure: ``{"error": {"code", "message", "fix", "problems"}}``.

``problems`` lists ``{file, line, path, message, fix}`` for an invalid scenario (the CLI's findings) or a request
that does not match the API's schema, and is empty otherwise. Unexpected errors answer 500 with a generic message
(the details go to the server log, never to the client; :mod:`tradetalks.api.middleware`).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tradetalks.errors import InputFileError, LimitError, NotFoundError, TradetalksError


class TooLargeError(LimitError):
    """A request body above the upload limit (HTTP 413)."""

    code = "too_large"


class BusyError(LimitError):
    """Every run slot is taken (HTTP 429)."""

    code = "busy"


class RequestError(TradetalksError):
    """A request that does not match the API (HTTP 422), with one problem per field."""

    code = "invalid_request"

    def __init__(self, what: str, problems: list[dict[str, Any]], fix: str | None = None) -> None:
        self.problems = problems
        super().__init__(what, fix=fix or "correct each field listed in problems")

    def to_dict(self) -> dict[str, object]:
        return envelope(self.code, str(self), self.fix, self.problems)


def request_problems(errors: Any, prefix: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    """Problems of a request from pydantic's errors (``loc`` becomes the field path)."""
    return [{"file": "request", "line": None, "path": _loc_path((*prefix, *tuple(e.get("loc", ())))),
             "message": str(e.get("msg", "invalid")), "fix": "send the field as the API describes it "
             "(GET /openapi.json)"} for e in errors]


class ConflictError(TradetalksError):
    """The request does not fit the state of what it names (e.g. comparing a run that has not finished)."""

    code = "conflict"


def envelope(code: str, message: str, fix: str | None = None,
             problems: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The error body."""
    return {"error": {"code": code, "message": message, "fix": fix, "problems": problems or []}}


def status_of(exc: TradetalksError) -> int:
    """HTTP status of a library error (an error class may name its own in ``http_status``)."""
    own = getattr(exc, "http_status", None)
    if isinstance(own, int):
        return own
    if isinstance(exc, NotFoundError):
        return 404
    if isinstance(exc, TooLargeError):
        return 413
    if isinstance(exc, BusyError):
        return 429
    if isinstance(exc, ConflictError):
        return 409
    if isinstance(exc, InputFileError | LimitError | RequestError):
        return 422
    return 400


def _loc_path(loc: tuple[Any, ...]) -> str:
    parts = [p for p in loc if p not in ("body", "query", "path")]
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else ("." if out else "") + str(p)
    return out


def install_error_handlers(app: FastAPI) -> None:
    """Every error the app answers with goes through the envelope."""

    @app.exception_handler(TradetalksError)
    async def _library(_: Request, exc: TradetalksError) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=status_of(exc))

    @app.exception_handler(RequestValidationError)
    async def _request(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = request_problems(exc.errors())
        err = RequestError(f"the request does not match the API ({len(problems)} problem(s)).", problems)
        return JSONResponse(err.to_dict(), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(exc.status_code, "http_error")
        fix = "see GET /openapi.json for the endpoints" if exc.status_code in (404, 405) else None
        return JSONResponse(envelope(code, str(exc.detail), fix), status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))
