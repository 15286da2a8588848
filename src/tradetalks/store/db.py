"""Engines and migrations: SQLite by default (WAL, foreign keys on), PostgreSQL by URL.

Example
-------
>>> from tradetalks.store.db import open_engine, migrate, current_revision
>>> engine = open_engine("sqlite://")
>>> migrate(engine)
>>> current_revision(engine)
'0003b_rooms_publish'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool

from tradetalks.errors import TradetalksError

#: name of the SQLite file in the user data directory when no URL is given
DEFAULT_DB_FILE = "tradetalks.db"
#: how long a SQLite connection waits for another writer before giving up, in milliseconds
SQLITE_BUSY_TIMEOUT_MS = 10_000
_MIGRATIONS = Path(__file__).parent / "migrations"


def default_url() -> str:
    """``sqlite:///<user data dir>/tradetalks.db`` (``platformdirs.user_data_dir("tradetalks")``), folder made."""
    from tradetalks.datadir import user_data_dir

    folder = user_data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / DEFAULT_DB_FILE}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")  # with WAL: durable at each checkpoint, never corrupt
    cur.close()


def open_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default :func:`default_url`).

    SQLite files get WAL journaling, foreign keys and a busy timeout on every connection; an in-memory SQLite
    database (``sqlite://``) is one connection shared by every thread. PostgreSQL URLs (``postgresql://...``) use
    the psycopg 3 driver.

    Raises
    ------
    TradetalksError
        If the URL is not a database URL SQLAlchemy knows, or its driver is not installed.
    """
    url = url or default_url()
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        if url.startswith("sqlite"):
            memory = url in ("sqlite://", "sqlite:///:memory:")
            kwargs: dict[str, Any] = {"poolclass": StaticPool} if memory else {}
            engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(url, pool_pre_ping=True)
    except Exception as exc:  # an unknown dialect or a missing driver: say what and how
        raise TradetalksError(f"cannot open the database {url.split('@')[-1]!r}: {exc}.",
                              fix="give a URL such as sqlite:///path/to/tradetalks.db or "
                                  "postgresql://user@host:5432/dbname (PostgreSQL needs the driver psycopg, "
                                  "part of the package's `serve` extra)") from None
    return engine


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the database to the newest schema (Alembic ``upgrade head``, one transaction on PostgreSQL)."""
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), "head")


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at (``None`` before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
