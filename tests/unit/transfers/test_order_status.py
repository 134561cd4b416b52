"""A work order's status: the table, who may do what, reasons, reroutes, follow-up calls."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from tests.unit.transfers.conftest import DIRECTORY, at
from tests.unit.transfers.test_work_orders import COMPLAINT, REFERRAL, request
from transfers.deadlines import DeadlinePolicy
from transfers.directory import OfficeKind
from transfers.effects import DeliverOrder, Publish, ScheduleFollowUp
from transfers.events import WorkOrderChanged
from transfers.order_status import (
    TRANSITIONS,
    Actor,
    ChangeRefused,
    InvalidOrderTransition,
    OrderAction,
    OrderChange,
    change_status,
    destinations,
    follow_up_for,
    opened,
    reroute,
)
from transfers.work_orders import OrderStatus, WorkOrder, create_work_order

A, St = OrderAction, OrderStatus
POLICY = DeadlinePolicy()
NOW = at(2026, 11, 25, 10, 30)


def new_order(details: object = COMPLAINT) -> WorkOrder:
    return create_work_order(request(details), DIRECTORY, sequence=5, now=NOW, policy=POLICY)


def walk(
    order: WorkOrder, *steps: tuple[OrderAction, Actor] | tuple[OrderAction, Actor, str]
) -> WorkOrder:
    for step in steps:
        action, actor, *reason = step
        order = change_status(order, OrderChange(action, actor, NOW, *reason), POLICY).order
    return order


def in_status(status: OrderStatus) -> WorkOrder:
    path = {
        St.NEW: [],
        St.SENT: [(A.SEND, Actor.SYSTEM)],
        St.ACKNOWLEDGED: [(A.SEND, Actor.SYSTEM), (A.ACKNOWLEDGE, Actor.OFFICE)],
        St.IN_PROGRESS: [
            (A.SEND, Actor.SYSTEM),
            (A.ACKNOWLEDGE, Actor.OFFICE),
            (A.START, Actor.OFFICE),
        ],
        St.RESOLVED: [
            (A.SEND, Actor.SYSTEM),
            (A.ACKNOWLEDGE, Actor.OFFICE),
            (A.RESOLVE, Actor.OFFICE),
        ],
        St.CLOSED: [
            (A.SEND, Actor.SYSTEM),
            (A.ACKNOWLEDGE, Actor.OFFICE),
            (A.RESOLVE, Actor.OFFICE),
            (A.CLOSE, Actor.AGENT),
        ],
    }[status]
    return walk(new_order(), *path)


@pytest.mark.parametrize(("status", "action"), sorted(TRANSITIONS), ids=str)
def test_every_row_of_the_table_moves_the_order_and_raises_its_version(
    status: OrderStatus, action: OrderAction
) -> None:
    rule = TRANSITIONS[(status, action)]
    order = in_status(status)
    actor = sorted(rule.actors)[0]
    decision = change_status(order, OrderChange(action, actor, NOW, "电话回访：企业已整改"), POLICY)
    assert decision.order.status is rule.to
    assert decision.order.version == order.version + 1
    assert str(decision.order.history[-1]) == f"{status} -[{action}]-> {rule.to}"
    assert decision.effects[0] == Publish(
        WorkOrderChanged(
            NOW,
            order.number,
            "inspection_complaint",
            rule.to.value,
            order.version + 1,
            "pudong",
            "inspection_brigade",
        )
    )


UNLISTED = [(s, a) for s in St for a in A if (s, a) not in TRANSITIONS]


@pytest.mark.parametrize(("status", "action"), UNLISTED, ids=str)
def test_every_pair_not_in_the_table_raises(status: OrderStatus, action: OrderAction) -> None:
    with pytest.raises(InvalidOrderTransition):
        change_status(in_status(status), OrderChange(action, Actor.ADMIN, NOW, "理由"), POLICY)


def test_the_whole_way_from_new_to_closed_is_kept_in_the_history(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="hotline.work_orders"):
        order = in_status(St.CLOSED)
    assert [str(step) for step in order.history] == [
        " -[create]-> new",
        "new -[send]-> sent",
        "sent -[acknowledge]-> acknowledged",
        "acknowledged -[resolve]-> resolved",
        "resolved -[close]-> closed",
    ]
    assert f"work order {order.number}: new -[send]-> sent (system)" in caplog.messages
    assert order.version == 5


@pytest.mark.parametrize(
    ("status", "action", "actor"),
    [
        (St.NEW, A.SEND, Actor.AGENT),
        (St.SENT, A.ACKNOWLEDGE, Actor.AGENT),
        (St.IN_PROGRESS, A.RESOLVE, Actor.SYSTEM),
        (St.IN_PROGRESS, A.ADMIN_CLOSE, Actor.AGENT),
        (St.RESOLVED, A.CLOSE, Actor.OFFICE),
    ],
)
def test_an_action_by_the_wrong_actor_is_refused(
    status: OrderStatus, action: OrderAction, actor: Actor
) -> None:
    with pytest.raises(ChangeRefused, match=f"{action} is for"):
        change_status(in_status(status), OrderChange(action, actor, NOW, "理由"), POLICY)


@pytest.mark.parametrize(
    ("status", "action", "actor"),
    [
        (St.IN_PROGRESS, A.ADMIN_CLOSE, Actor.ADMIN),
        (St.RESOLVED, A.REOPEN, Actor.AGENT),
        (St.SENT, A.MISROUTED, Actor.OFFICE),
    ],
)
def test_closing_unresolved_reopening_and_returning_need_a_reason(
    status: OrderStatus, action: OrderAction, actor: Actor
) -> None:
    with pytest.raises(ChangeRefused, match="needs a reason"):
        change_status(in_status(status), OrderChange(action, actor, NOW, "   "), POLICY)


def test_an_admin_closing_an_order_unresolved_tells_the_office() -> None:
    decision = change_status(
        in_status(St.IN_PROGRESS), OrderChange(A.ADMIN_CLOSE, Actor.ADMIN, NOW, "重复工单"), POLICY
    )
    assert decision.order.status is St.CLOSED
    assert decision.order.history[-1].reason == "重复工单"
    assert (
        DeliverOrder(
            decision.order.number,
            decision.order.version,
            "hotline/v1/offices/win-pudong-insp/work-orders",
        )
        in decision.effects
    )


def test_resolving_schedules_the_follow_up_call() -> None:
    acknowledged = in_status(St.ACKNOWLEDGED)
    resolved_at = at(2026, 11, 25, 15, 0)
    decision = change_status(
        acknowledged, OrderChange(A.RESOLVE, Actor.OFFICE, resolved_at), POLICY
    )
    assert decision.order.resolved_at == resolved_at
    assert decision.effects[-1] == ScheduleFollowUp(
        acknowledged.number,
        "case-1",
        "13800138000",
        at(2026, 11, 26, 15, 0),
        at(2026, 11, 28, 23, 59, 59),
    )


@pytest.mark.parametrize(
    ("resolved_at", "due_at"),
    [
        (at(2026, 11, 25, 15, 0), at(2026, 11, 26, 15, 0)),
        (at(2026, 11, 24, 22, 0), at(2026, 11, 26, 9, 0)),  # not at 22:00: the next morning
        (at(2026, 11, 27, 19, 30), at(2026, 11, 28, 19, 30)),  # Saturdays are fine for calls
        (at(2026, 9, 30, 21, 0), at(2026, 10, 8, 9, 0)),  # not during National Day
    ],
)
def test_the_follow_up_call_is_a_day_later_within_calling_hours(
    resolved_at: object, due_at: object
) -> None:
    follow_up = follow_up_for(new_order(), resolved_at, POLICY)  # type: ignore[arg-type]
    assert follow_up.due_at == due_at
    assert follow_up.due_at <= follow_up.latest_at


def test_reopening_after_an_unhappy_follow_up_puts_the_office_back_to_work() -> None:
    decision = change_status(
        in_status(St.RESOLVED), OrderChange(A.REOPEN, Actor.AGENT, NOW, "工资仍未发放"), POLICY
    )
    assert decision.order.status is St.IN_PROGRESS
    assert any(isinstance(e, DeliverOrder) for e in decision.effects)


def test_a_misrouted_order_is_rerouted_to_the_right_district_and_delivered_again() -> None:
    returned = walk(in_status(St.SENT), (A.MISROUTED, Actor.OFFICE, "企业注册地在闵行"))
    assert returned.status is St.NEW
    decision = reroute(returned, "minhang", DIRECTORY, actor=Actor.AGENT, at=NOW)
    moved = decision.order
    assert (moved.district_id, moved.office.endpoint) == ("minhang", "win-minhang-insp")
    assert moved.district_chosen_by_agent
    assert moved.deadlines == returned.deadlines
    assert (
        DeliverOrder(moved.number, moved.version, "hotline/v1/offices/win-minhang-insp/work-orders")
        in decision.effects
    )
    assert str(moved.history[-1]) == "new -[reroute:minhang]-> new"


def test_only_a_new_order_is_rerouted_and_only_by_an_agent_or_admin() -> None:
    with pytest.raises(ChangeRefused, match="only a new order"):
        reroute(in_status(St.SENT), "minhang", DIRECTORY, actor=Actor.AGENT, at=NOW)
    with pytest.raises(ChangeRefused, match="agent or admin"):
        reroute(new_order(), "minhang", DIRECTORY, actor=Actor.OFFICE, at=NOW)


def test_a_new_order_is_published_and_delivered_to_its_offices_topic_and_webhook() -> None:
    order = new_order(REFERRAL)
    assert destinations(order) == ("hotline/v1/offices/win-changning-emp/work-orders",)
    office = DIRECTORY.office("changning", OfficeKind.EMPLOYMENT_CENTRE)
    hooked = dataclasses.replace(
        order, office=dataclasses.replace(office, webhook_url="https://example.invalid/wo")
    )
    effects = opened(hooked)
    assert isinstance(effects[0], Publish)
    assert [e.destination for e in effects[1:] if isinstance(e, DeliverOrder)] == [
        "hotline/v1/offices/win-changning-emp/work-orders",
        "https://example.invalid/wo",
    ]


def test_a_reason_over_500_characters_is_refused() -> None:
    with pytest.raises(ChangeRefused, match="over 500"):
        change_status(
            in_status(St.IN_PROGRESS),
            OrderChange(A.ADMIN_CLOSE, Actor.ADMIN, NOW, "长" * 501),
            POLICY,
        )
