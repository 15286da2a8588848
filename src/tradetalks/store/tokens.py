"""Bearer tokens kept as salted hashes: one scheme for scenario tokens and room tokens.

A token is ``<token id>.<secret>``. The store keeps the id, a random per-token salt and SHA-256(salt ‖ secret);
the secret is shown once, when the token is made, and never stored. A presented secret is checked with
:func:`hmac.compare_digest`, and an unknown id costs one digest too, so timing does not tell unknown ids from
wrong secrets.

Example
-------
>>> made = issue()
>>> tid, _, secret = made.token.partition(".")
>>> (tid == made.id, matches(made.salt, made.digest, secret), matches(made.salt, made.digest, "guess"))
(True, True, False)
>>> matches(None, None, secret)  # no such token id: a digest is still computed
False
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field

#: bytes of randomness in a token's secret and in its salt
SECRET_BYTES = 32
SALT_BYTES = 16
#: bytes of randomness in a token's id (hex in the token, the row's primary key)
TOKEN_ID_BYTES = 8
#: salt used to spend one digest on an unknown token id (never matches: the digest it is compared with is empty)
_NO_SALT = "0" * 2 * SALT_BYTES


def token_digest(salt: str, secret: str) -> str:
    """SHA-256 (hex) of a token's salt followed by its secret."""
    return hashlib.sha256((salt + secret).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``token`` is shown once to its holder; ``id``, ``salt`` and ``digest`` are what is stored."""

    id: str
    salt: str
    digest: str
    token: str = field(repr=False)


def issue() -> IssuedToken:
    """A new random token (``<id>.<secret>``) with its salt and digest."""
    tid, secret, salt = secrets.token_hex(TOKEN_ID_BYTES), secrets.token_urlsafe(SECRET_BYTES), \
        secrets.token_hex(SALT_BYTES)
    return IssuedToken(id=tid, salt=salt, digest=token_digest(salt, secret), token=f"{tid}.{secret}")


def split(token: str) -> tuple[str, str] | None:
    """``(id, secret)`` of a token, or ``None`` when it is not of the form ``<id>.<secret>``."""
    tid, _, secret = token.partition(".")
    if not tid or not secret:
        return None
    return tid, secret


def matches(salt: str | None, digest: str | None, secret: str) -> bool:
    """Whether ``secret`` hashes to ``digest`` with ``salt``, in constant time; ``False`` for a missing row
    (``salt`` ``None``) after spending the same digest."""
    ok = hmac.compare_digest(token_digest(salt if salt is not None else _NO_SALT, secret), digest or "")
    return ok and salt is not None


def fingerprint(token: str) -> str:
    """SHA-256 (hex) of a whole token, for comparing a presented token with a configured one (the admin's) in
    constant time without keeping the configured token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_fingerprint(expected: str, token: str) -> bool:
    """Whether ``token``'s :func:`fingerprint` is ``expected`` (constant time)."""
    return hmac.compare_digest(expected, fingerprint(token))
