"""Alembic environment: runs on the connection `hotline.storage.migrate` hands in.

There is no alembic.ini and no `fileConfig` call on purpose: the controller
owns logging, and a migration must not reset it.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from hotline.storage.models import Base


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things: rebuild tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        # Our SQLite engine issues BEGIN itself, so its DDL is transactional too:
        # a failed migration leaves no half-built schema.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if context.is_offline_mode() or not isinstance(connection, Connection):
        raise RuntimeError(
            "run migrations through hotline.storage.migrate (upgrade/downgrade), "
            "which passes a live connection"
        )
    run_migrations(connection)


main()
