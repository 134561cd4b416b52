"""What each engine saw of the calls: the controller's own events, or app_queue's AMI events."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from ami.messages import Event as AmiEvent
from hotline.events import CallAnswered, CallArrived, CallEnded, CallQueued, Event
from hotline.metrics import Metrics

ANSWERED = ("answered",)
ABANDONED = ("abandoned", "ivr_hangup", "fallback_abandoned")
LEFT_QUEUE = ("message_left", "callback_requested")
"""Callers who chose, while waiting, to leave a voice message or be called back: served, not
failed (a load caller presses no key while waiting, see bench/RESULTS.md)."""


@dataclass
class Tally:
    """Outcomes and answer waits, whichever engine routed the calls."""

    arrived: int = 0
    answered: int = 0
    ended: dict[str, str] = field(default_factory=dict)
    waits_ms: list[int] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    """Set whenever a call ends."""

    def count(self, outcomes: tuple[str, ...]) -> int:
        return sum(1 for outcome in self.ended.values() if outcome in outcomes)


@dataclass(frozen=True)
class EwtSample:
    """What a caller would have been told on entering the queue, and how long they waited."""

    estimated_s: float
    actual_s: float


@dataclass
class HotlineTally(Tally):
    """An EventHub sink: the controller's typed events.

    The estimated wait is the one published when the caller first entered a queue (a caller
    moved on by an overflow rule keeps it: their wait is counted from that first entry too);
    answered calls pair it with their wait. Abandoned callers' waits are cut short, so they are
    not compared.
    """

    queued: dict[str, int] = field(default_factory=dict)
    """First queue entries by queue: the keys callers pressed, as the controller heard them."""
    estimates: dict[str, float | None] = field(default_factory=dict)
    ewt: list[EwtSample] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        if isinstance(event, CallArrived):
            self.arrived += 1
        elif isinstance(event, CallQueued):
            self._queued(event)
        elif isinstance(event, CallAnswered):
            self.answered += 1
            self.waits_ms.append(event.wait_ms)
            estimate = self.estimates.get(event.call_id)
            if estimate is not None:
                self.ewt.append(EwtSample(estimate, event.wait_ms / 1000))
        elif isinstance(event, CallEnded):
            self.ended[event.call_id] = event.outcome
            self.changed.set()

    @property
    def ewt_unknown(self) -> int:
        """Callers who entered a queue before any estimate could be made."""
        return sum(1 for estimate in self.estimates.values() if estimate is None)

    def _queued(self, event: CallQueued) -> None:
        if event.call_id in self.estimates:
            return
        self.estimates[event.call_id] = event.estimated_wait_s
        self.queued[event.queue] = self.queued.get(event.queue, 0) + 1


@dataclass
class NativeTally(Tally):
    """app_queue's AMI events for one queue: joined, connected to an agent, abandoned.

    The wait is measured here, from QueueCallerJoin to AgentConnect as they arrive (AMI's own
    HoldTime has whole seconds only).
    """

    queue: str = "hotline-native"
    joined: dict[str, float] = field(default_factory=dict)

    def feed(self, event: AmiEvent, now: float | None = None) -> None:
        if event.get("Queue") != self.queue:
            return
        now = time.monotonic() if now is None else now
        uniqueid = event.get("Uniqueid", "")
        if event.name == "QueueCallerJoin":
            self.arrived += 1
            self.joined[uniqueid] = now
        elif event.name == "AgentConnect":
            self.answered += 1
            since = self.joined.get(uniqueid)
            if since is not None:
                self.waits_ms.append(round(1000 * (now - since)))
            self.ended[uniqueid] = "answered"
            self.changed.set()
        elif event.name == "QueueCallerAbandon":
            self.ended[uniqueid] = "abandoned"
            self.changed.set()


@dataclass
class RawTimings:
    """The controller's timings, kept raw for exact percentiles and passed on to Prometheus."""

    metrics: Metrics
    offer_s: list[float] = field(default_factory=list)
    routing_s: list[float] = field(default_factory=list)
    stages_s: dict[str, list[float]] = field(default_factory=dict)
    seat_release_s: list[float] = field(default_factory=list)

    def routing_decided(self, seconds: float) -> None:
        self.routing_s.append(seconds)
        self.metrics.routing_decided(seconds)

    def offer_sent(self, seconds: float) -> None:
        self.offer_s.append(seconds)
        self.metrics.offer_sent(seconds)

    def offer_stages(
        self, routing_s: float, room_s: float, agi_s: float, *, stopped_prompt: bool = False
    ) -> None:
        room = "stop" if stopped_prompt else "room"
        for stage, seconds in (("routing", routing_s), (room, room_s), ("agi", agi_s)):
            self.stages_s.setdefault(stage, []).append(seconds)
        self.metrics.offer_stages(routing_s, room_s, agi_s, stopped_prompt=stopped_prompt)

    def seat_released(self, seconds: float) -> None:
        self.seat_release_s.append(seconds)
        self.metrics.seat_released(seconds)
