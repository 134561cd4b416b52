"""Alembic migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from hotline.storage import migrate
from hotline.storage.models import Base
from tests.unit import test_storage_support as support

# The storage tests share their database fixtures through this module.
database_url = support.database_url
postgres_admin_url = support.postgres_admin_url
postgres_url = support.postgres_url

APP_TABLES = {
    "calls",
    "call_steps",
    "agents",
    "seats",
    "skills",
    "agent_skills",
    "agent_sessions",
    "api_tokens",
}


@pytest.fixture
def raw_engine(database_url: str) -> Iterator[Engine]:
    """A plain engine for looking at the schema from outside the store."""
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_migrating_twice_leaves_the_schema_at_head(database_url: str, raw_engine: Engine) -> None:
    migrate.upgrade(database_url)
    migrate.upgrade(database_url)

    assert migrate.current_revision(database_url) == migrate.head_revision()
    assert table_names(raw_engine) == APP_TABLES | {"alembic_version"}


def test_downgrade_to_base_drops_every_table_and_upgrade_rebuilds_them(
    database_url: str, raw_engine: Engine
) -> None:
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "base")

    assert migrate.current_revision(database_url) is None
    assert table_names(raw_engine) == {"alembic_version"}

    migrate.upgrade(database_url)
    assert migrate.current_revision(database_url) == migrate.head_revision()
    assert table_names(raw_engine) == APP_TABLES | {"alembic_version"}


def test_migrated_schema_matches_the_models(database_url: str, raw_engine: Engine) -> None:
    migrate.upgrade(database_url)

    with raw_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)

    assert differences == []


def test_migrated_schema_rejects_proficiency_6(database_url: str, raw_engine: Engine) -> None:
    migrate.upgrade(database_url)
    now = datetime.now(UTC)
    with raw_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO agents (id, code, name, active, created_at)"
                " VALUES (1, 'A001', 'Li', :t, :n)"
            ),
            {"t": True, "n": now},
        )
        connection.execute(
            text("INSERT INTO skills (id, name, label) VALUES (1, 'pension', '养老保险')")
        )
        connection.execute(
            text("INSERT INTO agent_skills (agent_id, skill_id, proficiency) VALUES (1, 1, 5)")
        )

    with pytest.raises(IntegrityError), raw_engine.begin() as connection:
        connection.execute(
            text("UPDATE agent_skills SET proficiency = 6 WHERE agent_id = 1 AND skill_id = 1")
        )


def test_migrating_does_not_reset_the_applications_logging(database_url: str) -> None:
    root = logging.getLogger()
    handler = logging.NullHandler()
    root.addHandler(handler)
    app_logger = logging.getLogger("hotline.some.module")
    level = root.level
    try:
        migrate.upgrade(database_url)

        assert handler in root.handlers
        assert root.level == level
        assert not app_logger.disabled
    finally:
        root.removeHandler(handler)


def test_migrated_sqlite_database_is_in_wal_mode(tmp_path: Path) -> None:
    url = support.sqlite_url(tmp_path)
    migrate.upgrade(url)

    with sqlite3.connect(tmp_path / "hotline.db") as connection:
        (mode,) = connection.execute("PRAGMA journal_mode").fetchone()

    assert mode == "wal"
