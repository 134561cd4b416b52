"""The log of agent state changes and pause time from it, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC

import pytest

from hotline.storage import AgentStateChange, Store
from hotline.storage.agent_changes import pause_seconds
from tests.unit import test_storage_support as support
from tests.unit.test_storage_support import T0, at

# The storage tests share their database fixtures through this module.
database_url = support.database_url
postgres_admin_url = support.postgres_admin_url
postgres_url = support.postgres_url
store = support.store


def change(
    agent: str, previous: str, state: str, seconds: float, reason: str = ""
) -> AgentStateChange:
    """A change at T0 + seconds; agent A00n sits at seat00n."""
    return AgentStateChange(agent, f"seat{agent[1:]}", previous, state, reason, at(seconds))


# A working hour, [T0, T0 + 3600 s), of three agents, as the controller logs it.
HOUR = (
    # A001: a lunch begun before the hour, missed offers, then a lunch still open.
    change("A001", "available", "paused", -600, "lunch"),
    change("A001", "paused", "available", 600, "unpause"),
    change("A001", "available", "paused", 1200, "missed offers"),
    change("A001", "paused", "available", 1500, "unpause"),
    change("A001", "available", "paused", 3000, "lunch"),
    # A002: a training pause over before the hour, missed offers ended by a logout,
    # and a lunch after the hour.
    change("A002", "logged_out", "available", -1200, "login"),
    change("A002", "available", "paused", -900, "training"),
    change("A002", "paused", "available", -300, "unpause"),
    change("A002", "available", "paused", 1000, "missed offers"),
    change("A002", "paused", "logged_out", 1100, "logout"),
    change("A002", "logged_out", "available", 4000, "login"),
    change("A002", "available", "paused", 4100, "lunch"),
    # A003: in a meeting since long before the hour, and still.
    change("A003", "available", "paused", -7200, "meeting"),
)


# Recording and listing


def test_changes_recorded_in_batches_are_listed_oldest_first_in_utc(store: Store) -> None:
    first = [
        change("A001", "logged_out", "available", 0, "login"),
        change("A002", "logged_out", "available", 5, "login"),
    ]
    second = [
        change("A001", "available", "offered", 10),
        change("A001", "offered", "on_call", 14),
        change("A001", "on_call", "wrap_up", 200),
        change("A001", "wrap_up", "available", 230, "wrap-up done: pension.query"),
    ]

    store.record_agent_changes(first)
    store.record_agent_changes(second)
    listed = store.list_agent_changes()

    assert listed == [first[0], first[1], *second]
    assert all(logged.at.tzinfo == UTC for logged in listed)
    assert listed[-1].reason == "wrap-up done: pension.query"


def test_changes_at_the_same_instant_keep_the_order_of_their_batch(store: Store) -> None:
    batch = [
        change("A001", "on_call", "wrap_up", 60),
        change("A001", "wrap_up", "available", 60, "wrap-up done"),
        change("A001", "available", "paused", 60, "lunch"),
    ]

    store.record_agent_changes(batch)

    assert store.list_agent_changes() == batch


def test_list_agent_changes_filters_by_agent_and_since_and_stops_at_limit(store: Store) -> None:
    store.record_agent_changes(HOUR)
    a001 = [logged for logged in HOUR if logged.agent_code == "A001"]
    in_the_hour = sorted((logged for logged in HOUR if logged.at >= T0), key=lambda c: c.at)

    assert store.list_agent_changes("A001") == a001
    assert store.list_agent_changes(since=T0) == in_the_hour
    assert store.list_agent_changes("A002", since=at(1000), limit=2) == [HOUR[8], HOUR[9]]
    assert store.list_agent_changes("A404") == []


def test_an_empty_batch_records_nothing(store: Store) -> None:
    store.record_agent_changes([])

    assert store.list_agent_changes() == []


def test_a_batch_of_1000_changes_is_recorded_in_well_under_a_second(store: Store) -> None:
    states = ("available", "paused")
    batch = [
        change(f"A{n % 50:03d}", states[n % 2], states[(n + 1) % 2], n, "lunch")
        for n in range(1000)
    ]

    started = time.perf_counter()
    store.record_agent_changes(batch)
    elapsed = time.perf_counter() - started

    assert store.list_agent_changes(limit=1000) == batch
    # One statement, not a round trip per change (1000 of those take ~10 s on PostgreSQL); the
    # bound is generous because CI machines are busy (1.04 s was seen beside Asterisk tests).
    assert elapsed < 4.0


def test_list_agent_changes_rejects_a_naive_since_and_a_limit_below_1(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.list_agent_changes(since=T0.replace(tzinfo=None))
    with pytest.raises(ValueError, match="limit must be at least 1"):
        store.list_agent_changes(limit=0)


def test_an_agent_state_change_rejects_naive_times_and_overlong_text() -> None:
    with pytest.raises(ValueError, match="at must be timezone-aware"):
        AgentStateChange("A001", "seat001", "available", "paused", "", T0.replace(tzinfo=None))
    with pytest.raises(ValueError, match="reason is 201 characters long"):
        AgentStateChange("A001", "seat001", "available", "paused", "x" * 201, T0)
    with pytest.raises(ValueError, match="agent_code must not be empty"):
        AgentStateChange("", "seat001", "available", "paused", "", T0)


# Pause time, from the database


def test_pause_time_by_reason_counts_closed_open_and_earlier_pauses_within_the_window(
    store: Store,
) -> None:
    store.record_agent_changes(HOUR)

    hour = store.pause_time_by_reason(T0, at(3600))
    middle = store.pause_time_by_reason(at(700), at(1300))

    # lunch: A001 0..600 (begun before T0) + 3000..3600 (still open); A002's is after.
    # missed offers: A001 1200..1500 + A002 1000..1100 (ended by the logout).
    # meeting: A003 the whole hour. training: over before the hour.
    assert hour == {"lunch": 1200.0, "missed offers": 400.0, "meeting": 3600.0}
    assert middle == {"missed offers": 200.0, "meeting": 600.0}


def test_pause_time_by_reason_with_no_changes_is_empty(store: Store) -> None:
    assert store.pause_time_by_reason(T0, at(3600)) == {}


def test_pause_time_by_reason_rejects_naive_times_and_an_inverted_window(store: Store) -> None:
    with pytest.raises(ValueError, match="until must be timezone-aware"):
        store.pause_time_by_reason(T0, at(60).replace(tzinfo=None))
    with pytest.raises(ValueError, match="is before since"):
        store.pause_time_by_reason(at(60), T0)


# Pause time, the computation alone


def test_pause_seconds_of_the_hour_matches_the_store() -> None:
    totals = pause_seconds(HOUR, T0, at(3600))

    assert totals == {"lunch": 1200.0, "missed offers": 400.0, "meeting": 3600.0}


def test_pause_seconds_counts_an_open_pause_up_to_until_only() -> None:
    changes = [change("A001", "available", "paused", 100, "lunch")]

    assert pause_seconds(changes, T0, at(160.5)) == {"lunch": 60.5}
    assert pause_seconds(changes, T0, at(100)) == {}


def test_pause_seconds_takes_each_agents_changes_in_time_order_whatever_the_input_order() -> None:
    changes = [
        change("A002", "paused", "available", 90, "unpause"),
        change("A001", "paused", "available", 50, "unpause"),
        change("A001", "available", "paused", 10, "lunch"),
        change("A002", "available", "paused", 30, "lunch"),
    ]

    assert pause_seconds(changes, T0, at(3600)) == {"lunch": 100.0}


def test_pause_seconds_splits_a_pause_whose_reason_changes() -> None:
    changes = [
        change("A001", "available", "paused", 0, "lunch"),
        change("A001", "paused", "paused", 1800, "meeting"),
        change("A001", "paused", "logged_out", 2400, "logout"),
    ]

    assert pause_seconds(changes, T0, at(3600)) == {"lunch": 1800.0, "meeting": 600.0}


def test_pause_seconds_of_no_pauses_is_empty() -> None:
    changes = [
        change("A001", "logged_out", "available", 0, "login"),
        change("A001", "available", "logged_out", 60, "logout"),
    ]

    assert pause_seconds(changes, T0, at(3600)) == {}
