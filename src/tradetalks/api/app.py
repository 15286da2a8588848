"""The application factory: ``create_app(settings)`` builds one FastAPI app with its own store, cache and pool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from tradetalks.api import board, downloads, rooms, runs, scenarios
from tradetalks.api.errors import install_error_handlers
from tradetalks.api.middleware import GuardMiddleware
from tradetalks.api.service import Service
from tradetalks.api.settings import Settings, telemetry_option


def create_app(settings: Settings | None = None) -> FastAPI:
    """A new app. Its store is opened and migrated, and runs a stopped server left are failed, at start-up.

    The OpenAPI description is at ``/openapi.json`` (no documentation pages that load scripts from a CDN). CORS
    is closed unless ``settings.cors_origins`` names origins.
    """
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service = Service.start(settings)
        try:
            yield
        finally:
            app.state.service.close()

    from tradetalks import __version__

    app = FastAPI(title="tradetalks", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  **telemetry_option(settings.telemetry),
                  description="Scenarios, package evaluation and stored runs of tradetalks (issue #10). Every "
                              "error answers with one JSON envelope: `{\"error\": {\"code\", \"message\", \"fix\", "
                              "\"problems\": [{file, line, path, message, fix}]}}`.")
    install_error_handlers(app)
    app.include_router(scenarios.router)
    app.include_router(runs.router)
    app.include_router(downloads.router)
    app.include_router(rooms.router)
    app.include_router(board.router)
    from tradetalks.web import router as dashboard

    app.include_router(dashboard)

    @app.get("/api/health", tags=["service"], summary="Liveness and what the service holds")
    def health() -> dict[str, Any]:
        svc: Service = app.state.service
        return {"status": "ok", "version": __version__, "database": svc.store.engine.dialect.name,
                "active_runs": svc.runs.active(), "warm_models": len(svc.cache),
                "interrupted_at_start": svc.interrupted_at_start}

    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST", "PUT", "DELETE"],
                           allow_headers=["Content-Type", "Authorization"])
    app.add_middleware(GuardMiddleware, max_upload_bytes=settings.max_upload_bytes)
    return app
