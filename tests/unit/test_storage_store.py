"""The Store, against SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from hotline.storage import (
    CallRecord,
    CallStep,
    ConflictError,
    NotFoundError,
    Outcome,
    Role,
    StepKind,
    StorageError,
    StorageUnavailable,
    Store,
)
from hotline.storage.engine import make_engine, parse_url
from tests.unit import test_storage_support as support

# The storage tests share their database fixtures through this module.
database_url = support.database_url
postgres_admin_url = support.postgres_admin_url
postgres_url = support.postgres_url

SHANGHAI = timezone(timedelta(hours=8))
T0 = datetime(2024, 3, 1, 9, 30, 0, 123456, tzinfo=SHANGHAI)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store.open(database_url)
    store.migrate()
    yield store
    store.close()


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def answered_call(uniqueid: str = "1709256600.42", arrived: datetime = T0) -> CallRecord:
    """A call's full path: IVR, queue, an offer that times out, a second offer, talk."""
    steps = (
        CallStep(arrived, StepKind.ARRIVAL, {"trunk": "pstn"}),
        CallStep(arrived + timedelta(seconds=1), StepKind.IVR_PROMPT, {"prompt": "welcome"}),
        CallStep(arrived + timedelta(seconds=6), StepKind.IVR_INPUT, {"digits": "1"}),
        CallStep(arrived + timedelta(seconds=7), StepKind.QUEUE_ENTER, {"queue": "pension"}),
        CallStep(
            arrived + timedelta(seconds=8), StepKind.OFFER, {"agent": "A001", "seat": "seat001"}
        ),
        CallStep(arrived + timedelta(seconds=23), StepKind.OFFER_TIMEOUT, {"agent": "A001"}),
        CallStep(
            arrived + timedelta(seconds=24), StepKind.OFFER, {"agent": "A002", "seat": "seat002"}
        ),
        CallStep(arrived + timedelta(seconds=27), StepKind.ANSWER, {"agent": "A002"}),
        CallStep(arrived + timedelta(seconds=207), StepKind.HANGUP, {"by": "caller"}),
        CallStep(arrived + timedelta(seconds=207), StepKind.END, {}),
    )
    return CallRecord(
        uniqueid=uniqueid,
        linkedid=uniqueid,
        caller_number="13800138000",
        caller_name="张三",
        dialed="12333",
        arrived_at=arrived,
        answered_at=arrived + timedelta(seconds=27),
        ended_at=arrived + timedelta(seconds=207),
        queue="pension",
        agent_code="A002",
        seat="seat002",
        outcome=Outcome.ANSWERED,
        wait_ms=20_000,
        talk_ms=180_000,
        hangup_cause="16",
        steps=steps,
    )


# Calls


def test_given_a_call_with_ten_steps_when_recorded_then_it_round_trips_in_order_in_utc(
    store: Store,
) -> None:
    call = answered_call()

    store.record_call(call)
    loaded = store.get_call(call.uniqueid)

    assert loaded == call
    assert loaded is not None
    assert [step.kind for step in loaded.steps] == [step.kind for step in call.steps]
    stamps = [loaded.arrived_at, loaded.answered_at, loaded.ended_at]
    stamps += [step.at for step in loaded.steps]
    assert all(stamp is not None and stamp.tzinfo == UTC for stamp in stamps)
    assert loaded.arrived_at == datetime(2024, 3, 1, 1, 30, 0, 123456, tzinfo=UTC)


def test_when_a_call_is_recorded_again_then_its_row_is_updated_and_steps_replaced(
    store: Store,
) -> None:
    waiting = CallRecord(
        uniqueid="1709256600.42",
        linkedid="1709256600.42",
        caller_number="13800138000",
        caller_name="",
        dialed="12333",
        arrived_at=T0,
        steps=(
            CallStep(T0, StepKind.ARRIVAL),
            CallStep(at(1), StepKind.IVR_PROMPT, {"prompt": "welcome"}),
            CallStep(at(2), StepKind.FALLBACK, {"reason": "controller timeout"}),
        ),
    )
    final = answered_call()

    first_id = store.record_call(waiting)
    assert store.get_call(waiting.uniqueid) == waiting
    second_id = store.record_call(final)

    assert second_id == first_id
    assert store.count_calls() == 1
    assert store.get_call(final.uniqueid) == final


def test_get_call_of_an_unknown_uniqueid_returns_none(store: Store) -> None:
    assert store.get_call("no-such-call") is None


def test_list_calls_returns_newest_first_from_since_up_to_limit(store: Store) -> None:
    for minute in range(5):
        store.record_call(answered_call(f"call-{minute}", arrived=at(60 * minute)))

    newest_three = store.list_calls(limit=3)
    since_minute_2 = store.list_calls(since=at(120))

    assert [call.uniqueid for call in newest_three] == ["call-4", "call-3", "call-2"]
    assert [call.uniqueid for call in since_minute_2] == ["call-4", "call-3", "call-2"]
    assert all(len(call.steps) == 10 for call in since_minute_2)
    assert store.count_calls() == 5


def test_list_calls_rejects_a_naive_since(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.list_calls(since=datetime(2024, 3, 1))


async def test_given_calls_recorded_from_many_threads_at_once_then_none_is_lost(
    store: Store,
) -> None:
    calls = [answered_call(f"call-{n}", arrived=at(n)) for n in range(40)]

    await asyncio.gather(*(asyncio.to_thread(store.record_call, call) for call in calls))

    assert store.count_calls() == 40
    assert store.get_call("call-39") == calls[39]


def test_call_record_rejects_naive_times_and_an_overlong_caller_number() -> None:
    good = answered_call()
    naive = T0.replace(tzinfo=None)

    with pytest.raises(ValueError, match="arrived_at must be timezone-aware"):
        CallRecord(good.uniqueid, good.linkedid, "", "", "12333", naive)
    with pytest.raises(ValueError, match="at must be timezone-aware"):
        CallStep(naive, StepKind.ARRIVAL)
    with pytest.raises(ValueError, match="caller_number is 41 characters long"):
        CallRecord(good.uniqueid, good.linkedid, "1" * 41, "", "12333", T0)
    with pytest.raises(ValueError, match="not_an_outcome"):
        CallRecord(good.uniqueid, good.linkedid, "", "", "12333", T0, outcome="not_an_outcome")  # type: ignore[arg-type]


# Seats, skills, agents


def test_ensuring_seats_twice_keeps_one_seat_per_name(store: Store) -> None:
    store.ensure_seats(["seat001", "seat002", "seat001"])
    store.ensure_seats(["seat002", "seat003"])

    seats = store.list_seats()

    assert [seat.name for seat in seats] == ["seat001", "seat002", "seat003"]
    assert seats[0].endpoint == "PJSIP/seat001"


def test_ensuring_220_seats_takes_well_under_a_second(store: Store) -> None:
    names = [f"seat{n:03d}" for n in range(1, 221)]

    started = time.perf_counter()
    store.ensure_seats(names)
    store.ensure_seats(names)
    elapsed = time.perf_counter() - started

    assert len(store.list_seats()) == 220
    assert elapsed < 0.5


def test_upsert_agent_creates_then_updates_and_replaces_skills(store: Store) -> None:
    store.ensure_skills({"pension": "养老", "unemployment": "失业保险", "injury": "工伤保险"})
    store.ensure_skills({"pension": "养老保险"})

    created = store.upsert_agent("A001", "李娜", {"pension": 5, "injury": 2})
    renamed = store.upsert_agent("A001", "李娜娜")
    reskilled = store.upsert_agent("A001", "李娜娜", {"pension": 3, "unemployment": 4})

    assert created.skills == {"pension": 5, "injury": 2}
    assert renamed.skills == created.skills
    assert renamed.created_at == created.created_at
    assert reskilled.skills == {"pension": 3, "unemployment": 4}
    assert store.get_agent("A001") == reskilled
    assert store.get_agent("A404") is None


def test_list_agents_orders_by_code_and_keeps_inactive_ones(store: Store) -> None:
    store.upsert_agent("A002", "王强", active=False)
    store.upsert_agent("A001", "李娜")

    agents = store.list_agents()

    assert [(agent.code, agent.active) for agent in agents] == [("A001", True), ("A002", False)]
    assert all(agent.created_at.tzinfo == UTC for agent in agents)


def test_upsert_agent_with_an_unknown_skill_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="ensure_skills"):
        store.upsert_agent("A001", "李娜", {"pension": 3})
    assert store.get_agent("A001") is None


def test_upsert_agent_rejects_proficiency_6(store: Store) -> None:
    store.ensure_skills({"pension": "养老保险"})

    with pytest.raises(ValueError, match=r"expected 1\.\.5"):
        store.upsert_agent("A001", "李娜", {"pension": 6})


# Agent sessions


def seat_agents(store: Store) -> None:
    store.ensure_seats(["seat001", "seat002"])
    store.upsert_agent("A001", "李娜")
    store.upsert_agent("A002", "王强")


def test_given_agents_logged_in_when_the_controller_restarts_then_it_knows_who_sits_where(
    database_url: str, store: Store
) -> None:
    seat_agents(store)
    store.open_agent_session("A001", "seat001", T0)
    store.open_agent_session("A002", "seat002", at(5))
    store.close()

    restarted = Store.open(database_url)
    try:
        sessions = restarted.open_agent_sessions()
    finally:
        restarted.close()

    assert sessions == [("A001", "seat001", T0), ("A002", "seat002", at(5))]
    assert sessions[0].logged_in_at.tzinfo == UTC


def test_logging_in_at_a_seat_left_open_closes_the_stale_session(store: Store) -> None:
    seat_agents(store)
    store.open_agent_session("A001", "seat001", T0)

    store.open_agent_session("A002", "seat001", at(60))

    assert store.open_agent_sessions() == [("A002", "seat001", at(60))]
    assert store.close_agent_session("A001", at(90)) is False


def test_logging_in_again_at_the_same_seat_keeps_the_first_login_time(store: Store) -> None:
    seat_agents(store)
    store.open_agent_session("A001", "seat001", T0)

    store.open_agent_session("A001", "seat001", at(30))

    assert store.open_agent_sessions() == [("A001", "seat001", T0)]


def test_closing_a_session_logs_the_agent_out_once(store: Store) -> None:
    seat_agents(store)
    store.open_agent_session("A001", "seat001", T0)

    assert store.close_agent_session("A001", at(3600)) is True
    assert store.close_agent_session("A001", at(3601)) is False
    assert store.open_agent_sessions() == []


def test_opening_a_session_for_an_unknown_agent_or_seat_raises_not_found(store: Store) -> None:
    seat_agents(store)

    with pytest.raises(NotFoundError, match="agent 'A404'"):
        store.open_agent_session("A404", "seat001", T0)
    with pytest.raises(NotFoundError, match="seat 'seat404'"):
        store.open_agent_session("A001", "seat404", T0)


# API tokens


def test_a_token_verifies_until_it_is_revoked(store: Store) -> None:
    token = store.create_token("desk-A001", Role.AGENT, agent_code="A001")

    record = store.verify_token(token)
    assert record is not None
    assert (record.name, record.role, record.agent_code) == ("desk-A001", Role.AGENT, "A001")

    assert store.revoke_token("desk-A001") is True
    assert store.verify_token(token) is None
    assert store.revoke_token("desk-A001") is False


def test_unknown_or_empty_tokens_do_not_verify(store: Store) -> None:
    store.create_token("wallboard", "supervisor")

    assert store.verify_token("not-a-token") is None
    assert store.verify_token("") is None


def test_only_the_tokens_sha256_is_stored(database_url: str, store: Store) -> None:
    token = store.create_token("ops", Role.ADMIN)

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT * FROM api_tokens")).all()
    finally:
        engine.dispose()

    assert len(rows) == 1
    assert token not in {str(value) for value in rows[0]}
    assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_creating_a_token_with_a_used_name_raises_conflict(store: Store) -> None:
    store.create_token("ops", Role.ADMIN)
    store.revoke_token("ops")

    with pytest.raises(ConflictError, match="'ops' already exists"):
        store.create_token("ops", Role.ADMIN)


def test_an_agent_token_needs_an_agent_code_and_other_roles_take_none(store: Store) -> None:
    with pytest.raises(ValueError, match="needs the agent's code"):
        store.create_token("desk", Role.AGENT)
    with pytest.raises(ValueError, match="only agent tokens"):
        store.create_token("boss", Role.SUPERVISOR, agent_code="A001")
    with pytest.raises(ValueError, match="'root'"):
        store.create_token("root", "root")


# Opening, checking, errors


def test_check_on_an_unreachable_postgres_says_what_to_do_without_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    store = Store.open("postgresql+psycopg://hotline:s3cret-pw@127.0.0.1:1/hotline")
    try:
        with pytest.raises(StorageUnavailable) as raised:
            store.check()
        with pytest.raises(StorageUnavailable):
            store.count_calls()
    finally:
        store.close()

    message = str(raised.value)
    assert "s3cret-pw" not in message
    assert "127.0.0.1:1/hotline" in message
    assert "pg_ctlcluster" in message
    assert "s3cret-pw" not in caplog.text
    assert "s3cret-pw" not in repr(store) + store.url


def test_check_on_a_reachable_database_passes(store: Store) -> None:
    store.check()


def test_using_a_database_that_was_never_migrated_says_to_run_migrations(
    database_url: str,
) -> None:
    store = Store.open(database_url)
    try:
        with pytest.raises(StorageError, match="run the migrations"):
            store.count_calls()
    finally:
        store.close()


def test_opening_a_sqlite_file_creates_its_folder(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'var' / 'lib' / 'hotline.db'}")
    try:
        store.migrate()
        assert store.count_calls() == 0
    finally:
        store.close()

    assert (tmp_path / "var" / "lib" / "hotline.db").is_file()


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        ("mysql://root:pw@localhost/hotline", "unsupported database"),
        ("not a url at all:pw@", "invalid database URL"),
    ],
)
def test_unsupported_urls_are_refused_clearly(url: str, error: str) -> None:
    with pytest.raises(StorageError, match=error) as raised:
        Store.open(url)
    assert ":pw@" not in str(raised.value)


def test_plain_postgresql_urls_use_psycopg() -> None:
    assert parse_url("postgresql://u@h/db").drivername == "postgresql+psycopg"


def test_sqlite_connections_enforce_foreign_keys_and_wait_when_busy(tmp_path: Path) -> None:
    engine = make_engine(parse_url(support.sqlite_url(tmp_path)))
    try:
        with engine.connect() as connection:
            foreign_keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
            busy_timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
    finally:
        engine.dispose()

    assert foreign_keys == 1
    assert busy_timeout == 5000
