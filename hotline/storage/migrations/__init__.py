"""Alembic migrations of the hotline schema, run by `hotline.storage.migrate`."""
