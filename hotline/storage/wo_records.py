"""Plain records of work orders, their history and the delivery outbox, as the store hands them
out (never ORM objects). The order's own meaning lives in transfers/work_orders.py; these carry it
to and from the tables: ``details`` is the type's fields as JSON, ``deadlines`` and ``escalated``
what transfers/deadlines.py and transfers/escalations.py need to judge it again later."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from transfers.outbox import OutboxEntry

WORK_ORDER_LIMITS = {
    "number": 32, "order_type": 32, "district_id": 40, "office_kind": 40, "office": 200,
    "status": 20, "case_id": 150, "caller_number": 32, "agent": 32,
}  # fmt: skip
DETAIL_MAX = 500


@dataclass(frozen=True)
class WorkOrderRecord:
    number: str
    order_type: str
    district_id: str
    office_kind: str
    office: str
    """The office's name (what the agent reads to the caller)."""
    office_endpoint: str
    status: str
    version: int
    urgent: bool
    deadline_at: datetime
    """The first deadline (acknowledge): what lists sort and filter by."""
    deadlines: list[dict[str, str]]
    """Every deadline: name, due_at and escalate_again_at (ISO 8601)."""
    escalated: list[str]
    """The levels already escalated, ``deadline:level`` (``acknowledge:1``)."""
    details: dict[str, Any]
    case_id: str
    caller_number: str
    agent: str
    district_chosen_by_agent: bool
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None = None
    follow_up_due_at: datetime | None = None
    """The follow-up call (回访) to the caller once the office resolved the order."""


@dataclass(frozen=True)
class WorkOrderEventRecord:
    """One line of an order's history: a status change, an escalation, the office's feedback."""

    number: str
    at: datetime
    kind: str
    """``status``, ``escalation`` or ``follow_up``."""
    action: str
    from_status: str
    to_status: str
    actor: str
    """Who: ``agent:7001``, ``office:tok-name``, ``system``."""
    detail: str = ""
    version: int = 0


@dataclass(frozen=True)
class OutboxRecord:
    entry: OutboxEntry
    payload: dict[str, Any]
    id: int = 0
    """Set by the store."""


@dataclass(frozen=True)
class OrderWrite:
    """What one transaction writes: the order as it is now, its new history rows, and the
    outbox entries that tell the office (all or nothing)."""

    order: WorkOrderRecord
    events: list[WorkOrderEventRecord] = field(default_factory=list)
    outbox: list[OutboxRecord] = field(default_factory=list)
