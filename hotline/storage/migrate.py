"""Alembic, run from code: no alembic.ini, and the application's logging left alone.

Every command gets its own short-lived engine. On SQLite that engine has
foreign keys OFF, as SQLite's own table-rebuild procedure requires: with them
ON, the DROP TABLE inside a batch migration of `calls` would cascade-delete
every call step. The foreign keys are checked again once the migration is done.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL, Connection
from sqlalchemy.exc import OperationalError

from hotline.storage.engine import make_engine, mask_url, parse_url, unavailable_error
from hotline.storage.errors import StorageError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise StorageError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def upgrade(url: str | URL, revision: str = "head") -> None:
    """Bring the schema up to `revision`; does nothing when it is already there."""
    with _migration_connection(url) as connection:
        command.upgrade(alembic_config(connection), revision)
    log.info("database %s at schema revision %s", mask_url(url), revision)


def downgrade(url: str | URL, revision: str) -> None:
    """Take the schema down to `revision` ("base" drops every table)."""
    with _migration_connection(url) as connection:
        command.downgrade(alembic_config(connection), revision)
    log.info("database %s downgraded to schema revision %s", mask_url(url), revision)


def current_revision(url: str | URL) -> str | None:
    """The schema revision stamped in the database, None when never migrated."""
    with _migration_connection(url) as connection:
        return MigrationContext.configure(connection).get_current_revision()


def autogenerate_revision(url: str | URL, message: str, rev_id: str) -> None:
    """Write a new migration from the difference between the models and `url`.

    For developers: review the generated file before committing it.
    """
    with _migration_connection(url) as connection:
        command.revision(
            alembic_config(connection), message=message, autogenerate=True, rev_id=rev_id
        )


@contextmanager
def _migration_connection(url: str | URL) -> Iterator[Connection]:
    parsed = parse_url(url)
    engine = make_engine(parsed, foreign_keys=False)
    try:
        with engine.connect() as connection:
            yield connection
            _check_foreign_keys(connection)
            connection.commit()
    except OperationalError as exc:
        raise unavailable_error(parsed, exc) from exc
    finally:
        engine.dispose()


def _check_foreign_keys(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({str(row[0]) for row in broken})
        raise StorageError(f"migration left rows with dangling foreign keys in {tables}")
