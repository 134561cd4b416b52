"""The work-order desk over a real (SQLite) store: routing by address, deadlines, the office's
feedback and the follow-up call, escalations once per level, all written with their outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from hotline.events import Event, WorkOrderChanged, WorkOrderEscalated
from hotline.storage import Store
from hotline.work_order_desk import StatusUnknown, WorkOrderDesk
from transfers.directory import load_directory
from transfers.order_status import Actor, ChangeRefused, InvalidOrderTransition
from transfers.outbox import EntryState
from transfers.work_orders import (
    SHANGHAI,
    InspectionComplaint,
    Issue,
    WorkOrderInvalid,
    WorkOrderRequest,
)

# A Monday, 10:00 in Shanghai.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
WEBHOOK = "http://127.0.0.1:18090/offices/{office}"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(f"sqlite:///{tmp_path / 'hotline.db'}")
    store.migrate()
    yield store
    store.close()


@pytest.fixture
def published() -> list[Event]:
    return []


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def desk(store: Store, published: list[Event], clock: Clock) -> WorkOrderDesk:
    return WorkOrderDesk(store, load_directory(), published.append, clock,
                         webhook_template=WEBHOOK)  # fmt: skip


def complaint(address: str = "长宁区仙霞路100号", *, urgent: bool = False,
              district_id: str | None = None) -> WorkOrderRequest:  # fmt: skip
    details = InspectionComplaint("上海某某餐饮有限公司", address,
                                  frozenset({Issue.UNPAID_WAGES}), 12, Decimal("86000.50"),
                                  urgent=urgent)  # fmt: skip
    return WorkOrderRequest(details, "1764400000.1", "13800138000", district_id)


async def test_a_complaint_goes_to_the_employers_district_brigade(
    desk: WorkOrderDesk, store: Store, published: list[Event]
) -> None:
    record = await desk.create(complaint(), "7001")
    assert record.number == "WO-20261123-0001"
    assert (record.district_id, record.office_kind) == ("changning", "inspection_brigade")
    assert record.office == "长宁区劳动保障监察大队"
    # Five working days after Monday the 23rd: Monday the 30th, end of day.
    assert record.deadline_at == datetime(2026, 11, 30, 23, 59, 59, tzinfo=SHANGHAI)
    destinations = [r.entry.destination for r in store.outbox_entries()]
    assert destinations == [
        "hotline/v1/work-orders/changning/inspection_brigade/WO-20261123-0001",
        "http://127.0.0.1:18090/offices/win-changning-insp",
    ]
    (event,) = published
    assert isinstance(event, WorkOrderChanged)
    assert event.caller_number == "138****8000"
    payload = store.outbox_entries()[0].payload
    assert payload["caller_number"] == "138****8000"
    assert payload["details"]["amount_owed"] == "86000.50"
    assert (await desk.create(complaint(), "7001")).number == "WO-20261123-0002"


async def test_an_ambiguous_address_names_the_districts_and_takes_the_agents_choice(
    desk: WorkOrderDesk, store: Store
) -> None:
    with pytest.raises(WorkOrderInvalid, match=r"长宁区、浦东新区.*district_id"):
        await desk.create(complaint("长宁区陆家嘴环路1号"), "7001")
    with pytest.raises(WorkOrderInvalid, match="no district, 街道"):
        await desk.create(complaint("上海市某路1号"), "7001")
    assert store.list_work_orders() == []
    chosen = await desk.create(complaint("长宁区陆家嘴环路1号", district_id="pudong"), "7001")
    assert chosen.district_id == "pudong" and chosen.district_chosen_by_agent


async def test_an_urgent_complaint_is_due_the_same_day(desk: WorkOrderDesk) -> None:
    record = await desk.create(complaint(urgent=True), "7001")
    assert record.urgent
    assert record.deadline_at == datetime(2026, 11, 23, 23, 59, 59, tzinfo=SHANGHAI)


async def test_the_office_reports_progress_and_resolution_schedules_the_follow_up(
    desk: WorkOrderDesk, store: Store, clock: Clock
) -> None:
    made = await desk.create(complaint(), "7001")
    outbox = store.outbox_entries()
    await desk.delivered(outbox[0])
    await desk.delivered(outbox[1])  # the second destination does not send it again
    assert store.get_work_order(made.number).status == "sent"  # type: ignore[union-attr]
    for status in ("acknowledged", "in_progress"):
        await desk.change(made.number, status, actor=Actor.OFFICE, who="office:brigade")
    with pytest.raises(ChangeRefused):
        await desk.change(made.number, "resolved", actor=Actor.AGENT, who="agent:7001")
    clock.now = NOW + timedelta(days=2)
    resolved = await desk.change(made.number, "resolved", actor=Actor.OFFICE,
                                 who="office:brigade", outcome="the employer paid")  # fmt: skip
    assert resolved.follow_up_due_at is not None and resolved.follow_up_due_at > clock.now
    closed = await desk.change(made.number, "closed", actor=Actor.AGENT, who="agent:7001")
    assert closed.status == "closed"
    history = store.work_order_history(made.number)
    assert [(e.kind, e.to_status) for e in history] == [
        ("status", "new"), ("status", "sent"), ("status", "acknowledged"),
        ("status", "in_progress"), ("status", "resolved"), ("follow_up", "resolved"),
        ("status", "closed"),
    ]  # fmt: skip
    assert history[4].detail == "the employer paid" and history[4].actor == "office:brigade"
    with pytest.raises(InvalidOrderTransition):
        await desk.change(made.number, "acknowledged", actor=Actor.OFFICE, who="office:x")
    with pytest.raises(StatusUnknown, match="cannot be set by hand"):
        await desk.change(made.number, "sent", actor=Actor.OFFICE, who="office:x")


async def test_a_missed_deadline_escalates_once_per_level(
    desk: WorkOrderDesk, store: Store, published: list[Event]
) -> None:
    urgent = await desk.create(complaint(urgent=True), "7001")
    await desk.create(complaint(), "7001")
    assert await desk.escalate(NOW + timedelta(hours=1)) == []
    late = datetime(2026, 11, 24, 1, 0, tzinfo=SHANGHAI)  # an hour after the urgent deadline
    made = await desk.escalate(late)
    assert [(e.number, e.deadline, e.level) for e in made] == [(urgent.number, "acknowledge", 1)]
    assert await desk.escalate(late + timedelta(minutes=5)) == []
    again = await desk.escalate(late + timedelta(hours=4))
    assert [(e.deadline, e.level) for e in again] == [("acknowledge", 2)]
    escalations = [e for e in published if isinstance(e, WorkOrderEscalated)]
    assert [(e.number, e.level, e.office_kind) for e in escalations] == [
        (urgent.number, 1, "inspection_brigade"), (urgent.number, 2, "inspection_brigade"),
    ]  # fmt: skip
    history = [e.action for e in store.work_order_history(urgent.number)]
    assert history == ["create", "escalate:acknowledge:1", "escalate:acknowledge:2"]
    topics = [r.entry.destination for r in store.outbox_entries(order_number=urgent.number)]
    assert (
        topics.count(
            "hotline/v1/work-orders/changning/inspection_brigade/WO-20261123-0001/escalated"
        )
        == 2
    )
    assert store.count_outbox(EntryState.PENDING) == 8
    sent_later = [r.entry.next_attempt_at for r in store.outbox_entries()
                  if r.payload["event"] == "work_order_escalated"]  # fmt: skip
    assert set(sent_later) == {NOW}, "due at the wall clock's time, not the judged one"


async def test_a_resolution_books_its_follow_up_call_once_and_nothing_else_does(
    desk: WorkOrderDesk, store: Store, clock: Clock
) -> None:
    booked: list[tuple[str, int, str, str, datetime]] = []
    desk.follow_ups = lambda number, version, case_id, phone, due: booked.append(
        (number, version, case_id, phone, due)
    )
    made = await desk.create(complaint(), "7001")
    await desk.delivered(store.outbox_entries()[0])
    for status in ("acknowledged", "in_progress"):
        await desk.change(made.number, status, actor=Actor.OFFICE, who="office:brigade")
    assert booked == [], "only a resolution is followed up"
    resolved = await desk.change(made.number, "resolved", actor=Actor.OFFICE, who="office:b")
    assert booked == [(made.number, resolved.version, made.case_id, made.caller_number,
                       resolved.follow_up_due_at)]  # fmt: skip
    await desk.change(made.number, "closed", actor=Actor.AGENT, who="agent:7001")
    assert len(booked) == 1
