"""ASGI middleware: security headers on every response, the upload limit, and the envelope for unexpected errors.

It wraps the whole application (inside Starlette's last-resort handler), so even a 500 carries the headers and
the JSON envelope.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tradetalks.api.errors import TooLargeError, envelope

log = logging.getLogger("tradetalks.api")

#: sent with every response: no sniffing, no framing, no referrer, nothing loaded from elsewhere, not cached
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cache-control", b"no-store"),
)


def too_large(limit: int, received: int | None) -> TooLargeError:
    got = f"{received:,} bytes" if received is not None else "more"
    return TooLargeError(f"the request body is {got}, above the upload limit of {limit:,} bytes "
                         "(`max_upload_bytes`).", fix="send a smaller scenario, or start the server with a larger "
                         "limit")


class GuardMiddleware:
    """Security headers, upload limit (``max_upload_bytes``) and the 500 envelope."""

    def __init__(self, app: ASGIApp, max_upload_bytes: int) -> None:
        self.app = app
        self.limit = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await _reply(send_with_headers, 413, too_large(self.limit, declared).to_dict())
            return
        seen = 0

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise too_large(self.limit, None)
            return message

        try:
            await self.app(scope, counted_receive, send_with_headers)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await _reply(send_with_headers, 500, envelope(
                "internal_error", "an unexpected error occurred on the server; it has been logged.",
                "try again; if it persists, report it with the time of the request"))


def _content_length(scope: Scope) -> int | None:
    for k, v in scope.get("headers", []):
        if k == b"content-length":
            try:
                return int(v)
            except ValueError:
                return None
    return None


async def _reply(send: Any, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})
