"""Alembic environment: migrates the connection the store hands over (``config.attributes["connection"]``).

Alembic runs this file as a script (module name ``env_py``); imported as part of the package (by the doctest
collector, say) it does nothing.
"""

from __future__ import annotations


def run_migrations() -> None:
    """Upgrade the connection given by :func:`tradetalks.store.db.migrate` inside Alembic's transaction."""
    from alembic import context

    from tradetalks.store.tables import metadata

    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if not __name__.startswith("tradetalks."):
    run_migrations()
