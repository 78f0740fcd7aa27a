"""Alembic migrations of the store, run programmatically by `mamori.store.migrate`."""
