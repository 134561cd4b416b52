"""The work-order desk: agents create orders, offices report progress, deadlines escalate.

The decisions are the pure cores' (transfers/work_orders.py, order_status.py, escalations.py);
the desk reads the order, asks the core, and has the store write the order, its history and its
outbox entries in one transaction, then publishes the typed events and wakes the delivery loop.

Where an order is delivered: the MQTT topic ``hotline/v1/work-orders/{district}/{kind}/{number}``
and a webhook, the office's own (``webhook_url`` in the directory) or the
``HOTLINE_WORK_ORDER_WEBHOOK`` template (``{office}``: the office's endpoint, ``{district}``,
``{kind}``). The follow-up call (回访) after resolution is recorded on the order (its due time
and a history row): the callback machinery dials queued callers back within minutes and has no
place for a call due days later.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from hotline.events import Event, WorkOrderChanged, WorkOrderEscalated
from hotline.storage import StorageError, Store
from hotline.storage.wo_records import (
    OrderWrite,
    OutboxRecord,
    WorkOrderEventRecord,
    WorkOrderRecord,
)
from hotline.work_order_codec import from_record, office_json, to_record
from ivr.phone_numbers import mask_number
from transfers.deadlines import DeadlinePolicy
from transfers.directory import Directory
from transfers.effects import DeliverOrder, Effect, ScheduleFollowUp
from transfers.escalations import Escalation, due_escalations, mark_escalated
from transfers.events import TOPIC_ROOT
from transfers.order_status import Actor, OrderAction, OrderChange, change_status, opened
from transfers.outbox import OutboxEntry, idempotency_key, new_entry
from transfers.work_orders import (
    SHANGHAI,
    OrderStatus,
    WorkOrder,
    WorkOrderInvalid,
    WorkOrderRequest,
    create_work_order,
    validate,
)

log = logging.getLogger("hotline.work_orders")

ORDER_EVENT = "work_order"
ESCALATION_EVENT = "work_order_escalated"


class StatusUnknown(ValueError):
    """The status asked for is not one an order can be moved to by hand."""


class FollowUps(Protocol):
    """Books the follow-up call (回访) of a resolved order (hotline/callback_desk.py)."""

    def __call__(
        self, order_number: str, version: int, case_id: str, number: str, due: datetime
    ) -> object: ...


def action_for(current: OrderStatus, target: str) -> OrderAction:
    """The transition that moves an order from ``current`` to the ``target`` status an office
    or agent names (the API speaks in statuses; the core's table in actions)."""
    by_target = {
        OrderStatus.ACKNOWLEDGED: OrderAction.ACKNOWLEDGE,
        OrderStatus.RESOLVED: OrderAction.RESOLVE,
        OrderStatus.NEW: OrderAction.MISROUTED,
        OrderStatus.IN_PROGRESS: (
            OrderAction.REOPEN if current is OrderStatus.RESOLVED else OrderAction.START
        ),
        OrderStatus.CLOSED: (
            OrderAction.CLOSE if current is OrderStatus.RESOLVED else OrderAction.ADMIN_CLOSE
        ),
    }
    try:
        return by_target[OrderStatus(target)]
    except (ValueError, KeyError):
        allowed = ", ".join(str(s) for s in by_target)
        raise StatusUnknown(f"status {target!r} cannot be set by hand; one of {allowed}") from None


class WorkOrderDesk:
    def __init__(
        self, store: Store, directory: Directory, publish: Callable[[Event], None],
        clock: Callable[[], datetime], *, webhook_template: str = "",
        policy: DeadlinePolicy | None = None,
    ) -> None:  # fmt: skip
        self.store, self.directory, self.publish, self.clock = store, directory, publish, clock
        self.webhook_template = webhook_template
        self.policy = policy or DeadlinePolicy()
        self.wake: Callable[[], None] = lambda: None
        """Set by the delivery loop: new outbox entries are sent at once, not at the next poll."""
        self.follow_ups: FollowUps | None = None
        """Set when callbacks run: a resolved order's follow-up call is dialled when due."""

    # Creating and changing orders

    async def create(self, request: WorkOrderRequest, agent: str) -> WorkOrderRecord:
        """Validate (WorkOrderInvalid lists every problem), number, store and announce an
        order. Nothing is numbered or written for an invalid request."""
        _, problems = validate(request, self.directory)
        if problems:
            raise WorkOrderInvalid(problems)
        now = self.clock()
        day = f"{now.astimezone(SHANGHAI):%Y%m%d}"

        def make(sequence: int) -> OrderWrite:
            order = create_work_order(
                request, self.directory, sequence=sequence, now=now, policy=self.policy
            )
            step = order.history[-1]
            event = WorkOrderEventRecord(
                order.number, now, "status", str(step.action), "", order.status.value,
                f"agent:{agent}", "", order.version,
            )  # fmt: skip
            record = to_record(order, agent=agent, updated_at=now)
            return OrderWrite(record, [event], self._deliveries(order, record, opened(order), now))

        record = await asyncio.to_thread(self.store.create_work_order, day, make)
        log.info("work order %s created by agent %s for %s (%s)", record.number, agent,
                 record.office, record.order_type)  # fmt: skip
        self._announce(record)
        return record

    async def change(
        self, number: str, target: str, *, actor: Actor, who: str, outcome: str = ""
    ) -> WorkOrderRecord:
        """Move an order to ``target`` (the office's feedback, a follow-up call's close or
        reopen, an administrator's close). Raises OrderNotFound, StatusUnknown,
        InvalidOrderTransition or ChangeRefused; nothing is written then."""
        now = self.clock()

        def decide(record: WorkOrderRecord) -> OrderWrite:
            order = from_record(record, self.directory)
            action = action_for(order.status, target)
            decision = change_status(order, OrderChange(action, actor, now, outcome), self.policy)
            return self._write_decision(record, decision.order, decision.effects, who, now)

        record = await asyncio.to_thread(self.store.change_work_order, number, decide)
        self._announce(record)
        due = record.follow_up_due_at
        if record.status == OrderStatus.RESOLVED and due is not None and self.follow_ups:
            self.follow_ups(record.number, record.version, record.case_id,
                            record.caller_number, due)  # fmt: skip
        return record

    async def delivered(self, entry: OutboxRecord) -> None:
        """An office was reached: a new order is ``sent`` (once, whichever destination first)."""
        if entry.payload.get("event") != ORDER_EVENT:
            return
        now = self.clock()

        def decide(record: WorkOrderRecord) -> OrderWrite | None:
            if record.status != OrderStatus.NEW or record.version != entry.entry.version:
                return None
            order = from_record(record, self.directory)
            change = OrderChange(OrderAction.SEND, Actor.SYSTEM, now)
            decision = change_status(order, change, self.policy)
            return self._write_decision(record, decision.order, decision.effects, "system", now)

        record = await asyncio.to_thread(self.store.change_work_order, entry.entry.order_number,
                                         decide)  # fmt: skip
        if record.version != entry.entry.version:
            self._announce(record)

    # Deadlines

    async def escalate(self, now: datetime) -> list[Escalation]:
        """Escalate every deadline level due by ``now`` and not escalated yet: each is judged
        again under the order's lock, so two loops never escalate the same level twice."""
        records = await asyncio.to_thread(self.store.open_work_orders)
        orders = [from_record(record, self.directory) for record in records]
        kinds = {order.number: order.office.kind.value for order in orders}
        numbers = dict.fromkeys(e.number for e in due_escalations(orders, now))
        made: list[Escalation] = []
        for number in numbers:
            made += await asyncio.to_thread(self._escalate_one, number, now)
        for escalation in made:
            e = escalation
            log.warning("work order %s: %s deadline missed (level %d, due %s)",
                        e.number, e.deadline, e.level, e.due_at.isoformat())  # fmt: skip
            self.publish(_escalated_event(escalation, kinds[escalation.number], self.clock()))
        if made:
            self.wake()
        return made

    async def keep_escalating(self, every_s: float, clock: Callable[[], datetime]) -> None:
        """The escalation loop: check deadlines every ``every_s`` by ``clock`` (the wall clock,
        or a shifted one in tests). Any fault is logged and the next round tries again."""
        while True:
            try:
                await self.escalate(clock())
            except StorageError as exc:
                log.error("deadlines not checked (the store failed): %s", exc)
            except Exception:
                # An unexpected fault must not end the loop: missed deadlines still escalate.
                log.exception("deadlines not checked")
            await asyncio.sleep(every_s)

    def _escalate_one(self, number: str, now: datetime) -> list[Escalation]:
        found: list[Escalation] = []
        # ``now`` judges the deadlines (shifted in tests); what is written happens at wall time,
        # so the outbox entries are due at once.
        at = self.clock()

        def decide(record: WorkOrderRecord) -> OrderWrite | None:
            order = from_record(record, self.directory)
            found[:] = due_escalations([order], now)
            if not found:
                return None
            marked = to_record(mark_escalated(order, found), agent=record.agent, updated_at=at,
                               follow_up_due_at=record.follow_up_due_at)  # fmt: skip
            events = [WorkOrderEventRecord(number, at, "escalation",
                                           f"escalate:{e.deadline}:{e.level}", record.status,
                                           record.status, "system",
                                           f"due {e.due_at.isoformat()}", record.version)
                      for e in found]  # fmt: skip
            outbox = [self._escalation_entry(marked, e, d, at)
                      for e in found for d in self.destinations(order, "/escalated")]  # fmt: skip
            return OrderWrite(marked, events, outbox)

        self.store.change_work_order(number, decide)
        return found

    # Where orders go

    def destinations(self, order: WorkOrder, suffix: str = "") -> list[str]:
        topic = (f"{TOPIC_ROOT}/work-orders/{order.district_id}/{order.office.kind}/"
                 f"{order.number}{suffix}")  # fmt: skip
        webhook = order.office.webhook_url or self.webhook_template.format(
            office=order.office.endpoint, district=order.district_id, kind=order.office.kind
        )
        return [topic, webhook] if webhook else [topic]

    def _deliveries(
        self, order: WorkOrder, record: WorkOrderRecord, effects: tuple[Effect, ...],
        now: datetime,
    ) -> list[OutboxRecord]:  # fmt: skip
        """The core says *that* the office must hear of a version; the desk says where."""
        versions = {e.version for e in effects if isinstance(e, DeliverOrder)}
        payload = {"event": ORDER_EVENT, **office_json(record)}
        return [
            OutboxRecord(new_entry(order.number, version, destination, now), payload)
            for version in sorted(versions)
            for destination in self.destinations(order)
        ]

    def _write_decision(
        self, before: WorkOrderRecord, order: WorkOrder, effects: tuple[Effect, ...], who: str,
        now: datetime,
    ) -> OrderWrite:  # fmt: skip
        follow_up = next((e for e in effects if isinstance(e, ScheduleFollowUp)), None)
        due = follow_up.due_at if follow_up is not None else before.follow_up_due_at
        record = to_record(order, agent=before.agent, updated_at=now, follow_up_due_at=due)
        step = order.history[-1]
        events = [WorkOrderEventRecord(order.number, now, "status", str(step.action),
                                       before.status, order.status.value, who, step.reason,
                                       order.version)]  # fmt: skip
        if follow_up is not None:
            events.append(WorkOrderEventRecord(
                order.number, now, "follow_up", "schedule", order.status.value,
                order.status.value, "system",
                f"call the caller back from {follow_up.due_at.isoformat()} "
                f"to {follow_up.latest_at.isoformat()}", order.version,
            ))  # fmt: skip
        return OrderWrite(record, events, self._deliveries(order, record, effects, now))

    def _escalation_entry(self, record: WorkOrderRecord, escalation: Escalation,
                          destination: str, now: datetime) -> OutboxRecord:  # fmt: skip
        e = escalation
        key = idempotency_key(f"{e.number}/escalated/{e.deadline}/{e.level}", 0, destination)
        entry: OutboxEntry = dataclasses.replace(
            new_entry(e.number, record.version, destination, now), idempotency_key=key
        )
        payload = {
            "event": ESCALATION_EVENT, "number": e.number, "deadline": e.deadline.value,
            "level": e.level, "due_at": e.due_at.isoformat(),
            "overdue_s": round(e.overdue_by.total_seconds()), "district_id": e.district_id,
            "office_kind": record.office_kind, "office": record.office, "urgent": e.urgent,
        }  # fmt: skip
        return OutboxRecord(entry, payload)

    def _announce(self, record: WorkOrderRecord) -> None:
        self.publish(WorkOrderChanged(
            self.clock(), record.number, record.order_type, record.district_id, record.office,
            record.status, record.version, record.urgent, record.deadline_at.isoformat(),
            mask_number(record.caller_number),
        ))  # fmt: skip
        self.wake()


def _escalated_event(e: Escalation, office_kind: str, now: datetime) -> WorkOrderEscalated:
    return WorkOrderEscalated(now, e.number, e.district_id, office_kind, e.deadline.value, e.level,
                              e.due_at.isoformat(), e.urgent)  # fmt: skip
