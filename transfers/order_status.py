"""A work order's status as a table: who may move it where, with which reason.

::

    new -[send]-> sent -[acknowledge]-> acknowledged -[start]-> in_progress -[resolve]-> resolved
    acknowledged -[resolve]-> resolved           the office settled it at once (the employer paid)
    sent | acknowledged -[misrouted]-> new       the office returns it: not its district (reason);
                                                 an agent reroutes it (``reroute``), then it is sent
    resolved -[close]-> closed                   after the follow-up call (回访)
    resolved -[reopen]-> in_progress             the caller says it is not settled (reason)
    new | sent | acknowledged | in_progress -[admin_close]-> closed
                                                 an administrator closes it unresolved (reason)

``send`` is the system's (the outbox delivered it), the office's are acknowledge, start, resolve
and misrouted; close and reopen belong to the agent making the follow-up call (or the system when
the caller cannot be reached). Each change raises the order's version, is logged
``status -[action]-> status``, kept in the order's history and published; resolving schedules the
follow-up call; a change the office must hear of (a new version to act on, a cancellation) is put
in the outbox for each of the office's destinations.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from dataclasses import dataclass
from datetime import datetime

from ivr.hours import next_opening
from transfers.deadlines import DeadlinePolicy, end_of_working_days
from transfers.directory import Directory
from transfers.effects import DeliverOrder, Effect, Publish, ScheduleFollowUp
from transfers.events import TOPIC_ROOT, WorkOrderChanged
from transfers.work_orders import OrderStatus, StatusStep, WorkOrder, office_kind_for

log = logging.getLogger("hotline.work_orders")


class OrderAction(enum.StrEnum):
    SEND = "send"
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    RESOLVE = "resolve"
    MISROUTED = "misrouted"
    CLOSE = "close"
    REOPEN = "reopen"
    ADMIN_CLOSE = "admin_close"


class Actor(enum.StrEnum):
    SYSTEM = "system"
    AGENT = "agent"
    OFFICE = "office"
    ADMIN = "admin"


@dataclass(frozen=True)
class Rule:
    to: OrderStatus
    actors: frozenset[Actor]
    reason_required: bool = False


St, A = OrderStatus, OrderAction
OFFICE, ADMIN = frozenset({Actor.OFFICE}), frozenset({Actor.ADMIN})
FOLLOW_UP = frozenset({Actor.AGENT, Actor.SYSTEM})
OPEN = (St.NEW, St.SENT, St.ACKNOWLEDGED, St.IN_PROGRESS)

TRANSITIONS: dict[tuple[OrderStatus, OrderAction], Rule] = {
    (St.NEW, A.SEND): Rule(St.SENT, frozenset({Actor.SYSTEM})),
    (St.SENT, A.ACKNOWLEDGE): Rule(St.ACKNOWLEDGED, OFFICE),
    (St.SENT, A.MISROUTED): Rule(St.NEW, OFFICE, reason_required=True),
    (St.ACKNOWLEDGED, A.MISROUTED): Rule(St.NEW, OFFICE, reason_required=True),
    (St.ACKNOWLEDGED, A.START): Rule(St.IN_PROGRESS, OFFICE),
    (St.ACKNOWLEDGED, A.RESOLVE): Rule(St.RESOLVED, OFFICE),
    (St.IN_PROGRESS, A.RESOLVE): Rule(St.RESOLVED, OFFICE),
    (St.RESOLVED, A.CLOSE): Rule(St.CLOSED, FOLLOW_UP),
    (St.RESOLVED, A.REOPEN): Rule(St.IN_PROGRESS, FOLLOW_UP, reason_required=True),
    **{(status, A.ADMIN_CLOSE): Rule(St.CLOSED, ADMIN, reason_required=True) for status in OPEN},
}
TOLD_TO_THE_OFFICE = frozenset({A.REOPEN, A.ADMIN_CLOSE})
"""Changes the office must hear of, besides a new or rerouted order."""
MAX_REASON = 500


@dataclass(frozen=True)
class OrderChange:
    action: OrderAction
    actor: Actor
    at: datetime
    reason: str = ""


@dataclass(frozen=True)
class OrderDecision:
    order: WorkOrder
    effects: tuple[Effect, ...]


class InvalidOrderTransition(Exception):
    def __init__(self, number: str, status: OrderStatus, action: OrderAction) -> None:
        super().__init__(f"work order {number}: no transition from {status} on {action}")
        self.number, self.status, self.action = number, status, action


class ChangeRefused(Exception):
    """The pair is in the table, but not for this actor, or without the reason it needs."""


def destinations(order: WorkOrder) -> tuple[str, ...]:
    """Where the office hears of an order: its MQTT topic, and its webhook if it has one."""
    topic = f"{TOPIC_ROOT}/offices/{order.office.endpoint}/work-orders"
    return (topic,) if order.office.webhook_url is None else (topic, order.office.webhook_url)


def opened(order: WorkOrder) -> tuple[Effect, ...]:
    """What to do with a new (or rerouted) order: publish it and deliver it to its office."""
    at = order.history[-1].at if order.history else order.created_at
    deliveries = (DeliverOrder(order.number, order.version, d) for d in destinations(order))
    return (_published(order, at), *deliveries)


def change_status(order: WorkOrder, change: OrderChange, policy: DeadlinePolicy) -> OrderDecision:
    rule = TRANSITIONS.get((order.status, change.action))
    if rule is None:
        raise InvalidOrderTransition(order.number, order.status, change.action)
    if change.actor not in rule.actors:
        allowed = ", ".join(sorted(rule.actors))
        raise ChangeRefused(
            f"work order {order.number}: {change.action} is for {allowed}, not {change.actor}"
        )
    reason = change.reason.strip()
    if rule.reason_required and not reason:
        raise ChangeRefused(f"work order {order.number}: {change.action} needs a reason")
    if len(reason) > MAX_REASON:
        raise ChangeRefused(
            f"work order {order.number}: the reason is over {MAX_REASON} characters"
        )
    step = StatusStep(change.at, order.status, change.action, rule.to, change.actor, reason)
    log.info("work order %s: %s (%s)", order.number, step, change.actor)
    moved = dataclasses.replace(
        order, status=rule.to, version=order.version + 1, history=(*order.history, step),
        resolved_at=change.at if rule.to is St.RESOLVED else order.resolved_at,
    )  # fmt: skip
    effects: list[Effect] = [_published(moved, change.at)]
    if change.action in TOLD_TO_THE_OFFICE:
        effects += [DeliverOrder(moved.number, moved.version, d) for d in destinations(moved)]
    if rule.to is St.RESOLVED:
        effects.append(follow_up_for(moved, change.at, policy))
    return OrderDecision(moved, tuple(effects))


def reroute(
    order: WorkOrder, district_id: str, directory: Directory, *, actor: Actor, at: datetime
) -> OrderDecision:
    """A returned (new) order sent to another district's office of the same kind. Deadlines keep
    running from the order's creation: the caller has been waiting since then."""
    if order.status is not St.NEW:
        raise ChangeRefused(
            f"work order {order.number}: only a new order is rerouted, not {order.status}"
        )
    if actor not in (Actor.AGENT, Actor.ADMIN):
        raise ChangeRefused(f"work order {order.number}: rerouting is for an agent or admin")
    office = directory.office(district_id, office_kind_for(order.details))
    step = StatusStep(at, St.NEW, f"reroute:{district_id}", St.NEW, actor)
    log.info("work order %s: %s (%s)", order.number, step, actor)
    moved = dataclasses.replace(
        order, district_id=district_id, office=office, district_chosen_by_agent=True,
        version=order.version + 1, history=(*order.history, step),
    )  # fmt: skip
    return OrderDecision(moved, opened(moved))


def follow_up_for(
    order: WorkOrder, resolved_at: datetime, policy: DeadlinePolicy
) -> ScheduleFollowUp:
    """The follow-up call: no sooner than ``follow_up_after``, inside the call window (09:00–20:00,
    not on statutory holidays), and by the end of the Nth working day."""
    window = policy.call_window
    latest = end_of_working_days(resolved_at, policy.follow_up_within_working_days, window)
    due = next_opening(window, resolved_at + policy.follow_up_after) or latest
    return ScheduleFollowUp(
        order.number, order.case_id, order.caller_number, min(due, latest), latest
    )


def _published(order: WorkOrder, at: datetime) -> Publish:
    changed = WorkOrderChanged(
        at, order.number, order.order_type.value, order.status.value, order.version,
        order.district_id, order.office.kind.value,
    )  # fmt: skip
    return Publish(changed)
