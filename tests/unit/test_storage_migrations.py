"""Alembic migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Boolean, Engine, column, create_engine, func, inspect, select, table, text
from sqlalchemy.exc import IntegrityError

from hotline.storage import (
    AgentStateChange,
    CallRecord,
    CallStep,
    Outcome,
    StepKind,
    Store,
    migrate,
)
from hotline.storage.models import Base, StepDetail, UTCDateTime
from queues.callbacks import Callback
from tests.unit import test_storage_support as support
from tests.unit.test_storage_support import T0, at

# The storage tests share their database fixtures through this module.
database_url = support.database_url
postgres_admin_url = support.postgres_admin_url
postgres_url = support.postgres_url

APP_TABLES = {
    "callbacks",
    "voice_messages",
    "ivr_flow_versions",
    "survey_responses",
    "hot_topics",
    "kb_provisions",
    "kb_marks",
    "kb_gaps",
    "work_orders",
    "work_order_events",
    "outbox",
    "window_transfers",
    "handoffs",
    "handoff_steps",
    "window_transfer_steps",
    "calls",
    "call_steps",
    "agents",
    "seats",
    "skills",
    "agent_skills",
    "agent_sessions",
    "api_tokens",
    "agent_state_changes",
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


# Upgrading and downgrading a database that holds data

# The 0001 tables as the rows are written, typed so timestamps bind as the store binds them.
CALLS_0001 = table(
    "calls",
    column("id"),
    column("uniqueid"),
    column("linkedid"),
    column("caller_number"),
    column("caller_name"),
    column("dialed"),
    column("arrived_at", UTCDateTime()),
    column("outcome"),
    column("fallback", Boolean()),
)
CALL_STEPS_0001 = table(
    "call_steps",
    column("call_id"),
    column("seq"),
    column("at", UTCDateTime()),
    column("kind"),
    column("detail", StepDetail),
)
OLD_CALL = CallRecord(
    uniqueid="1709256600.42",
    linkedid="1709256600.42",
    caller_number="13800138000",
    caller_name="张三",
    dialed="12333",
    arrived_at=T0,
    outcome=Outcome.ABANDONED,
    steps=(
        CallStep(T0, StepKind.ARRIVAL, {"trunk": "pstn"}),
        CallStep(at(40), StepKind.HANGUP, {"by": "caller"}),
    ),
)


def write_0001_call(engine: Engine) -> None:
    with engine.begin() as connection:
        call_id = connection.execute(
            CALLS_0001.insert().returning(CALLS_0001.c.id),
            {
                "uniqueid": OLD_CALL.uniqueid,
                "linkedid": OLD_CALL.linkedid,
                "caller_number": OLD_CALL.caller_number,
                "caller_name": OLD_CALL.caller_name,
                "dialed": OLD_CALL.dialed,
                "arrived_at": OLD_CALL.arrived_at,
                "outcome": OLD_CALL.outcome.value,
                "fallback": False,
            },
        ).scalar_one()
        connection.execute(
            CALL_STEPS_0001.insert(),
            [
                {
                    "call_id": call_id,
                    "seq": seq,
                    "at": step.at,
                    "kind": step.kind.value,
                    "detail": step.detail,
                }
                for seq, step in enumerate(OLD_CALL.steps, start=1)
            ],
        )


def read_0001_call(engine: Engine) -> tuple[Any, ...]:
    """The old call's row and its steps, read with the 0001 columns only."""
    with engine.connect() as connection:
        call = connection.execute(
            select(CALLS_0001).where(CALLS_0001.c.uniqueid == OLD_CALL.uniqueid)
        ).one()
        steps = connection.execute(select(CALL_STEPS_0001).order_by(CALL_STEPS_0001.c.seq)).all()
    return (tuple(call), [tuple(step) for step in steps])


def count_rows(engine: Engine, name: str) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table(name))).scalar_one()


def column_names(engine: Engine, name: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(name)}


def test_given_a_0001_database_with_a_call_when_migrated_up_down_and_up_then_the_call_is_kept(
    database_url: str, raw_engine: Engine
) -> None:
    migrate.upgrade(database_url, "0001")
    write_0001_call(raw_engine)
    before = read_0001_call(raw_engine)

    migrate.upgrade(database_url)
    store = Store.open(database_url)
    try:
        assert store.get_call(OLD_CALL.uniqueid) == OLD_CALL  # disposition None
        assert store.set_disposition(OLD_CALL.uniqueid, "pension.query") is True
        store.record_agent_changes(
            [AgentStateChange("A001", "seat001", "available", "paused", "lunch", T0)]
        )
    finally:
        store.close()

    migrate.downgrade(database_url, "0001")
    assert migrate.current_revision(database_url) == "0001"
    assert read_0001_call(raw_engine) == before
    assert "disposition" not in column_names(raw_engine, "calls")
    assert "agent_state_changes" not in table_names(raw_engine)

    migrate.upgrade(database_url)
    assert read_0001_call(raw_engine) == before
    assert count_rows(raw_engine, "call_steps") == 2
    assert count_rows(raw_engine, "agent_state_changes") == 0
    store = Store.open(database_url)
    try:
        assert store.get_call(OLD_CALL.uniqueid) == OLD_CALL  # the disposition went with 0002
    finally:
        store.close()


def schema_of(engine: Engine) -> dict[str, Any]:
    """Columns, keys, indexes and checks of every table, comparable across migrations."""
    inspector = inspect(engine)
    schema: dict[str, Any] = {}
    for name in sorted(inspector.get_table_names()):
        schema[name] = {
            "columns": [
                (column["name"], str(column["type"]), column["nullable"])
                for column in inspector.get_columns(name)
            ],
            "pk": inspector.get_pk_constraint(name),
            "fks": inspector.get_foreign_keys(name),
            "uniques": sorted(inspector.get_unique_constraints(name), key=str),
            "checks": sorted(inspector.get_check_constraints(name), key=str),
            "indexes": sorted(
                (
                    str(index["name"]),
                    tuple(index["column_names"]),
                    bool(index["unique"]),
                    # Partial-index WHERE clauses are TextClause objects: compare their SQL.
                    sorted(
                        (key, str(value)) for key, value in index.get("dialect_options", {}).items()
                    ),
                )
                for index in inspector.get_indexes(name)
            ),
        }
    return schema


def test_downgrading_0002_restores_the_0001_schema_exactly(
    database_url: str, raw_engine: Engine
) -> None:
    migrate.upgrade(database_url, "0001")
    schema_0001 = schema_of(raw_engine)

    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "0001")

    assert schema_of(raw_engine) == schema_0001


def test_after_the_0002_round_trip_calls_still_reject_an_unknown_outcome(
    database_url: str, raw_engine: Engine
) -> None:
    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "0001")
    write_0001_call(raw_engine)

    with pytest.raises(IntegrityError), raw_engine.begin() as connection:
        connection.execute(text("UPDATE calls SET outcome = 'lost'"))


def test_downgrading_0003_restores_the_0002_schema_exactly(
    database_url: str, raw_engine: Engine
) -> None:
    migrate.upgrade(database_url, "0002")
    schema_0002 = schema_of(raw_engine)

    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "0002")

    assert schema_of(raw_engine) == schema_0002


def test_a_callback_outcome_is_kept_at_head_and_becomes_abandoned_below_0003(
    database_url: str, raw_engine: Engine
) -> None:
    migrate.upgrade(database_url, "0001")
    write_0001_call(raw_engine)
    migrate.upgrade(database_url)
    with raw_engine.begin() as connection:
        connection.execute(text("UPDATE calls SET outcome = 'callback_requested'"))

    migrate.downgrade(database_url, "0002")

    with raw_engine.connect() as connection:
        assert connection.execute(text("SELECT outcome FROM calls")).scalar_one() == "abandoned"
    with pytest.raises(IntegrityError), raw_engine.begin() as connection:
        connection.execute(text("UPDATE calls SET outcome = 'message_left'"))


def test_downgrading_0004_restores_the_0003_schema_exactly(
    database_url: str, raw_engine: Engine
) -> None:
    migrate.upgrade(database_url, "0003")
    schema_0003 = schema_of(raw_engine)

    migrate.upgrade(database_url)
    migrate.downgrade(database_url, "0003")

    assert schema_of(raw_engine) == schema_0003
    assert {"ivr_flow_versions", "survey_responses", "hot_topics"}.isdisjoint(
        table_names(raw_engine)
    )


def test_a_self_served_outcome_is_kept_at_head_and_becomes_ivr_hangup_below_0004(
    database_url: str, raw_engine: Engine
) -> None:
    migrate.upgrade(database_url, "0001")
    write_0001_call(raw_engine)
    migrate.upgrade(database_url)
    with raw_engine.begin() as connection:
        connection.execute(text("UPDATE calls SET outcome = 'self_served'"))

    migrate.downgrade(database_url, "0003")

    with raw_engine.connect() as connection:
        assert connection.execute(text("SELECT outcome FROM calls")).scalar_one() == "ivr_hangup"
    with pytest.raises(IntegrityError), raw_engine.begin() as connection:
        connection.execute(text("UPDATE calls SET outcome = 'self_served'"))


def test_a_booked_callback_survives_the_0004_round_trip_without_its_due_time(
    database_url: str, raw_engine: Engine
) -> None:
    migrate.upgrade(database_url)
    booked = Callback(
        id="cb-1", call_uniqueid="1.1", number="13812345678", queue="general", topic="later",
        priority=5, requirements=(("pension", 3),), queued_at=at(7200), requested_at=T0,
        due_at=at(7200),
    )  # fmt: skip
    store = Store.open(database_url)
    try:
        store.save_callback(booked)
    finally:
        store.close()

    migrate.downgrade(database_url, "0003")
    assert "due_at" not in column_names(raw_engine, "callbacks")
    assert count_rows(raw_engine, "callbacks") == 1
    migrate.upgrade(database_url)

    store = Store.open(database_url)
    try:
        assert store.list_callbacks() == [replace(booked, due_at=None)]
    finally:
        store.close()
