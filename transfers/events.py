"""Typed events published by transfers and work orders: frozen dataclasses with a topic.

hotline/events.py's contract (one Event base: a name, a topic under ``hotline/v1/`` derived from
the fields, a JSON payload); the window connection's events are defined there and re-exported.
Payloads never carry a caller's number or a job-seeker's name in clear.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from hotline.events import TOPIC_ROOT, Event, SupervisorJoined, TransferChanged

__all__ = [
    "EVENT_TYPES", "TOPIC_ROOT", "FollowUpScheduled", "HandoffOffered", "SupervisorJoined",
    "TransferChanged",
    "TransferEvent", "WorkOrderChanged", "WorkOrderEscalated",
]  # fmt: skip


@dataclass(frozen=True)
class TransferEvent(Event):
    """hotline's Event, with decimals and every timestamp field made JSON-ready."""

    def payload(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
            elif isinstance(value, Decimal):
                data[key] = str(value)
        data["event"] = self.name
        return data


@dataclass(frozen=True)
class WorkOrderChanged(TransferEvent):
    topic_template: ClassVar[str] = "work-orders/{number}/status"
    number: str
    order_type: str
    status: str
    version: int
    district_id: str
    office_kind: str


@dataclass(frozen=True)
class WorkOrderEscalated(TransferEvent):
    topic_template: ClassVar[str] = "work-orders/{number}/escalated"
    number: str
    deadline: str
    level: int
    due_at: datetime


@dataclass(frozen=True)
class FollowUpScheduled(TransferEvent):
    topic_template: ClassVar[str] = "work-orders/{number}/follow-up"
    number: str
    due_at: datetime


@dataclass(frozen=True)
class HandoffOffered(TransferEvent):
    """A transferred caller offered to (blind) or bridged with (warm) the receiving agent: the
    case goes with them, for that agent's screen-pop."""

    topic_template: ClassVar[str] = "transfers/{case_id}/offered"
    case_id: str
    call_id: str
    kind: str
    agent: str
    """The receiving agent."""
    previous_agent: str
    note: str
    ivr_topic: str
    """The case's topic (``topic`` is the event's MQTT topic)."""


EVENT_TYPES: tuple[type[Event], ...] = (
    TransferChanged,
    HandoffOffered,
    SupervisorJoined,
    WorkOrderChanged,
    WorkOrderEscalated,
    FollowUpScheduled,
)
