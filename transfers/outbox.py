"""Delivering work orders to offices: when to try again, when to give up. Pure decisions.

Each delivery is an outbox entry written in the same transaction as the order's change, then
sent by a loop (MQTT publish or webhook POST) that asks this module what to do after each try:

- the idempotency key is derived from (order number, status version, destination), so a retry
  or a replay carries the same key and the receiver drops the duplicate;
- after a failure, the next attempt waits ``base * multiplier^(attempts-1)`` seconds, capped, and
  spread by ``± jitter`` using a fraction the caller draws (no randomness in here);
- an entry is dead-lettered after ``max_attempts`` tries, when it is older than ``max_age``, or at
  once on a permanent failure (a webhook answering 4xx other than 408/429);
- replaying a dead letter resets its attempts and its age (kept: ``created_at``, the key).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_ERROR_CHARS = 500


class DestinationKind(enum.StrEnum):
    MQTT = "mqtt"
    WEBHOOK = "webhook"


class EntryState(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


def destination_kind(destination: str) -> DestinationKind:
    """A webhook URL (http:// or https://) or an MQTT topic (no wildcards, no NUL)."""
    if destination.startswith(("https://", "http://")):
        return DestinationKind.WEBHOOK
    if not destination or any(char in destination for char in "+#\x00") or len(destination) > 1000:
        raise ValueError(
            f"{destination!r} is neither a webhook URL nor an MQTT topic to publish to"
        )
    return DestinationKind.MQTT


def idempotency_key(order_number: str, version: int, destination: str) -> str:
    digest = hashlib.sha256(f"{order_number}\n{version}\n{destination}".encode()).hexdigest()
    return f"wo-{digest[:32]}"


@dataclass(frozen=True)
class RetryPolicy:
    base_delay_s: float = 2.0
    multiplier: float = 2.0
    max_delay_s: float = 600.0
    jitter: float = 0.2
    """The delay is spread over ± this share of it."""
    max_attempts: int = 12
    max_age: timedelta = timedelta(days=2)

    def __post_init__(self) -> None:
        if not 0 <= self.jitter < 1:
            raise ValueError("jitter is a share of the delay, from 0 to below 1")
        if self.base_delay_s <= 0 or self.multiplier < 1 or self.max_attempts < 1:
            raise ValueError("delays must be positive, growing, with at least one attempt")


@dataclass(frozen=True)
class OutboxEntry:
    idempotency_key: str
    order_number: str
    version: int
    destination: str
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 0
    last_error: str | None = None
    state: EntryState = EntryState.PENDING
    replayed_at: datetime | None = None
    replays: int = 0
    dead_reason: str = ""

    @property
    def kind(self) -> DestinationKind:
        return destination_kind(self.destination)

    @property
    def age_from(self) -> datetime:
        return self.replayed_at or self.created_at


def new_entry(order_number: str, version: int, destination: str, now: datetime) -> OutboxEntry:
    destination_kind(destination)
    key = idempotency_key(order_number, version, destination)
    return OutboxEntry(key, order_number, version, destination, now, now)


def is_due(entry: OutboxEntry, now: datetime) -> bool:
    return entry.state is EntryState.PENDING and now >= entry.next_attempt_at


def backoff(attempts: int, policy: RetryPolicy, jitter_fraction: float) -> timedelta:
    """The wait after the ``attempts``-th failure; ``jitter_fraction`` in [0, 1] (0.5: none)."""
    if not 0 <= jitter_fraction <= 1:
        raise ValueError(f"jitter_fraction {jitter_fraction} is not in [0, 1]")
    exponent = min(max(attempts - 1, 0), 64)
    raw = min(policy.max_delay_s, policy.base_delay_s * policy.multiplier**exponent)
    return timedelta(seconds=raw * (1 + policy.jitter * (2 * jitter_fraction - 1)))


def delivered(entry: OutboxEntry, now: datetime) -> OutboxEntry:
    _pending(entry)
    return dataclasses.replace(entry, state=EntryState.DELIVERED, attempts=entry.attempts + 1,
                               next_attempt_at=now)  # fmt: skip


def failed(
    entry: OutboxEntry, error: str, now: datetime, policy: RetryPolicy, *,
    jitter_fraction: float, permanent: bool = False,
) -> OutboxEntry:  # fmt: skip
    """The entry after a failed try: pending with its next attempt time, or dead."""
    _pending(entry)
    attempts = entry.attempts + 1
    failed_entry = dataclasses.replace(entry, attempts=attempts, last_error=error[:MAX_ERROR_CHARS])
    if permanent:
        return _dead(failed_entry, f"permanent failure: {failed_entry.last_error}")
    if attempts >= policy.max_attempts:
        return _dead(failed_entry, f"gave up after {attempts} attempts")
    if now - entry.age_from >= policy.max_age:
        return _dead(failed_entry, f"older than {policy.max_age}")
    wait = backoff(attempts, policy, jitter_fraction)
    return dataclasses.replace(failed_entry, next_attempt_at=now + wait)


def is_permanent_http_failure(status: int) -> bool:
    """4xx but 408 (timeout) and 429 (too many requests): trying again will not help."""
    return 400 <= status < 500 and status not in (408, 429)


def replay(entry: OutboxEntry, now: datetime) -> OutboxEntry:
    """A dead letter put back: attempts and age start again, the key is the same."""
    if entry.state is not EntryState.DEAD:
        raise ValueError(f"outbox entry {entry.idempotency_key} is {entry.state}, not dead")
    return dataclasses.replace(
        entry, state=EntryState.PENDING, attempts=0, last_error=None, next_attempt_at=now,
        replayed_at=now, replays=entry.replays + 1, dead_reason="",
    )  # fmt: skip


def _dead(entry: OutboxEntry, reason: str) -> OutboxEntry:
    return dataclasses.replace(entry, state=EntryState.DEAD, dead_reason=reason)


def _pending(entry: OutboxEntry) -> None:
    if entry.state is not EntryState.PENDING:
        raise ValueError(f"outbox entry {entry.idempotency_key} is {entry.state}, not pending")
