"""Typed events: the contract with everything outside the controller (MQTT, metrics, tests).

Each event is a frozen dataclass with a name and an MQTT topic under ``hotline/v1/``. Payloads
never carry an identity-card number in clear (later issues add those fields, masked).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

TOPIC_ROOT = "hotline/v1"


@dataclass(frozen=True)
class Event:
    topic_template: ClassVar[str]
    at: datetime

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def topic(self) -> str:
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return f"{TOPIC_ROOT}/" + self.topic_template.format(**fields)

    def payload(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["at"] = self.at.isoformat()
        data["event"] = self.name
        return data


@dataclass(frozen=True)
class CallArrived(Event):
    topic_template: ClassVar[str] = "calls/{call_id}/arrived"
    call_id: str
    caller_number: str
    dialed: str


@dataclass(frozen=True)
class CallIvrStep(Event):
    topic_template: ClassVar[str] = "calls/{call_id}/ivr"
    call_id: str
    step: str
    detail: str


@dataclass(frozen=True)
class CallQueued(Event):
    topic_template: ClassVar[str] = "calls/{call_id}/queued"
    call_id: str
    queue: str
    position: int
    estimated_wait_s: float | None = None
    """The wait the caller would be told on entry (None until handling times are known)."""


@dataclass(frozen=True)
class CallOffered(Event):
    topic_template: ClassVar[str] = "calls/{call_id}/offered"
    call_id: str
    agent: str
    seat: str


@dataclass(frozen=True)
class OfferMissed(Event):
    topic_template: ClassVar[str] = "calls/{call_id}/offer-missed"
    call_id: str
    agent: str
    seat: str
    status: str


@dataclass(frozen=True)
class CallAnswered(Event):
    topic_template: ClassVar[str] = "calls/{call_id}/answered"
    call_id: str
    agent: str
    seat: str
    wait_ms: int


@dataclass(frozen=True)
class CallFallback(Event):
    topic_template: ClassVar[str] = "calls/{call_id}/fallback"
    call_id: str
    reason: str


@dataclass(frozen=True)
class CallEnded(Event):
    topic_template: ClassVar[str] = "calls/{call_id}/ended"
    call_id: str
    outcome: str
    agent: str
    wait_ms: int | None
    talk_ms: int | None


@dataclass(frozen=True)
class AgentStateChanged(Event):
    topic_template: ClassVar[str] = "agents/{agent}/state"
    agent: str
    seat: str
    previous: str
    state: str
    reason: str


@dataclass(frozen=True)
class CallbackChanged(Event):
    """A queued callback moved on: requested, dialling, connected, retry_wait, failed, ...
    The number is masked (the first 3 and last 4 digits)."""

    topic_template: ClassVar[str] = "callbacks/{callback_id}/{status}"
    callback_id: str
    call_id: str
    status: str
    number: str
    queue: str
    attempts: int
    detail: str


@dataclass(frozen=True)
class MessageLeft(Event):
    topic_template: ClassVar[str] = "calls/{call_id}/message"
    call_id: str
    queue: str
    duration_ms: int


@dataclass(frozen=True)
class SurveyAnswered(Event):
    """The caller's rating (1-5) of the call, keyed after the agent left."""

    topic_template: ClassVar[str] = "calls/{call_id}/survey"
    call_id: str
    agent: str
    queue: str
    rating: int


@dataclass(frozen=True)
class FlowChanged(Event):
    """A new version of an IVR flow is in service (changed or reverted by an admin)."""

    topic_template: ClassVar[str] = "ivr/flows/{flow}"
    flow: str
    version: int
    author: str
    comment: str


@dataclass(frozen=True)
class PreviousCall:
    at: str
    queue: str
    outcome: str
    agent: str
    disposition: str


@dataclass(frozen=True)
class PoppedEntry:
    id: str
    law_title: str
    article_no: str
    category: str
    excerpt: str
    hit_rate: float


@dataclass(frozen=True)
class PoppedOrder:
    """One of the caller's work orders not yet closed: the number they were told, where it went
    and how far it is."""

    number: str
    order_type: str
    status: str
    office: str
    deadline_at: str
    follow_up_due_at: str


@dataclass(frozen=True)
class ScreenPop(Event):
    """What the agent offered a call sees at once: who calls (number masked: the full number
    is on the authenticated API), what they chose in the IVR, their previous calls, and the
    policy entries for the topic, the most used first. ``offered_at`` is the offer's time;
    ``assembled_ms`` how long the controller took from it."""

    topic_template: ClassVar[str] = "agents/{agent}/screen-pop"
    agent: str
    call_id: str
    seat: str
    caller_number: str
    masked_id: str | None
    queue: str
    ivr_topic: str
    ivr_path: tuple[str, ...]
    previous_calls: tuple[PreviousCall, ...]
    entries: tuple[PoppedEntry, ...]
    kb_ready: bool
    offered_at: datetime
    assembled_ms: float
    work_orders: tuple[PoppedOrder, ...] = ()

    def payload(self) -> dict[str, Any]:
        data = super().payload()
        data["offered_at"] = self.offered_at.isoformat()
        return data


@dataclass(frozen=True)
class WorkOrderChanged(Event):
    """A work order was created or changed status (the caller's number masked)."""

    topic_template: ClassVar[str] = "work-orders/{number}/status"
    number: str
    order_type: str
    district_id: str
    office: str
    status: str
    version: int
    urgent: bool
    deadline_at: str
    caller_number: str


@dataclass(frozen=True)
class WorkOrderEscalated(Event):
    """An order missed a deadline (level 1 at the deadline, level 2 later still)."""

    topic_template: ClassVar[str] = "work-orders/{number}/escalated"
    number: str
    district_id: str
    office_kind: str
    deadline: str
    level: int
    due_at: str
    urgent: bool


@dataclass(frozen=True)
class DeliveryDeadLettered(Event):
    """An outbox entry was given up on: an administrator replays it once the cause is fixed."""

    topic_template: ClassVar[str] = "outbox/{entry_id}/dead"
    entry_id: int
    order_number: str
    destination_kind: str
    reason: str


@dataclass(frozen=True)
class TransferChanged(Event):
    """A window connection, blind or warm transfer moved to ``state``."""

    topic_template: ClassVar[str] = "transfers/{case_id}/{state}"
    case_id: str
    kind: str
    state: str
    reason: str = ""
    target: str = ""
    """The window's endpoint, or the queue or agent transferred to."""


@dataclass(frozen=True)
class SupervisorJoined(Event):
    topic_template: ClassVar[str] = "transfers/{case_id}/supervisor"
    case_id: str
    conference_id: str
    mode: str


ALL_EVENTS: tuple[type[Event], ...] = (
    CallArrived,
    CallIvrStep,
    CallQueued,
    CallOffered,
    OfferMissed,
    CallAnswered,
    CallFallback,
    CallEnded,
    AgentStateChanged,
    CallbackChanged,
    MessageLeft,
    SurveyAnswered,
    FlowChanged,
    ScreenPop,
    WorkOrderChanged,
    WorkOrderEscalated,
    DeliveryDeadLettered,
    TransferChanged,
    SupervisorJoined,
)
