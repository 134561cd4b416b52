"""What the transfer cores ask the adapters to do. Frozen dataclasses; no I/O here.

The adapter carries each effect to Asterisk (AMI Originate, ConfBridge, Redirect), the timer
wheel, the store (``Record``) or MQTT (``Publish``), in the order given.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from hotline.events import Event
from transfers.case import CaseContext, Role, Step


class Timer(enum.StrEnum):
    HOLD = "hold"
    """Music on hold confirmed within a few seconds of the request, else the transfer failed."""
    DIAL = "dial"
    """The window (or the consulted party) answers within N seconds, else back to the agent."""
    BRIEFING = "briefing"
    """The clerk's briefing ends within N seconds, else the caller joins anyway."""


class MemberMode(enum.StrEnum):
    TALK = "talk"
    LISTEN = "listen"
    """Muted: a supervisor listening in."""


@dataclass(frozen=True)
class Member:
    channel: str
    role: Role
    mode: MemberMode = MemberMode.TALK


@dataclass(frozen=True)
class PlayHold:
    caller: str


@dataclass(frozen=True)
class DialWindow:
    case_id: str
    endpoint: str
    timeout_s: float
    caller_id: str = "12333"


@dataclass(frozen=True)
class CancelWindow:
    """Cancel the window leg whatever its state: ringing is cancelled, answered is hung up."""

    case_id: str
    channel: str | None = None


@dataclass(frozen=True)
class PlayBriefing:
    clerk: str
    text: str


@dataclass(frozen=True)
class JoinConference:
    conference_id: str
    members: tuple[Member, ...]


@dataclass(frozen=True)
class RemoveFromConference:
    conference_id: str
    channel: str


@dataclass(frozen=True)
class EndConference:
    """Everyone still in the conference is hung up and the bridge is gone."""

    conference_id: str


@dataclass(frozen=True)
class ReturnToAgent:
    """The caller back with the agent (off hold, or out of the conference), with the reason
    the agent's desktop shows (window closed with its reopening time, no answer, busy...)."""

    caller: str
    agent: str
    reason: str
    reopens_at: datetime | None = None


@dataclass(frozen=True)
class ReturnToQueue:
    """The caller back to a queue with the case (the agent is gone): nobody waits in silence."""

    caller: str
    queue: str
    reason: str
    case: CaseContext


@dataclass(frozen=True)
class ReleaseAgent:
    """The agent's part is over (handed over, or the caller left): the agent goes to wrap-up."""

    agent_id: str
    reason: str


@dataclass(frozen=True)
class DeliverToQueue:
    caller: str
    queue: str
    case: CaseContext


@dataclass(frozen=True)
class DeliverToAgent:
    caller: str
    agent_id: str
    case: CaseContext


@dataclass(frozen=True)
class Consult:
    """Dial the party consulted in a warm transfer (an agent, or the next agent of a queue)."""

    case_id: str
    target: str
    timeout_s: float


@dataclass(frozen=True)
class CancelConsult:
    case_id: str
    channel: str | None = None


@dataclass(frozen=True)
class Bridge:
    """The caller and the consulted party together; the agent drops out."""

    caller: str
    other: str
    case: CaseContext


@dataclass(frozen=True)
class StartTimer:
    case_id: str
    timer: Timer
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    case_id: str
    timer: Timer


@dataclass(frozen=True)
class Record:
    case_id: str
    step: Step


@dataclass(frozen=True)
class Publish:
    event: Event


@dataclass(frozen=True)
class DeliverOrder:
    """Put the order (at ``version``) in the outbox for ``destination``: an MQTT topic or the
    office's webhook URL (transfers/outbox.py decides attempts, backoff and dead letters)."""

    number: str
    version: int
    destination: str


@dataclass(frozen=True)
class ScheduleFollowUp:
    """A follow-up call (回访) to the caller once the order is resolved."""

    number: str
    case_id: str
    caller_number: str
    due_at: datetime
    latest_at: datetime


Effect = (
    PlayHold | DialWindow | CancelWindow | PlayBriefing | JoinConference | RemoveFromConference
    | EndConference | ReturnToAgent | ReturnToQueue | ReleaseAgent | DeliverToQueue
    | DeliverToAgent | Consult | CancelConsult | Bridge | StartTimer | CancelTimer | Record
    | Publish | DeliverOrder | ScheduleFollowUp
)  # fmt: skip
