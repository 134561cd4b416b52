"""A call's path as the controller learns it, turned into a stored record when it ends.

Pure: every method takes the time it happened; nothing here reads a clock or does I/O.
Caller-supplied text (number, name) is cleaned on the way in: a hostile caller ID can neither
break a log line nor overflow a column.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from hotline.storage import CallRecord, CallStep, Outcome, StepKind
from hotline.storage.records import JsonValue

NUMBER_CHARS = re.compile(r"[^0-9+*#]")


def clean_number(raw: str) -> str:
    """A caller number keeps only dial characters (Asterisk sends 'unknown' for none)."""
    return NUMBER_CHARS.sub("", raw)[:40]


def clean_name(raw: str) -> str:
    """A caller name without control characters, quotes or angle brackets, at most 80 chars."""
    kept = (" " if unicodedata.category(ch).startswith("C") or ch in '"<>\\' else ch for ch in raw)
    return " ".join("".join(kept).split())[:80]


@dataclass
class CallTrace:
    uniqueid: str
    linkedid: str
    caller_number: str
    caller_name: str
    dialed: str
    arrived_at: datetime
    steps: list[CallStep] = field(default_factory=list)
    queue: str | None = None
    topic: str | None = None
    queued_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    agent: str | None = None
    seat: str | None = None
    fallback: bool = False
    in_ivr: bool = True
    hangup_cause: str | None = None
    left_queue: Outcome | None = None
    """Set when the caller left the queue by choice (a callback, a message), or when the IVR
    itself ended the call (self-service done, an out-of-hours callback booked)."""
    ivr_node: str | None = None
    """The IVR node the caller is at (or left from): where an IVR hang-up happened."""
    flow: str | None = None
    flow_version: int = 0
    callback_booked: bool = False
    """The IVR booked a callback for the next opening (out of hours)."""
    masked_id: str | None = None
    """The caller's ID number as keyed in the IVR, masked; the full number is never kept."""

    @classmethod
    def arrive(
        cls, uniqueid: str, linkedid: str, number: str, name: str, dialed: str, *, at: datetime
    ) -> CallTrace:
        trace = cls(
            uniqueid=uniqueid,
            linkedid=linkedid or uniqueid,
            caller_number=clean_number(number),
            caller_name=clean_name(name),
            dialed=clean_number(dialed),
            arrived_at=at,
        )
        trace.step(StepKind.ARRIVAL, at, number=trace.caller_number, dialed=trace.dialed)
        return trace

    def step(self, kind: StepKind, at: datetime, **detail: JsonValue) -> None:
        self.steps.append(CallStep(at=at, kind=kind, detail=detail))

    def enter_queue(self, queue: str, topic: str, position: int, at: datetime) -> None:
        self.in_ivr = False
        self.queue, self.topic = queue, topic
        if self.queued_at is None:
            self.queued_at = at
        self.step(StepKind.QUEUE_ENTER, at, queue=queue, topic=topic, position=position)

    def offer(self, agent: str, seat: str, at: datetime) -> None:
        self.agent, self.seat = agent, seat
        self.step(StepKind.OFFER, at, agent=agent, seat=seat)

    def offer_failed(self, status: str, at: datetime) -> None:
        self.step(StepKind.OFFER_TIMEOUT, at, agent=self.agent, seat=self.seat, status=status)
        if self.answered_at is None:
            self.agent = self.seat = None

    def answer(self, agent: str | None, seat: str, at: datetime) -> None:
        if self.answered_at is not None:
            return
        self.answered_at = at
        self.agent, self.seat = agent or self.agent, seat
        self.step(StepKind.ANSWER, at, agent=self.agent, seat=seat, fallback=self.fallback)

    def leave_queue(self, outcome: Outcome, at: datetime, **detail: JsonValue) -> None:
        """The caller chose to stop waiting: ``outcome`` is a callback or a message."""
        if self.answered_at is not None or self.left_queue is not None:
            return
        self.left_queue = outcome
        kind = StepKind.CALLBACK if outcome is Outcome.CALLBACK_REQUESTED else StepKind.MESSAGE
        self.step(kind, at, **detail)

    def end_in_ivr(self, outcome: Outcome, at: datetime, node: str) -> None:
        """The flow ended the call as it is written to (not a caller hanging up mid-menu)."""
        if self.left_queue is None:
            self.left_queue = outcome
            self.step(StepKind.IVR_END, at, node=node, outcome=outcome.value)

    def enter_fallback(self, reason: str, at: datetime) -> None:
        if self.fallback:
            return
        self.fallback, self.in_ivr = True, False
        if self.queued_at is None:
            self.queued_at = at
        self.step(StepKind.FALLBACK, at, reason=reason)

    def end(self, cause: str, at: datetime) -> None:
        if self.ended_at is not None:
            return
        self.hangup_cause = cause[:64] or None
        self.step(StepKind.HANGUP, at, cause=self.hangup_cause)
        self.ended_at = at
        self.step(StepKind.END, at, outcome=self.outcome().value)

    def outcome(self) -> Outcome:
        if self.ended_at is None:
            return Outcome.IN_PROGRESS
        if self.answered_at is not None:
            return Outcome.FALLBACK_ANSWERED if self.fallback else Outcome.ANSWERED
        if self.left_queue is not None:
            return self.left_queue
        if self.fallback:
            return Outcome.FALLBACK_ABANDONED
        return Outcome.IVR_HANGUP if self.in_ivr else Outcome.ABANDONED

    def wait_ms(self) -> int | None:
        if self.queued_at is None:
            return None
        until = self.answered_at or self.ended_at
        return None if until is None else _ms(until - self.queued_at)

    def talk_ms(self) -> int | None:
        if self.answered_at is None or self.ended_at is None:
            return None
        return _ms(self.ended_at - self.answered_at)

    def record(self) -> CallRecord:
        return CallRecord(
            uniqueid=self.uniqueid,
            linkedid=self.linkedid,
            caller_number=self.caller_number,
            caller_name=self.caller_name,
            dialed=self.dialed,
            arrived_at=self.arrived_at,
            outcome=self.outcome(),
            answered_at=self.answered_at,
            ended_at=self.ended_at,
            queue=self.queue,
            agent_code=self.agent,
            seat=self.seat,
            wait_ms=self.wait_ms(),
            talk_ms=self.talk_ms(),
            fallback=self.fallback,
            hangup_cause=self.hangup_cause,
            steps=tuple(self.steps),
        )


def _ms(delta: timedelta) -> int:
    return max(0, round(delta.total_seconds() * 1000))
