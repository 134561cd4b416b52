"""A caller returned to the queue after a failed window connection (the agent gone): routed
again in their own queue and original place, and the next agent is given the case."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

from hotline.bus import EventHub
from hotline.controller import Clock, Controller
from hotline.events import CallEnded, CallOffered, Event
from hotline.window_returns import KIND, WindowReturns, original_arrival
from queues.router import Router
from tests.unit.test_controller import CollectingRecorder
from tests.unit.transfers.test_machine import transfer_in
from transfers.events import HandoffOffered
from transfers.machine import WindowState, WindowTransfer

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
MONO = 5_000.0
CALL = "call-7"  # transfer_in's case is call-7's


def returns_with(published: list[Event]) -> tuple[WindowReturns, Controller]:
    controller = Controller(
        Router(), EventHub(), CollectingRecorder(), clock=Clock(lambda: NOW, lambda: MONO)
    )
    trace = controller.call_arrived(CALL, CALL, "13912345678", "", "12333")
    trace.enter_queue("pension", "养老金认证", 1, NOW - timedelta(minutes=3))
    trace.answer("agent-1", "seat001", NOW - timedelta(minutes=2))
    returns = WindowReturns(controller, published.append, queue="general")
    return returns, controller


def returned() -> WindowTransfer:
    transfer = transfer_in(WindowState.RETURNED_TO_QUEUE, agent_present=False)
    return dataclasses.replace(transfer, reason="no_answer")


def test_the_original_arrival_is_the_first_queueing_on_the_routing_clock() -> None:
    assert original_arrival(MONO, NOW, NOW - timedelta(seconds=90)) == MONO - 90
    assert original_arrival(MONO, NOW, None) == MONO
    assert original_arrival(MONO, NOW, NOW + timedelta(seconds=5)) == MONO  # never later


def test_a_caller_not_returned_by_a_window_is_not_ours() -> None:
    returns, _ = returns_with([])
    assert returns.route_for(CALL) is None
    assert returns.route_for("someone-else") is None


def test_given_a_returned_caller_then_they_are_routed_again_ahead_of_later_callers() -> None:
    returns, controller = returns_with([])
    controller.router.enqueue("came-later", "pension", MONO - 60)
    returns.expect(returned())
    route = returns.route_for(CALL)
    assert route is not None
    assert (route.queue, route.topic, route.node) == ("pension", "养老金认证", KIND)
    assert route.waiting_since == MONO - 180
    assert CALL not in controller.router.calls, "queued by the caller's own wait, not before it"
    assert returns.route_for(CALL) is None, "taken once"

    async def wait_in_place() -> int:
        waiting = asyncio.ensure_future(controller.wait_for_agent(
            CALL, route.queue, route.topic, waiting_since=route.waiting_since,
        ))  # fmt: skip
        await asyncio.sleep(0)
        position = controller.router.position(CALL)
        waiting.cancel()
        return position

    assert asyncio.run(wait_in_place()) == 1


def test_given_the_returned_caller_offered_then_the_next_agent_is_given_the_case() -> None:
    published: list[Event] = []
    returns, _ = returns_with(published)
    returns.expect(returned())
    returns.route_for(CALL)
    returns(CallOffered(NOW, CALL, "agent-2", "seat002"))
    [offered] = published
    assert isinstance(offered, HandoffOffered)
    assert (offered.kind, offered.agent, offered.previous_agent) == (KIND, "agent-2", "agent-1")
    assert offered.call_id == CALL and offered.ivr_topic == "养老金认证"
    assert "养老金领取资格认证" in offered.note and "no_answer" in offered.note
    assert offered.topic == f"hotline/v1/transfers/{offered.case_id}/offered"


def test_given_the_call_ended_then_a_late_offer_says_nothing() -> None:
    published: list[Event] = []
    returns, _ = returns_with(published)
    returns.expect(returned())
    returns.route_for(CALL)
    returns(CallEnded(NOW, CALL, "abandoned", "", None, None))
    returns(CallOffered(NOW, CALL, "agent-2", "seat002"))
    assert published == []
