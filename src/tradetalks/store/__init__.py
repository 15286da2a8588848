"""Scenarios and runs of the service, stored with SQLAlchemy (SQLite by default, PostgreSQL by URL) and migrated by
Alembic (migrations shipped in :mod:`tradetalks.store.migrations`)."""

from tradetalks.store.repository import (
    FINISHED,
    INTERRUPTED,
    RunRecord,
    ScenarioGrant,
    ScenarioRecord,
    Store,
    TokenRecord,
    content_hash,
)

__all__ = ["FINISHED", "INTERRUPTED", "RunRecord", "ScenarioGrant", "ScenarioRecord", "Store", "TokenRecord",
           "content_hash"]
