"""Database fixtures shared by the storage tests: SQLite file and PostgreSQL.

Every store test runs against both. PostgreSQL gets a fresh database per test,
dropped afterwards. Without a reachable PostgreSQL those tests are skipped,
except under CI (env CI set), where that is a failure.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from hotline.storage import Store

ADMIN_URL_ENV = "HOTLINE_TEST_POSTGRES_URL"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
START_HINT = "start it with `pg_ctlcluster --skip-systemctl-redirect 15 main start`"

# Test times are given in Beijing time, so the round trip to UTC is exercised.
BEIJING = timezone(timedelta(hours=8))
T0 = datetime(2024, 3, 1, 9, 30, 0, 123456, tzinfo=BEIJING)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def admin_url() -> str:
    return os.environ.get(ADMIN_URL_ENV) or DEFAULT_ADMIN_URL


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'hotline.db'}"


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The admin URL, once PostgreSQL answers; skip (or fail under CI) otherwise."""
    url = admin_url()
    try:
        with psycopg.connect(url, connect_timeout=3):
            pass
    except psycopg.OperationalError as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        reason = " ".join(str(exc).split())
        message = (
            f"PostgreSQL is not reachable at {shown} ({reason}); "
            f"{START_HINT} or set {ADMIN_URL_ENV}"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, uniquely named database, dropped after the test."""
    name = f"hotline_test_{secrets.token_hex(6)}"
    identifier = sql.Identifier(name)
    with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(identifier))
    try:
        url = make_url(postgres_admin_url).set(drivername="postgresql+psycopg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(postgres_admin_url, autocommit=True) as admin:
            # FORCE: a connection a failed test leaked must not keep the database alive.
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(identifier))


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "data")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """A migrated store; closed (engine disposed) before its database is dropped."""
    store = Store.open(database_url)
    store.migrate()
    yield store
    store.close()


def test_postgres_admin_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ADMIN_URL_ENV, "postgresql://someone@db.example:5433/admin")
    assert admin_url() == "postgresql://someone@db.example:5433/admin"
    monkeypatch.delenv(ADMIN_URL_ENV)
    assert admin_url() == DEFAULT_ADMIN_URL
