"""Queued callbacks carried out by the controller and the callback desk, with a dialer that only
records what it was asked to dial and a clock the test moves by hand."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import timedelta

import pytest

from hotline.callback_desk import CallbackDesk
from hotline.caller_keys import CallerKeys
from hotline.calls import CallTrace
from hotline.controller import Controller
from hotline.events import CallbackChanged
from hotline.storage import Outcome
from queues import callbacks as cb
from queues.router import Offer, Router
from tests.unit.test_controller import T0, CollectingPublisher, CollectingRecorder, FakeTime

POLICY = cb.CallbackPolicy(max_attempts=2, retry_after_s=0.05, ring_s=30, max_legs=1)


@dataclass
class RecordingDialer:
    dialled: list[tuple[str, str, str]] = field(default_factory=list)

    def dial(self, leg_id: str, number: str, callback_id: str, ring_s: float) -> None:
        self.dialled.append((leg_id, number, callback_id))


@dataclass
class SavingStore:
    saved: list[cb.Callback] = field(default_factory=list)

    def save_callback(self, callback: cb.Callback) -> None:
        self.saved.append(callback)


@dataclass
class Desk:
    time: FakeTime
    publisher: CollectingPublisher
    controller: Controller
    dialer: RecordingDialer
    store: SavingStore
    desk: CallbackDesk

    async def book(self, uniqueid: str) -> str:
        """A caller waits, chooses a callback and hangs up."""
        c = self.controller
        c.call_arrived(uniqueid, uniqueid, "13800138000", "", "12333")
        task = asyncio.create_task(c.wait_for_agent(uniqueid, "general", "general"))
        await asyncio.sleep(0)
        assert c.hold_place(uniqueid)
        callback_id = c.book_callback(uniqueid, "13800138000")
        assert callback_id is not None
        task.cancel()
        await asyncio.sleep(0)
        c.channel_ended(uniqueid, "caller hung up")
        return callback_id

    def statuses(self) -> list[str]:
        return [e.status for e in self.publisher.of(CallbackChanged)]  # type: ignore[attr-defined]


@pytest.fixture
def desk() -> Desk:
    time = FakeTime()
    publisher = CollectingPublisher()
    controller = Controller(Router(), publisher, CollectingRecorder(), clock=time.clock())
    dialer, store = RecordingDialer(), SavingStore()
    desk = CallbackDesk(controller, dialer, store, POLICY)
    controller.callbacks = desk
    return Desk(time, publisher, controller, dialer, store, desk)


async def test_a_booked_callback_keeps_the_place_and_is_dialled_when_an_agent_frees(
    desk: Desk,
) -> None:
    callback_id = await desk.book("c1")
    assert list(desk.controller.router.calls) == [callback_id]
    assert desk.dialer.dialled == []

    desk.controller.login("A001", "seat001")

    assert desk.dialer.dialled == [(f"{callback_id}-1", "13800138000", callback_id)]
    assert desk.controller.router.agents["A001"].state == "offered"
    (record,) = desk.controller.recorder.calls  # type: ignore[attr-defined]
    assert record.outcome is Outcome.CALLBACK_REQUESTED


async def test_an_answered_leg_takes_the_reserved_agent(desk: Desk) -> None:
    callback_id = await desk.book("c1")
    desk.controller.login("A001", "seat001")
    leg = f"{callback_id}-1"
    trace = CallTrace.arrive(leg, "c1", "13800138000", "", "12333", at=T0)

    offer = desk.desk.answered(leg, trace)

    assert offer == Offer(leg, "A001", "seat001", offer.timeout_s if offer else 0)
    assert desk.controller.router.agent_for_call(leg) is not None
    assert desk.statuses() == ["waiting", "dialling", "connected"]
    assert desk.desk.legs_in_use == 1  # until the leg hangs up
    desk.controller.channel_ended(leg, "normal")
    assert desk.desk.legs_in_use == 0


async def test_an_unanswered_leg_frees_the_agent_without_a_miss_and_is_retried_in_place(
    desk: Desk,
) -> None:
    callback_id = await desk.book("c1")
    desk.controller.login("A001", "seat001")
    desk.desk.leg_failed(f"{callback_id}-1", "no answer")

    slot = desk.controller.router.agents["A001"]
    assert (slot.state, slot.misses) == ("available", 0)
    assert callback_id not in desk.controller.router.calls  # waiting out the retry delay
    await asyncio.sleep(POLICY.retry_after_s * 3)
    assert desk.dialer.dialled[-1][0] == f"{callback_id}-2"  # back, dialled at once

    desk.desk.leg_failed(f"{callback_id}-2", "busy")
    assert desk.statuses()[-1] == "failed"
    assert not desk.desk.owns(callback_id)
    assert desk.store.saved[-1].status is cb.C.FAILED


async def test_callbacks_wait_for_a_free_outbound_leg(desk: Desk) -> None:
    first, second = await desk.book("c1"), await desk.book("c2")
    desk.controller.login("A001", "seat001")
    desk.controller.login("A002", "seat002")

    assert [d[2] for d in desk.dialer.dialled] == [first]  # max_legs = 1
    desk.desk.leg_ended(f"{first}-1", "no answer")  # the leg goes: a line is free again
    desk.controller.dispatch()
    assert [d[2] for d in desk.dialer.dialled] == [first, second]


async def test_open_callbacks_are_restored_in_their_places_after_a_restart(desk: Desk) -> None:
    desk.controller.call_arrived("c9", "c9", "13800138000", "", "12333")
    waiting = asyncio.create_task(desk.controller.wait_for_agent("c9", "general", "general"))
    await asyncio.sleep(0)
    stored = cb.Callback(
        "cb-old", "old", "13900139000", "general", "general", 5, (),
        queued_at=T0.replace(hour=T0.hour - 1), requested_at=T0, status=cb.C.DIALLING, attempts=1,
    )  # fmt: skip
    fresh = replace(stored, id="cb-done", status=cb.C.WAITING)
    done = cb.answered(cb.dial(fresh, "A001", T0), T0)

    desk.desk.restore([stored, done])

    # Waiting an hour, the restored callback is ahead of the caller who just arrived.
    assert [c.call_id for c in desk.controller.router.waiting("general")] == ["cb-old", "c9"]
    assert desk.desk.get("cb-old") is not None and desk.desk.get("cb-done") is None
    waiting.cancel()


async def test_a_waiting_callback_can_be_cancelled_but_not_while_dialled(desk: Desk) -> None:
    first, second = await desk.book("c1"), await desk.book("c2")
    desk.controller.login("A001", "seat001")

    with pytest.raises(cb.InvalidCallbackTransition):
        desk.desk.cancel(first, "by supervisor")
    cancelled = desk.desk.cancel(second, "by supervisor")

    assert cancelled.status is cb.C.CANCELLED
    assert second not in desk.controller.router.calls


async def test_a_key_pressed_before_the_caller_began_to_listen_is_not_a_choice() -> None:
    now = [1000.0]
    keys = CallerKeys(clock=lambda: now[0])
    future = keys.listen("c1")

    keys.press("c1", "1", pressed_at=999.5)  # the menu key, reported late by AMI
    assert not future.done()
    keys.press("c1", "1", pressed_at=1000.2)
    assert future.result() == "1"
    keys.press("c1", "2", pressed_at=1001.0)  # nobody listens any more: ignored


async def test_the_ami_echo_of_a_key_fastagi_took_is_not_a_new_key() -> None:
    keys = CallerKeys(clock=lambda: 0.0)  # AMI's stamps all look late, as under load
    keys.consumed("c1", "2")  # the menu key, taken by GET DATA
    future = keys.listen("c1")

    keys.press("c1", "2", pressed_at=5.0)  # its AMI report, late
    assert not future.done()
    keys.press("c1", "1", pressed_at=6.0)  # a real key, pressed while waiting
    assert future.result() == "1"


def out_of_hours_trace(uniqueid: str) -> CallTrace:
    return CallTrace.arrive(uniqueid, uniqueid, "13800138000", "", "12333", at=T0)


async def test_an_out_of_hours_callback_waits_for_its_time_then_joins_the_queue(
    desk: Desk,
) -> None:
    due = T0 + timedelta(seconds=0.05)
    booked = desk.desk.schedule(out_of_hours_trace("n1"), "13800138000", "general", "later", due)
    assert booked.due_at == due
    assert desk.desk.get(booked.id) == booked
    assert booked.id not in desk.controller.router.calls  # not before its time
    desk.time.advance(0.05)
    await asyncio.sleep(0.15)
    assert booked.id in desk.controller.router.calls
    desk.controller.login("A001", "seat001")
    assert desk.dialer.dialled == [(f"{booked.id}-1", "13800138000", booked.id)]


async def test_an_out_of_hours_callback_can_be_cancelled_before_its_time(desk: Desk) -> None:
    due = T0 + timedelta(hours=12)
    booked = desk.desk.schedule(out_of_hours_trace("n2"), "13800138000", "general", "later", due)
    cancelled = desk.desk.cancel(booked.id, "cancelled by supervisor")
    assert cancelled.status is cb.CallbackStatus.CANCELLED
    assert desk.desk.get(booked.id) is None
    assert desk.store.saved[-1].status is cb.CallbackStatus.CANCELLED


async def test_a_stored_callback_booked_for_later_is_not_queued_early_after_a_restart(
    desk: Desk,
) -> None:
    later = cb.Callback(
        id="cb-n3", call_uniqueid="n3", number="13800138000", queue="general", topic="later",
        priority=5, requirements=(), queued_at=T0 + timedelta(hours=1), requested_at=T0,
        due_at=T0 + timedelta(hours=1),
    )  # fmt: skip
    desk.desk.restore([later])
    assert later.id not in desk.controller.router.calls
    assert desk.desk.get(later.id) == later
    desk.desk.close()


async def test_a_resolved_orders_follow_up_call_is_dialled_when_due_with_the_order_named(
    desk: Desk,
) -> None:
    due = T0 + timedelta(seconds=0.05)
    booked = desk.desk.follow_up("WO20261125-0007", 4, "case-7", "13800138000", due)
    assert (booked.id, booked.due_at, booked.topic) == (
        "cb-fu-WO20261125-0007-v4",
        due,
        "回访:WO20261125-0007",
    )
    assert desk.desk.follow_up("WO20261125-0007", 4, "case-7", "13800138000", due) == booked
    assert booked.id not in desk.controller.router.calls  # not before its time
    desk.time.advance(0.05)
    await asyncio.sleep(0.15)
    desk.controller.login("A001", "seat001")
    leg = f"{booked.id}-1"
    assert desk.dialer.dialled == [(leg, "13800138000", booked.id)]
    trace = CallTrace.arrive(leg, "case-7", "13800138000", "", "12333", at=T0)
    offer = desk.desk.answered(leg, trace)
    assert offer is not None and offer.agent == "A001"
    assert trace.topic == "回访:WO20261125-0007", "the agent's screen-pop names the order"
