"""Outbox delivery decisions: keys, backoff with the jitter passed in, dead letters, replay."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.transfers.conftest import at
from transfers.outbox import (
    DestinationKind,
    EntryState,
    RetryPolicy,
    backoff,
    delivered,
    destination_kind,
    failed,
    idempotency_key,
    is_due,
    is_permanent_http_failure,
    new_entry,
    replay,
)

NOW = at(2026, 11, 25, 10, 0)
TOPIC = "hotline/v1/offices/win-pudong-insp/work-orders"
HOOK = "https://insp.pudong.example.invalid/hooks/12333"
POLICY = RetryPolicy(
    base_delay_s=2,
    multiplier=2,
    max_delay_s=600,
    jitter=0.2,
    max_attempts=5,
    max_age=timedelta(hours=6),
)


def test_the_idempotency_key_is_the_same_for_the_same_order_version_and_destination() -> None:
    key = idempotency_key("WO-20261125-0042", 3, TOPIC)
    assert key == idempotency_key("WO-20261125-0042", 3, TOPIC)
    assert key.startswith("wo-")
    assert len(key) == 35
    others = {
        idempotency_key("WO-20261125-0042", 4, TOPIC),
        idempotency_key("WO-20261125-0042", 3, HOOK),
        idempotency_key("WO-20261125-0043", 3, TOPIC),
    }
    assert key not in others
    assert len(others) == 3


def test_a_new_entry_is_due_at_once() -> None:
    entry = new_entry("WO-20261125-0042", 1, HOOK, NOW)
    assert entry.kind is DestinationKind.WEBHOOK
    assert is_due(entry, NOW)
    assert entry.idempotency_key == idempotency_key("WO-20261125-0042", 1, HOOK)


@pytest.mark.parametrize(
    ("destination", "kind"), [(TOPIC, DestinationKind.MQTT), (HOOK, DestinationKind.WEBHOOK)]
)
def test_a_destination_is_a_topic_or_a_webhook(destination: str, kind: DestinationKind) -> None:
    assert destination_kind(destination) is kind


@pytest.mark.parametrize("destination", ["", "hotline/v1/#", "hotline/+/x", "a\x00b", "x" * 1001])
def test_a_destination_that_is_neither_is_refused(destination: str) -> None:
    with pytest.raises(ValueError, match="neither a webhook URL nor an MQTT topic"):
        new_entry("WO-1", 1, destination, NOW)


def test_backoff_doubles_from_the_base_and_stops_at_the_cap() -> None:
    waits = [backoff(n, POLICY, jitter_fraction=0.5).total_seconds() for n in range(1, 12)]
    assert waits == [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]


@pytest.mark.parametrize(("fraction", "seconds"), [(0.0, 6.4), (0.5, 8.0), (1.0, 9.6)])
def test_the_jitter_fraction_spreads_the_wait_by_its_share(fraction: float, seconds: float) -> None:
    assert backoff(3, POLICY, fraction).total_seconds() == pytest.approx(seconds)


@pytest.mark.parametrize("fraction", [-0.1, 1.1])
def test_a_jitter_fraction_outside_zero_to_one_is_refused(fraction: float) -> None:
    with pytest.raises(ValueError, match="jitter_fraction"):
        backoff(1, POLICY, fraction)


@given(st.integers(min_value=1, max_value=10_000), st.floats(min_value=0, max_value=1))
def test_backoff_stays_within_the_jitter_of_the_capped_delay(
    attempts: int, fraction: float
) -> None:
    wait = backoff(attempts, POLICY, fraction).total_seconds()
    assert 2 * 0.8 - 1e-9 <= wait <= 600 * 1.2 + 1e-9


def test_a_failure_schedules_the_next_attempt_and_keeps_the_error() -> None:
    entry = failed(new_entry("WO-1", 1, HOOK, NOW), "HTTP 503", NOW, POLICY, jitter_fraction=0.5)
    assert (entry.state, entry.attempts, entry.last_error) == (EntryState.PENDING, 1, "HTTP 503")
    assert entry.next_attempt_at == NOW + timedelta(seconds=2)
    assert not is_due(entry, NOW + timedelta(seconds=1))
    assert is_due(entry, NOW + timedelta(seconds=2))


def test_after_the_last_attempt_the_entry_is_dead_lettered() -> None:
    entry = new_entry("WO-1", 1, HOOK, NOW)
    for n in range(POLICY.max_attempts):
        entry = failed(
            entry, f"timeout {n}", NOW + timedelta(seconds=n), POLICY, jitter_fraction=0.5
        )
    assert entry.state is EntryState.DEAD
    assert entry.dead_reason == "gave up after 5 attempts"
    assert not is_due(entry, NOW + timedelta(days=1))


def test_an_entry_older_than_the_maximum_age_is_dead_lettered_on_its_next_failure() -> None:
    entry = failed(
        new_entry("WO-1", 1, TOPIC, NOW),
        "broker down",
        NOW + timedelta(hours=6),
        POLICY,
        jitter_fraction=0.5,
    )
    assert entry.state is EntryState.DEAD
    assert entry.dead_reason == "older than 6:00:00"


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(400, True), (404, True), (410, True), (408, False), (429, False), (500, False), (503, False)],
)
def test_a_webhook_refusing_for_good_is_a_permanent_failure(status: int, permanent: bool) -> None:
    assert is_permanent_http_failure(status) is permanent


def test_a_permanent_failure_dead_letters_at_once() -> None:
    entry = failed(
        new_entry("WO-1", 1, HOOK, NOW),
        "HTTP 404",
        NOW,
        POLICY,
        jitter_fraction=0.5,
        permanent=True,
    )
    assert entry.state is EntryState.DEAD
    assert entry.dead_reason == "permanent failure: HTTP 404"


def test_a_long_error_is_cut() -> None:
    entry = failed(new_entry("WO-1", 1, HOOK, NOW), "x" * 10_000, NOW, POLICY, jitter_fraction=0.5)
    assert entry.last_error is not None
    assert len(entry.last_error) == 500


def test_replaying_a_dead_letter_resets_its_attempts_and_age_but_keeps_its_key() -> None:
    dead = failed(
        new_entry("WO-1", 1, HOOK, NOW),
        "HTTP 404",
        NOW,
        POLICY,
        jitter_fraction=0.5,
        permanent=True,
    )
    later = NOW + timedelta(days=3)
    entry = replay(dead, later)
    assert (entry.state, entry.attempts, entry.last_error, entry.replays) == (
        EntryState.PENDING,
        0,
        None,
        1,
    )
    assert entry.idempotency_key == dead.idempotency_key
    assert entry.created_at == NOW
    assert is_due(entry, later)
    retried = failed(entry, "HTTP 503", later, POLICY, jitter_fraction=0.5)
    assert retried.state is EntryState.PENDING  # the age counts from the replay


def test_only_a_dead_letter_is_replayed_and_only_a_pending_entry_is_tried() -> None:
    pending = new_entry("WO-1", 1, HOOK, NOW)
    with pytest.raises(ValueError, match="not dead"):
        replay(pending, NOW)
    done = delivered(pending, NOW)
    assert (done.state, done.attempts) == (EntryState.DELIVERED, 1)
    with pytest.raises(ValueError, match="not pending"):
        failed(done, "late", NOW, POLICY, jitter_fraction=0.5)


@pytest.mark.parametrize(
    "changes",
    [
        {"jitter": 1.0},
        {"jitter": -0.1},
        {"base_delay_s": 0},
        {"multiplier": 0.5},
        {"max_attempts": 0},
    ],
)
def test_an_impossible_retry_policy_is_refused(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"jitter|delays"):
        RetryPolicy(**changes)  # type: ignore[arg-type]
