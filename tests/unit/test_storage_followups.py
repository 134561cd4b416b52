"""Queued callbacks and voice messages in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hotline.storage import CallRecord, MessageStatus, Outcome, Store, VoiceMessage
from queues import callbacks as cb
from tests.unit import test_storage_support as support
from tests.unit.test_storage_support import at

database_url = support.database_url
postgres_admin_url = support.postgres_admin_url
postgres_url = support.postgres_url
store = support.store

POLICY = cb.CallbackPolicy(max_attempts=2)


def callback(n: int = 1) -> cb.Callback:
    return cb.Callback(
        id=f"cb-{n}",
        call_uniqueid=f"1700000000.{n}",
        number="13812345678",
        queue="pension",
        topic="pension",
        priority=5,
        requirements=(("pension", 3),),
        queued_at=at(0),
        requested_at=at(30 + n),
    )


def test_a_callback_is_saved_and_updated_through_its_states(store: Store) -> None:
    first = callback()
    store.save_callback(first)
    dialling = cb.dial(first, "A001", at(60))
    store.save_callback(dialling)

    assert store.list_callbacks() == [dialling]
    failed = cb.not_answered(dialling, "NOANSWER", POLICY, at(90))
    store.save_callback(failed)
    assert store.list_callbacks(open_only=True) == [failed]  # retry_wait is still open


def test_only_open_callbacks_are_listed_for_a_restart(store: Store) -> None:
    waiting, done = callback(1), callback(2)
    store.save_callback(waiting)
    connected = cb.answered(cb.dial(done, "A001", at(60)), at(70))
    store.save_callback(connected)

    assert [c.id for c in store.list_callbacks(open_only=True)] == ["cb-1"]
    assert [c.id for c in store.list_callbacks()] == ["cb-1", "cb-2"]
    assert store.list_callbacks(since=at(32)) == [connected]


def message(uniqueid: str = "1700000000.9", seconds: float = 0) -> VoiceMessage:
    return VoiceMessage(
        call_uniqueid=uniqueid,
        caller_number="13812345678",
        queue="general",
        topic="general",
        audio="/var/spool/asterisk/hotline-messages/x.wav",
        duration_ms=4200,
        recorded_at=at(seconds),
    )


def test_a_message_is_stored_once_per_call_and_can_be_marked_handled(store: Store) -> None:
    first = store.save_message(message())
    again = store.save_message(replace(message(), duration_ms=4300))
    other = store.save_message(message("1700000000.10", 5))

    assert first == again != other
    assert [m.call_uniqueid for m in store.list_messages()] == ["1700000000.10", "1700000000.9"]
    assert store.get_message(first) == replace(message(), id=first, duration_ms=4300)

    assert store.mark_message_handled(first, "S001", at(100)) is True
    assert store.mark_message_handled(999_999, "S001", at(100)) is False
    handled = store.get_message(first)
    assert handled is not None
    assert (handled.status, handled.handled_by) == (MessageStatus.HANDLED, "S001")
    assert [m.id for m in store.list_messages(MessageStatus.NEW)] == [other]


def test_a_message_with_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        replace(message(), recorded_at=at(0).replace(tzinfo=None))


def test_recent_answerers_are_the_answered_calls_since_a_time(store: Store) -> None:
    answered = CallRecord(
        "u1", "u1", "13812345678", "", "12333", at(0), Outcome.ANSWERED,
        answered_at=at(5), ended_at=at(60), agent_code="A001", seat="seat001",
    )  # fmt: skip
    abandoned = CallRecord("u2", "u2", "13900000000", "", "12333", at(10), Outcome.ABANDONED)
    earlier = replace(answered, uniqueid="u0", arrived_at=at(-100), answered_at=at(-90))
    for record in (answered, abandoned, earlier):
        store.record_call(record)

    assert store.recent_answerers(at(-1)) == [("13812345678", "A001", at(5))]


def test_the_mean_talk_time_of_recent_answered_calls(store: Store) -> None:
    assert store.mean_talk_seconds(at(-1)) is None
    for n, talk_ms in enumerate((60_000, 120_000)):
        store.record_call(
            CallRecord(
                f"t{n}", f"t{n}", "13812345678", "", "12333", at(n), Outcome.ANSWERED,
                answered_at=at(n + 5), ended_at=at(n + 100), talk_ms=talk_ms,
            )
        )  # fmt: skip
    store.record_call(CallRecord("old", "old", "1", "", "12333", at(-50), talk_ms=999_000))

    assert store.mean_talk_seconds(at(-1)) == 90.0
