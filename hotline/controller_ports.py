"""What the controller talks to, as protocols (the wiring module supplies the real ones; tests
supply collectors), and its clock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from hotline.events import AgentStateChanged, Event
from hotline.storage import CallRecord, VoiceMessage


class Publisher(Protocol):
    def publish(self, event: Event) -> None: ...


class Recorder(Protocol):
    def record_call(self, record: CallRecord) -> None: ...
    def set_disposition(self, uniqueid: str, code: str) -> None: ...
    def agent_changed(self, change: AgentStateChanged) -> None: ...
    def agent_logged_in(self, agent: str, seat: str, at: datetime) -> None: ...
    def agent_logged_out(self, agent: str, at: datetime) -> None: ...
    def record_message(self, message: VoiceMessage) -> None: ...


class Timings(Protocol):
    """Where the controller reports how fast it is (Prometheus histograms in production)."""

    def routing_decided(self, seconds: float) -> None: ...
    def offer_sent(self, seconds: float) -> None: ...
    def offer_stages(
        self, routing_s: float, room_s: float, agi_s: float, *, stopped_prompt: bool = False
    ) -> None: ...
    def seat_released(self, seconds: float) -> None: ...


class NoTimings:
    def routing_decided(self, seconds: float) -> None:
        pass

    def offer_sent(self, seconds: float) -> None:
        pass

    def offer_stages(
        self, routing_s: float, room_s: float, agi_s: float, *, stopped_prompt: bool = False
    ) -> None:
        pass

    def seat_released(self, seconds: float) -> None:
        pass


@dataclass(frozen=True)
class Clock:
    wall: Callable[[], datetime] = lambda: datetime.now(UTC)
    mono: Callable[[], float] = lambda: asyncio.get_running_loop().time()


class CallerGone(Exception):
    """The caller left before an agent was found (a normal outcome)."""
