"""Engines for SQLite and PostgreSQL, and how to talk about their URLs.

Every message and log line in the storage package shows a URL only through
`mask_url`, so a password in HOTLINE_DATABASE_URL never reaches a log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from hotline.storage.errors import StorageError, StorageUnavailable

# Writers wait this long for SQLite's single write lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 5000
# A down PostgreSQL must fail `check()` quickly, not hang the controller's start.
PG_CONNECT_TIMEOUT_S = 5
# Execution option naming how a SQLite transaction begins (see _begin_sqlite).
SQLITE_BEGIN = "hotline_sqlite_begin"


def parse_url(url: str | URL) -> URL:
    """Parse a database URL; plain `postgresql://` means psycopg 3, our driver."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # The unparsable text may hold a password: show only its scheme.
        scheme = str(url).split(":", 1)[0]
        raise StorageError(f"invalid database URL (scheme {scheme!r})") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def mask_url(url: str | URL) -> str:
    try:
        return parse_url(url).render_as_string(hide_password=True)
    except StorageError as exc:
        return str(exc)


def unavailable_hint(url: URL) -> str:
    """What an operator should try when the database cannot be reached."""
    if url.get_backend_name() == "postgresql":
        return (
            "Is PostgreSQL running and does the database exist? Start it with "
            "`pg_ctlcluster --skip-systemctl-redirect 15 main start`, or point "
            "HOTLINE_DATABASE_URL at a reachable server."
        )
    return "Check that the folder of the SQLite file exists and is writable."


def unavailable_error(url: URL, exc: BaseException) -> StorageUnavailable:
    """Turn a driver's connection failure into a message an operator can act on."""
    reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
    if url.password:
        # Drivers do not usually echo the password, but never take the chance.
        reason = reason.replace(str(url.password), "***")
    return StorageUnavailable(
        f"cannot reach the database at {mask_url(url)} ({reason}). {unavailable_hint(url)}"
    )


def make_engine(url: URL, *, foreign_keys: bool = True) -> Engine:
    """Create an engine; `foreign_keys=False` is for SQLite migrations only."""
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, foreign_keys=foreign_keys)
    if url.get_backend_name() == "postgresql":
        return _engine(url, connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S})
    # The store's upserts are written for these two dialects only.
    raise StorageError(
        f"unsupported database {mask_url(url)}: use sqlite:///PATH or "
        "postgresql+psycopg://USER@HOST:PORT/DB"
    )


def _engine(url: URL, connect_args: dict[str, Any]) -> Engine:
    # hide_parameters: SQL errors and logs would otherwise carry caller numbers.
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True, hide_parameters=True)


def _sqlite_engine(url: URL, *, foreign_keys: bool) -> Engine:
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        # Each pooled connection would see its own empty in-memory database.
        raise StorageError("an in-memory SQLite database is not supported; use a file")
    folder = Path(database).expanduser().parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageUnavailable(
            f"cannot create the folder {folder} for the SQLite database: {exc.strerror}"
        ) from exc
    engine = _engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        _configure_sqlite(dbapi_connection, foreign_keys=foreign_keys)

    event.listen(engine, "begin", _begin_sqlite)
    return engine


def _configure_sqlite(dbapi_connection: Any, *, foreign_keys: bool) -> None:
    # Python's sqlite3 would open transactions behind our back (and never for
    # DDL); autocommit at the driver level lets SQLAlchemy's BEGIN be the only one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # WAL: readers (API, wallboard) do not block the call recorder.
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable across application crashes in WAL mode, and much faster.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
    finally:
        cursor.close()


def _begin_sqlite(connection: Any) -> None:
    # Writers begin IMMEDIATE: a deferred transaction that reads and then writes
    # fails at once with "database is locked" when another writer is active,
    # instead of waiting for the busy timeout.
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")
