"""Deadlines in working days (statutory holidays skipped, make-up days counted), escalations
once per deadline and level, follow-up calls after resolution."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from tests.unit.transfers.conftest import DIRECTORY, at
from tests.unit.transfers.test_work_orders import COMPLAINT, REFERRAL, request
from transfers.deadlines import (
    DeadlineName,
    DeadlinePolicy,
    TypeDeadlines,
    end_of_working_days,
    parse_deadline_policy,
)
from transfers.directory import OfficeKind
from transfers.escalations import due_escalations, escalation_event, mark_escalated
from transfers.events import WorkOrderEscalated
from transfers.order_status import Actor, OrderAction, OrderChange, change_status
from transfers.work_orders import WorkOrder, create_work_order

POLICY = DeadlinePolicy()
HOURS = DIRECTORY.office("pudong", OfficeKind.INSPECTION_BRIGADE).hours
NORMAL = dataclasses.replace(COMPLAINT, urgent=False)


def order(details: object = NORMAL, now: object = at(2026, 11, 25, 10, 30)) -> WorkOrder:
    return create_work_order(request(details), DIRECTORY, sequence=1, now=now, policy=POLICY)  # type: ignore[arg-type]


def due(o: WorkOrder) -> dict[DeadlineName, tuple[object, object]]:
    return {d.name: (d.due_at, d.escalate_again_at) for d in o.deadlines}


def test_a_normal_complaint_is_acknowledged_within_5_working_days_and_resolved_within_60() -> None:
    deadlines = due(order())
    # Wednesday 25 November: Thu, Fri, Mon, Tue, Wed 2 December.
    assert deadlines[DeadlineName.ACKNOWLEDGE] == (
        at(2026, 12, 2, 23, 59, 59),
        at(2026, 12, 3, 23, 59, 59),
    )
    assert deadlines[DeadlineName.RESOLVE][0] > at(2027, 2, 1)


def test_working_days_skip_national_day_and_count_its_make_up_saturday() -> None:
    # 1–7 October 2026 are holidays; Saturday 10 October is a working day.
    deadlines = due(order(now=at(2026, 9, 30, 10, 0)))
    assert deadlines[DeadlineName.ACKNOWLEDGE][0] == at(
        2026, 10, 13, 23, 59, 59
    )  # 8, 9, 10, 12, 13
    referral = due(order(REFERRAL, now=at(2026, 9, 30, 10, 0)))
    assert referral[DeadlineName.ACKNOWLEDGE][0] == at(2026, 10, 10, 23, 59, 59)  # the Saturday


def test_the_day_an_order_is_made_is_not_counted_even_at_one_minute_past_midnight() -> None:
    assert end_of_working_days(at(2026, 11, 25, 0, 1), 1, HOURS) == at(2026, 11, 26, 23, 59, 59)


def test_a_friday_order_counts_from_monday() -> None:
    assert end_of_working_days(at(2026, 11, 27, 16, 0), 1, HOURS) == at(2026, 11, 30, 23, 59, 59)


@pytest.mark.parametrize(
    ("made", "due_at"),
    [
        (at(2026, 11, 25, 10, 30), at(2026, 11, 25, 23, 59, 59)),
        (at(2026, 11, 25, 19, 59), at(2026, 11, 25, 23, 59, 59)),
        (at(2026, 11, 25, 20, 0), at(2026, 11, 26, 12, 0)),
        (at(2026, 11, 28, 9, 0), at(2026, 11, 28, 23, 59, 59)),  # a Saturday: the duty officer
        (at(2026, 10, 2, 9, 0), at(2026, 10, 2, 23, 59, 59)),  # National Day
    ],
)
def test_an_urgent_complaint_is_acknowledged_the_same_day(made: object, due_at: object) -> None:
    deadlines = due(order(COMPLAINT, now=made))
    assert deadlines[DeadlineName.ACKNOWLEDGE] == (due_at, due_at + timedelta(hours=4))  # type: ignore[operator]


def test_given_an_urgent_order_past_its_deadline_then_it_escalates_exactly_once() -> None:
    urgent = order(COMPLAINT)
    assert due_escalations([urgent], at(2026, 11, 25, 23, 0)) == []
    [first] = due_escalations([urgent], at(2026, 11, 26, 0, 30))
    assert (first.number, first.deadline, first.level, first.urgent) == (
        urgent.number,
        DeadlineName.ACKNOWLEDGE,
        1,
        True,
    )
    assert first.overdue_by == timedelta(minutes=30, seconds=1)
    urgent = mark_escalated(urgent, [first])
    assert due_escalations([urgent], at(2026, 11, 26, 0, 31)) == []
    assert due_escalations([urgent], at(2026, 11, 26, 3, 0)) == []


def test_given_an_urgent_order_unacknowledged_four_hours_later_then_level_2_follows_once() -> None:
    urgent = order(COMPLAINT)
    urgent = mark_escalated(urgent, due_escalations([urgent], at(2026, 11, 26, 0, 30)))
    [second] = due_escalations([urgent], at(2026, 11, 26, 4, 0))
    assert (second.deadline, second.level) == (DeadlineName.ACKNOWLEDGE, 2)
    urgent = mark_escalated(urgent, [second])
    assert due_escalations([urgent], at(2026, 11, 26, 9, 0)) == []


def test_given_a_controller_away_for_days_then_every_level_due_is_escalated_in_one_go() -> None:
    late = due_escalations([order()], at(2026, 12, 10, 9, 0))
    assert [(e.deadline, e.level) for e in late] == [
        (DeadlineName.ACKNOWLEDGE, 1),
        (DeadlineName.ACKNOWLEDGE, 2),
    ]


def test_an_acknowledged_order_no_longer_escalates_for_acknowledgement() -> None:
    sent = change_status(
        order(COMPLAINT),
        OrderChange(OrderAction.SEND, Actor.SYSTEM, at(2026, 11, 25, 10, 31)),
        POLICY,
    ).order
    acknowledged = change_status(
        sent, OrderChange(OrderAction.ACKNOWLEDGE, Actor.OFFICE, at(2026, 11, 25, 11, 0)), POLICY
    ).order
    assert due_escalations([acknowledged], at(2026, 11, 26, 5, 0)) == []
    resolve_due = due(acknowledged)[DeadlineName.RESOLVE][0]
    [late] = due_escalations([acknowledged], resolve_due + timedelta(seconds=1))  # type: ignore[operator]
    assert (late.deadline, late.level) == (DeadlineName.RESOLVE, 1)


def test_the_most_overdue_escalation_comes_first() -> None:
    older = order(COMPLAINT, now=at(2026, 11, 24, 10, 0))
    newer = dataclasses.replace(order(COMPLAINT), number="WO-20261125-0002")
    found = due_escalations([newer, older], at(2026, 11, 26, 1, 0))
    assert found[0].number == older.number


def test_an_escalation_is_published_with_its_deadline_and_level() -> None:
    [first] = due_escalations([order(COMPLAINT)], at(2026, 11, 26, 0, 30))
    event = escalation_event(first, at(2026, 11, 26, 0, 30)).event
    assert isinstance(event, WorkOrderEscalated)
    assert event.topic == f"hotline/v1/work-orders/{first.number}/escalated"
    assert (event.deadline, event.level) == ("acknowledge", 1)


def test_deadlines_are_data_with_defaults_overridden_from_configuration() -> None:
    policy = parse_deadline_policy(
        {
            "referral": {"acknowledge_working_days": 2, "resolve_working_days": 7},
            "urgent_cutoff_hour": 18,
        }
    )
    assert policy.referral == TypeDeadlines(2, 7)
    assert policy.inspection == TypeDeadlines(5, 60)
    assert policy.urgent_cutoff.hour == 18
    with pytest.raises(ValidationError):
        parse_deadline_policy(
            {"referral": {"acknowledge_working_days": "2", "resolve_working_days": 7}}
        )
    with pytest.raises(ValidationError):
        parse_deadline_policy({"refferal": {}})


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        end_of_working_days(datetime(2026, 11, 25, 10, 0), 1, HOURS)
