"""Alembic migrations of the store, shipped in the package and applied at start-up
(:func:`tradetalks.store.db.migrate`)."""
