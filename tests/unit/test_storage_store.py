"""The Store's calls, and how it opens, checks and fails, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hotline.storage import (
    CallRecord,
    CallStep,
    Outcome,
    StepKind,
    StorageError,
    StorageUnavailable,
    Store,
)
from hotline.storage.engine import make_engine, parse_url
from tests.unit import test_storage_support as support
from tests.unit.test_storage_support import T0, at

# The storage tests share their database fixtures through this module.
database_url = support.database_url
postgres_admin_url = support.postgres_admin_url
postgres_url = support.postgres_url
store = support.store


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


def test_a_callers_previous_calls_come_newest_first_before_the_time_without_steps(
    store: Store,
) -> None:
    for minute in (0, 10, 20):
        store.record_call(answered_call(f"call-{minute}", arrived=at(60 * minute)))
    other = dataclasses.replace(
        answered_call("other", arrived=at(300)), caller_number="13900139000"
    )
    store.record_call(other)
    store.set_disposition("call-0", "pension.transfer")

    found = store.calls_from("13800138000", before=at(60 * 20), limit=5)

    assert [c.uniqueid for c in found] == ["call-10", "call-0"]
    assert found[1].disposition == "pension.transfer"
    assert found[0].outcome is answered_call().outcome
    assert found[0].arrived_at == at(600) and found[0].steps == ()
    assert store.calls_from("13800138000", before=at(60 * 20), limit=1)[0].uniqueid == "call-10"
    assert store.calls_from("", before=at(60 * 20)) == []


def test_a_calls_disposition_round_trips_through_record_get_and_list(store: Store) -> None:
    call = dataclasses.replace(answered_call(), disposition="pension.query")

    store.record_call(call)

    assert store.get_call(call.uniqueid) == call
    assert [listed.disposition for listed in store.list_calls()] == ["pension.query"]


def test_given_a_disposition_set_when_the_call_is_recorded_again_without_one_then_it_is_kept(
    store: Store,
) -> None:
    call = answered_call()
    store.record_call(call)

    assert store.set_disposition(call.uniqueid, "pension.query") is True
    store.record_call(call)  # the controller re-records what it knows, no disposition
    kept = store.get_call(call.uniqueid)

    assert kept == dataclasses.replace(call, disposition="pension.query")
    store.record_call(dataclasses.replace(call, disposition="injury.claim"))
    replaced = store.get_call(call.uniqueid)
    assert replaced is not None
    assert replaced.disposition == "injury.claim"


def test_set_disposition_of_an_unknown_call_returns_false(store: Store) -> None:
    assert store.set_disposition("no-such-call", "pension.query") is False
    assert store.count_calls() == 0


def test_dispositions_must_be_non_empty_and_at_most_64_characters(store: Store) -> None:
    store.record_call(answered_call())

    with pytest.raises(ValueError, match="must not be empty"):
        store.set_disposition("1709256600.42", "")
    with pytest.raises(ValueError, match="disposition is 65 characters long"):
        store.set_disposition("1709256600.42", "x" * 65)
    with pytest.raises(ValueError, match="disposition is 65 characters long"):
        dataclasses.replace(answered_call(), disposition="x" * 65)
    assert store.set_disposition("1709256600.42", "x" * 64) is True


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
