"""The service's settings: one frozen object handed to :func:`tradetalks.api.create_app` (no module globals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tradetalks.yamlfile import LIMITS


@dataclass(frozen=True)
class Settings:
    """What the service stores where, and the limits it enforces.

    Attributes
    ----------
    db_url
        SQLAlchemy URL of the store; ``None``: a SQLite file in the user data directory.
    max_upload_bytes
        Largest request body (a scenario's YAML text), in bytes; the YAML loader's own limit by default.
    run_workers
        Runs computed at once (threads owned by the app).
    max_queued_runs
        Runs waiting for a worker at most; beyond ``run_workers + max_queued_runs`` a new run is refused.
    max_draws
        Most Monte Carlo draws of an uncertainty run (``draws``; and ``sobol_base`` at most a quarter of it).
    model_cache_size
        Scenario versions whose model is kept warm for package evaluation (least recently used dropped first).
    admin_token
        A token that may read and write everything (as an owner of every scenario and room); ``None``: no such
        token. ``tradetalks serve`` makes one at start and prints the dashboard's address with it. Compared by hash.
    cors_origins
        Origins allowed to call the API from a browser; empty (the default): CORS closed.
    seed_builtins
        Store the built-in scenarios at start-up (id ``korus-2025``), published and owned by the admin.
    """

    db_url: str | None = None
    max_upload_bytes: int = LIMITS.max_bytes
    run_workers: int = 2
    max_queued_runs: int = 8
    max_draws: int = 20_000
    model_cache_size: int = 16
    cors_origins: tuple[str, ...] = ()
    admin_token: str | None = field(default=None, repr=False)
    seed_builtins: bool = True
