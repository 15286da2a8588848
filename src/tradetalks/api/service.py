"""What one app instance owns: its settings, store, warm-model cache and run pool (``app.state.service``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from tradetalks.api.evaluate import ModelCache
from tradetalks.api.jobs import RunManager
from tradetalks.api.settings import Settings
from tradetalks.errors import TradetalksError
from tradetalks.store import Store
from tradetalks.store.tokens import fingerprint

#: shortest admin token accepted (characters); ``tradetalks serve`` makes 43-character ones (32 random bytes)
MIN_ADMIN_TOKEN = 16


@dataclass
class Service:
    """The app's resources, created at start-up and closed at shut-down."""

    settings: Settings
    store: Store
    cache: ModelCache
    runs: RunManager
    interrupted_at_start: int = 0
    #: SHA-256 of the admin token (the token itself is not kept); ``None``: no admin token
    admin_fingerprint: str | None = field(default=None, repr=False)

    @classmethod
    def start(cls, settings: Settings) -> Service:
        """Open (and migrate) the store, fail the runs a stopped server left behind, store the built-in scenarios
        (``settings.seed_builtins``), start the run pool.

        Raises
        ------
        TradetalksError
            If ``settings.admin_token`` is shorter than :data:`MIN_ADMIN_TOKEN` or holds white space.
        """
        admin = settings.admin_token
        if admin is not None:
            check_admin_token(admin)
        store = Store(settings.db_url)
        interrupted = store.mark_interrupted()
        if settings.seed_builtins:
            seed_builtins(store)
        return cls(settings=settings, store=store, cache=ModelCache.from_settings(settings),
                   runs=RunManager.from_settings(store, settings),
                   interrupted_at_start=interrupted,
                   admin_fingerprint=None if admin is None else fingerprint(admin))

    def close(self) -> None:
        self.runs.shutdown()
        self.store.close()


def check_admin_token(token: str) -> None:
    """Refuse an admin token that is too short to be secret.

    Raises
    ------
    TradetalksError
        If ``token`` is shorter than :data:`MIN_ADMIN_TOKEN` characters or holds white space.
    """
    if len(token) < MIN_ADMIN_TOKEN or any(c.isspace() for c in token):
        raise TradetalksError(f"the admin token must have at least {MIN_ADMIN_TOKEN} characters and no white space; "
                              f"received one of {len(token)} characters.",
                              fix="use a long random token, e.g. python -c 'import secrets; "
                                  "print(secrets.token_urlsafe(32))'")


def seed_builtins(store: Store) -> dict[str, str]:
    """Store every built-in scenario under its name (``korus-2025``), published and owned by the admin.

    A built-in whose packaged text is not yet one of its versions gets it as a new version (runs keep theirs).
    Returns what happened to each (name → ``created``, ``updated``, ``unchanged`` or ``deleted``).
    """
    from tradetalks.scenario.loader import BUILTIN_DIR, builtin_names

    return {name: store.seed_scenario(name, name, (BUILTIN_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
            for name in builtin_names()}


async def service(request: Request) -> Service:
    """The service of the app handling ``request`` (a FastAPI dependency; ``async`` so that FastAPI does not send
    it to the thread pool, which cost every request about 0.2 ms of CPU)."""
    svc: Service = request.app.state.service
    return svc
