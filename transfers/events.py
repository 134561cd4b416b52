"""Typed events published by transfers and work orders: frozen dataclasses with a topic.

The same contract as hotline/events.py (a name, a topic under ``hotline/v1/`` derived from the
fields, a JSON payload), kept here so that the pure cores depend on nothing outside transfers/.
Payloads never carry a caller's number or a job-seeker's name in clear.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

TOPIC_ROOT = "hotline/v1"


@dataclass(frozen=True)
class TransferEvent:
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
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
            elif isinstance(value, Decimal):
                data[key] = str(value)
        data["event"] = self.name
        return data


@dataclass(frozen=True)
class TransferChanged(TransferEvent):
    """A window connection, blind or warm transfer moved to ``state``."""

    topic_template: ClassVar[str] = "transfers/{case_id}/state"
    case_id: str
    kind: str
    state: str
    reason: str = ""
    target: str = ""
    """The window's endpoint, or the queue or agent transferred to."""


@dataclass(frozen=True)
class SupervisorJoined(TransferEvent):
    topic_template: ClassVar[str] = "transfers/{case_id}/supervisor"
    case_id: str
    conference_id: str
    mode: str


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


EVENT_TYPES: tuple[type[TransferEvent], ...] = (
    TransferChanged,
    SupervisorJoined,
    WorkOrderChanged,
    WorkOrderEscalated,
    FollowUpScheduled,
)
