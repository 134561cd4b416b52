"""Queued callbacks as a table-driven machine. Pure: facts in, the next callback out.

A caller who asks for a callback hangs up but keeps their place: the routing core holds a
``callback=True`` entry with the caller's original arrival, and when it reaches the head and an
agent is free, the agent is reserved and the caller's number dialled (customer first, so an
agent never waits on a phone nobody picks up for longer than the ring time).

    waiting -[dial]-> dialling -[answered]-> connected
    dialling -[no_answer]-> retry_wait -[retry_due]-> waiting      (attempts left)
    dialling -[no_answer]-> failed                                  (last attempt)
    waiting | retry_wait -[cancel]-> cancelled                      (an admin, or the caller
                                                                      called again)
    dialling -[agent_lost]-> waiting                                (the reserved agent left
                                                                      before the answer)

A retry goes back in at the original place: the caller has already waited their turn.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace
from datetime import datetime


class CallbackStatus(enum.StrEnum):
    WAITING = "waiting"
    DIALLING = "dialling"
    CONNECTED = "connected"
    RETRY_WAIT = "retry_wait"
    FAILED = "failed"
    CANCELLED = "cancelled"


class CallbackEvent(enum.StrEnum):
    DIAL = "dial"
    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    LAST_NO_ANSWER = "last_no_answer"
    RETRY_DUE = "retry_due"
    CANCEL = "cancel"
    AGENT_LOST = "agent_lost"


C, CE = CallbackStatus, CallbackEvent

TRANSITIONS: dict[tuple[CallbackStatus, CallbackEvent], CallbackStatus] = {
    (C.WAITING, CE.DIAL): C.DIALLING,
    (C.DIALLING, CE.ANSWERED): C.CONNECTED,
    (C.DIALLING, CE.NO_ANSWER): C.RETRY_WAIT,
    (C.DIALLING, CE.LAST_NO_ANSWER): C.FAILED,
    (C.DIALLING, CE.AGENT_LOST): C.WAITING,
    (C.RETRY_WAIT, CE.RETRY_DUE): C.WAITING,
    (C.WAITING, CE.CANCEL): C.CANCELLED,
    (C.RETRY_WAIT, CE.CANCEL): C.CANCELLED,
}

OPEN = frozenset({C.WAITING, C.DIALLING, C.RETRY_WAIT})
"""Callbacks still to be made: restored into the queue after a controller restart."""


class InvalidCallbackTransition(Exception):
    def __init__(self, callback_id: str, status: CallbackStatus, event: CallbackEvent) -> None:
        super().__init__(f"callback {callback_id}: no transition from {status} on {event}")


@dataclass(frozen=True)
class CallbackPolicy:
    """How callbacks are dialled. ``max_legs`` caps simultaneous outbound legs, so callbacks
    never take the lines inbound callers need."""

    max_attempts: int = 3
    retry_after_s: float = 120.0
    ring_s: float = 30.0
    max_legs: int = 30

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.max_legs < 1:
            raise ValueError("a callback policy needs at least one attempt and one leg")
        if not (math.isfinite(self.retry_after_s) and self.retry_after_s >= 0):
            raise ValueError(f"retry_after_s must be >= 0, not {self.retry_after_s}")
        if not (math.isfinite(self.ring_s) and self.ring_s > 0):
            raise ValueError(f"ring_s must be > 0, not {self.ring_s}")


@dataclass(frozen=True)
class Callback:
    """One queued callback: who to call, for which queue, where they stood, how it went."""

    id: str
    call_uniqueid: str
    number: str
    queue: str
    topic: str
    priority: int
    requirements: tuple[tuple[str, int], ...]
    queued_at: datetime
    """When the caller first joined the queue: their place is kept by it."""
    requested_at: datetime
    status: CallbackStatus = C.WAITING
    attempts: int = 0
    last_result: str = ""
    leg_uniqueid: str | None = None
    agent: str | None = None
    updated_at: datetime | None = None
    due_at: datetime | None = None
    """Booked for later (out of hours): the callback joins its queue at this time."""

    @property
    def open(self) -> bool:
        return self.status in OPEN

    def leg_id(self) -> str:
        """The Asterisk uniqueid of the next attempt's outbound channel (set by Originate)."""
        return f"{self.id}-{self.attempts + 1}"


def step(callback: Callback, event: CallbackEvent, at: datetime) -> Callback:
    status = TRANSITIONS.get((callback.status, event))
    if status is None:
        raise InvalidCallbackTransition(callback.id, callback.status, event)
    return replace(callback, status=status, updated_at=at)


def dial(callback: Callback, agent: str, at: datetime) -> Callback:
    """An agent is reserved: dial the caller on a new leg."""
    leg = callback.leg_id()
    moved = step(callback, CE.DIAL, at)
    return replace(moved, attempts=callback.attempts + 1, leg_uniqueid=leg, agent=agent)


def answered(callback: Callback, at: datetime) -> Callback:
    return replace(step(callback, CE.ANSWERED, at), last_result="answered")


def not_answered(callback: Callback, reason: str, policy: CallbackPolicy, at: datetime) -> Callback:
    """The attempt failed (no answer, busy, unreachable): retry later, or give up."""
    last = callback.attempts >= policy.max_attempts
    moved = step(callback, CE.LAST_NO_ANSWER if last else CE.NO_ANSWER, at)
    return replace(moved, last_result=reason[:64], agent=None)


def agent_lost(callback: Callback, at: datetime) -> Callback:
    """The reserved agent left before the caller answered: back to waiting, attempt kept."""
    return replace(step(callback, CE.AGENT_LOST, at), agent=None)


def retry_due(callback: Callback, at: datetime) -> Callback:
    return step(callback, CE.RETRY_DUE, at)


def cancel(callback: Callback, reason: str, at: datetime) -> Callback:
    return replace(step(callback, CE.CANCEL, at), last_result=reason[:64])
