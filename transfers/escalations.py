"""Which work orders are late: escalations due now, each deadline and level escalated once.

A deadline applies while the order has not met it: ``acknowledge`` while the order is new or
sent, ``resolve`` until it is resolved (or closed). Level 1 is due at the deadline, level 2 at the
deadline's ``escalate_again_at`` (a working day later; four hours for an urgent order). An order
remembers what was escalated (``mark_escalated``), so a level is never escalated twice, and a
controller that was away for a while escalates every level that fell due meanwhile, in order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from transfers.deadlines import DeadlineName
from transfers.effects import Publish
from transfers.events import WorkOrderEscalated
from transfers.work_orders import OrderStatus, WorkOrder

UNMET = {
    DeadlineName.ACKNOWLEDGE: frozenset({OrderStatus.NEW, OrderStatus.SENT}),
    DeadlineName.RESOLVE: frozenset(
        {OrderStatus.NEW, OrderStatus.SENT, OrderStatus.ACKNOWLEDGED, OrderStatus.IN_PROGRESS}
    ),
}


@dataclass(frozen=True)
class Escalation:
    number: str
    deadline: DeadlineName
    level: int
    due_at: datetime
    overdue_by: timedelta
    district_id: str
    urgent: bool

    @property
    def key(self) -> tuple[DeadlineName, int]:
        return self.deadline, self.level


def due_escalations(orders: Iterable[WorkOrder], now: datetime) -> list[Escalation]:
    """Every escalation due at ``now`` and not made yet, most overdue first."""
    found = []
    for order in orders:
        for deadline in order.deadlines:
            if order.status not in UNMET[deadline.name]:
                continue
            for level, at in ((1, deadline.due_at), (2, deadline.escalate_again_at)):
                if now < at or (deadline.name, level) in order.escalated:
                    continue
                late = now - deadline.due_at
                found.append(Escalation(order.number, deadline.name, level, deadline.due_at,
                                        late, order.district_id, order.urgent))  # fmt: skip
    return sorted(found, key=lambda e: (-e.overdue_by, e.number, e.deadline, e.level))


def mark_escalated(order: WorkOrder, escalations: Iterable[Escalation]) -> WorkOrder:
    keys = {e.key for e in escalations if e.number == order.number}
    return dataclasses.replace(order, escalated=order.escalated | keys) if keys else order


def escalation_event(escalation: Escalation, now: datetime) -> Publish:
    e = escalation
    return Publish(WorkOrderEscalated(now, e.number, e.deadline.value, e.level, e.due_at))
