"""The service's settings: one frozen object handed to :func:`tradetalks.api.create_app` (no module globals)."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradetalks.yamlfile import LIMITS

if TYPE_CHECKING:
    from fastapi import FastAPI

#: environment variable through which ``tradetalks serve --workers N`` hands the settings to its worker processes
SETTINGS_ENV = "TRADETALKS_SERVE_SETTINGS"


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
        Most Monte Carlo draws of an uncertainty run (``draws``; and ``sobol_base`` at most a quarter of it), and
        most σ draws of a gravity run.
    model_cache_size
        Scenario versions whose model is kept warm for package evaluation (least recently used dropped first).
    evaluate_cache_size
        Answers of package evaluations kept (JSON bytes, about 8 kB each on the built-in scenario; least recently
        used dropped first); 0 keeps none.
    version_ttl
        Seconds the version number and hash of ``(scenario, ?version=)`` are trusted without asking the store on
        evaluation. Bounds how long an update made by another worker process may go unseen by an evaluation
        without ``?version=``; updates through the same process are seen at once. 0: ask the store every time.
    scheduler
        Address of an existing Dask scheduler (``tcp://HOST:PORT``) for heavy runs; ``None``: a local cluster of
        ``executor_workers`` processes on 127.0.0.1, started by the service on the first heavy run and shut down
        with it.
    executor_workers
        Worker processes of that local cluster (each single-threaded).
    executor_min_draws
        Draws from which an uncertainty run (Monte Carlo draws) or a gravity run (σ draws) goes to the executor;
        smaller ones are computed in the service's own run thread.
    data_dir
        Data directory of named data sets (gravity runs: ``data: {dataset: agtpa}``); ``None``: the
        ``TRADETALKS_DATA_DIR`` environment variable, else the user data directory (:mod:`tradetalks.datadir`).
    admin_token
        A token that may read and write everything (as an owner of every scenario and room); ``None``: no such
        token. ``tradetalks serve`` makes one at start and prints the dashboard's address with it. Compared by hash.
    cors_origins
        Origins allowed to call the API from a browser; empty (the default): CORS closed.
    seed_builtins
        Store the built-in scenarios at start-up (id ``korus-2025``), published and owned by the admin.
    telemetry
        Keep FastAPI's native OpenTelemetry hooks (traces, metrics, logs of every request, active once a global
        provider is configured). Off by default: they cost about 0.1 ms of CPU a request even with no provider.
    """

    db_url: str | None = None
    max_upload_bytes: int = LIMITS.max_bytes
    run_workers: int = 2
    max_queued_runs: int = 8
    max_draws: int = 20_000
    model_cache_size: int = 16
    evaluate_cache_size: int = 2048
    version_ttl: float = 1.0
    scheduler: str | None = None
    executor_workers: int = 2
    executor_min_draws: int = 5_000
    data_dir: Path | None = None
    cors_origins: tuple[str, ...] = ()
    admin_token: str | None = field(default=None, repr=False)
    seed_builtins: bool = True
    telemetry: bool = False

    def to_json(self) -> str:
        """The settings as JSON (for worker processes; :meth:`from_json` reads it back)."""
        data = dataclasses.asdict(self)
        data["data_dir"] = None if self.data_dir is None else str(self.data_dir)
        data["cors_origins"] = list(self.cors_origins)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        """Settings from :meth:`to_json`'s text (unknown keys are an error)."""
        data: dict[str, Any] = json.loads(text)
        data["data_dir"] = None if data.get("data_dir") is None else Path(data["data_dir"])
        data["cors_origins"] = tuple(data.get("cors_origins") or ())
        return cls(**data)


def telemetry_option(enabled: bool) -> dict[str, Any]:
    """``FastAPI(**telemetry_option(...))``: switches FastAPI's native OpenTelemetry off unless ``enabled`` (the
    ``telemetry`` argument exists from FastAPI 0.16x; older versions have no such hooks and get nothing)."""
    import inspect

    from fastapi import FastAPI

    if enabled or "telemetry" not in inspect.signature(FastAPI.__init__).parameters:
        return {}
    return {"telemetry": {"tracing": False, "metrics": False, "logs": False}}


def app_from_environment() -> FastAPI:
    """The app of one worker process of ``tradetalks serve --workers N`` (uvicorn's app factory).

    Reads the settings from :data:`SETTINGS_ENV`, which the command sets before it starts the workers.
    """
    import os

    from tradetalks.api.app import create_app

    return create_app(Settings.from_json(os.environ.get(SETTINGS_ENV, "{}")))
