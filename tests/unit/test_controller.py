"""The controller service with in-memory collaborators: a publisher and a recorder that only
collect, and a clock the test moves by hand."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from hotline.controller import CallerGone, Clock, Controller
from hotline.events import (
    AgentStateChanged,
    CallAnswered,
    CallArrived,
    CallEnded,
    CallFallback,
    CallOffered,
    CallQueued,
    Event,
)
from hotline.repeat_callers import RepeatCallers
from hotline.storage import CallRecord, Outcome, StepKind, VoiceMessage
from ivr.queue_choices import LONG_WAIT_NUDGE
from queues.agent_states import AgentState
from queues.router import Offer, Router
from queues.skills import OFFER_CALLBACK, QueuePolicy, RelaxRule, RoutingPolicy

T0 = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


@dataclass
class FakeTime:
    seconds: float = 0.0

    def advance(self, seconds: float) -> None:
        self.seconds += seconds

    def clock(self) -> Clock:
        return Clock(wall=lambda: T0 + timedelta(seconds=self.seconds), mono=lambda: self.seconds)


@dataclass
class CollectingPublisher:
    events: list[Event] = field(default_factory=list)

    def publish(self, event: Event) -> None:
        self.events.append(event)

    def of(self, kind: type[Event]) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]

    def agent_states(self, agent: str) -> list[tuple[str, str]]:
        return [
            (e.previous, e.state)
            for e in self.events
            if isinstance(e, AgentStateChanged) and e.agent == agent
        ]


@dataclass
class CollectingRecorder:
    calls: list[CallRecord] = field(default_factory=list)
    logins: list[tuple[str, str, datetime]] = field(default_factory=list)
    logouts: list[tuple[str, datetime]] = field(default_factory=list)
    dispositions: list[tuple[str, str]] = field(default_factory=list)
    agent_changes: list[AgentStateChanged] = field(default_factory=list)
    messages: list[VoiceMessage] = field(default_factory=list)

    def record_message(self, message: VoiceMessage) -> None:
        self.messages.append(message)

    def record_call(self, record: CallRecord) -> None:
        self.calls.append(record)

    def set_disposition(self, uniqueid: str, code: str) -> None:
        self.dispositions.append((uniqueid, code))

    def agent_changed(self, change: AgentStateChanged) -> None:
        self.agent_changes.append(change)

    def agent_logged_in(self, agent: str, seat: str, at: datetime) -> None:
        self.logins.append((agent, seat, at))

    def agent_logged_out(self, agent: str, at: datetime) -> None:
        self.logouts.append((agent, at))


@dataclass
class Harness:
    time: FakeTime
    publisher: CollectingPublisher
    recorder: CollectingRecorder
    controller: Controller

    @property
    def router(self) -> Router:
        return self.controller.router

    def arrive(self, uniqueid: str) -> None:
        self.controller.call_arrived(uniqueid, uniqueid, "13800138000", "张三", "12333")

    async def waiting(self, uniqueid: str) -> asyncio.Task[Offer]:
        """A caller who arrived and now waits for an agent, as a task that has started."""
        if self.controller.trace(uniqueid) is None:
            self.arrive(uniqueid)
        task = asyncio.create_task(self.controller.wait_for_agent(uniqueid, "general", "pension"))
        await asyncio.sleep(0)
        return task


@pytest.fixture
def harness() -> Harness:
    time = FakeTime()
    publisher, recorder = CollectingPublisher(), CollectingRecorder()
    router = Router(failed_offer_rest_s=5.0)
    controller = Controller(router, publisher, recorder, clock=time.clock())
    return Harness(time, publisher, recorder, controller)


async def test_given_caller_waiting_when_agent_logs_in_then_caller_gets_an_offer(
    harness: Harness,
) -> None:
    task = await harness.waiting("c1")
    assert not task.done()
    assert list(harness.router.calls) == ["c1"]
    harness.time.advance(3)
    harness.controller.login("A1", "seat001")
    offer = await asyncio.wait_for(task, 1)
    assert offer == Offer("c1", "A1", "seat001")
    assert harness.router.calls == {}
    assert harness.router.agents["A1"].state is AgentState.OFFERED
    assert harness.recorder.logins == [("A1", "seat001", T0 + timedelta(seconds=3))]
    trace = harness.controller.trace("c1")
    assert trace is not None
    assert [s.kind for s in trace.steps] == [StepKind.ARRIVAL, StepKind.QUEUE_ENTER, StepKind.OFFER]


async def test_given_free_agent_when_caller_starts_waiting_then_offer_comes_at_once(
    harness: Harness,
) -> None:
    harness.controller.login("A1", "seat001")
    harness.arrive("c1")
    offer = await asyncio.wait_for(harness.controller.wait_for_agent("c1", "general", "pension"), 1)
    assert offer.agent == "A1"


async def test_given_caller_waiting_when_wait_is_cancelled_then_caller_leaves_the_queue(
    harness: Harness,
) -> None:
    task = await harness.waiting("c1")
    assert "c1" in harness.router.calls
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert harness.router.calls == {}
    harness.controller.login("A1", "seat001")
    assert harness.router.agents["A1"].state is AgentState.AVAILABLE


async def test_given_unknown_call_when_waiting_then_caller_gone(harness: Harness) -> None:
    with pytest.raises(CallerGone):
        await harness.controller.wait_for_agent("ghost", "general", "pension")
    assert harness.router.calls == {}


async def test_given_failed_offer_when_caller_waits_again_then_caller_keeps_its_place(
    harness: Harness,
) -> None:
    harness.controller.login("A1", "seat001")
    first = await harness.waiting("first")
    assert (await asyncio.wait_for(first, 1)).agent == "A1"
    harness.time.advance(1)
    second = await harness.waiting("second")
    harness.time.advance(20)
    harness.controller.offer_failed("first", "NOANSWER")
    harness.controller.offer_failed("first", "NOANSWER")  # the requeue AGI reports it again
    assert harness.router.agents["A1"].rest_until == 26.0
    again = await harness.waiting("first")
    assert [harness.router.position(c) for c in ("first", "second")] == [1, 2]
    harness.controller.login("A2", "seat002")
    assert (await asyncio.wait_for(again, 1)).agent == "A2"
    assert not second.done()
    trace = harness.controller.trace("first")
    assert trace is not None
    assert [s.kind for s in trace.steps].count(StepKind.OFFER_TIMEOUT) == 1
    assert (trace.agent, trace.seat) == ("A2", "seat002")
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second


async def test_given_resting_agent_when_rest_ends_then_waiting_caller_is_offered(
    harness: Harness,
) -> None:
    harness.router.failed_offer_rest_s = 0.01
    harness.controller.login("A1", "seat001")
    await asyncio.wait_for(await harness.waiting("c1"), 1)
    harness.controller.offer_failed("c1", "BUSY")
    task = await harness.waiting("c1")
    assert not task.done()
    harness.time.advance(0.02)
    assert (await asyncio.wait_for(task, 1)).agent == "A1"


async def test_given_answered_call_when_channel_ends_then_answered_is_recorded_and_agent_free(
    harness: Harness,
) -> None:
    harness.controller.login("A1", "seat001")
    harness.time.advance(2)
    await asyncio.wait_for(await harness.waiting("c1"), 1)
    harness.time.advance(4)
    harness.controller.offer_answered("c1", "seat001")
    assert harness.router.agents["A1"].state is AgentState.ON_CALL
    harness.time.advance(60)
    harness.controller.channel_ended("c1", "Normal Clearing")
    [record] = harness.recorder.calls
    assert record.outcome is Outcome.ANSWERED
    assert (record.agent_code, record.seat) == ("A1", "seat001")
    assert (record.wait_ms, record.talk_ms) == (4000, 60000)
    assert [s.kind for s in record.steps][-2:] == [StepKind.HANGUP, StepKind.END]
    slot = harness.router.agents["A1"]
    assert (slot.state, slot.call_id, slot.idle_since) == (AgentState.AVAILABLE, None, 66.0)
    assert harness.controller.trace("c1") is None
    assert harness.publisher.agent_states("A1") == [
        ("logged_out", "available"),
        ("available", "offered"),
        ("offered", "on_call"),
        ("on_call", "available"),
    ]
    [ended] = harness.publisher.of(CallEnded)
    assert isinstance(ended, CallEnded)
    assert (ended.outcome, ended.agent, ended.wait_ms, ended.talk_ms) == (
        "answered",
        "A1",
        4000,
        60000,
    )


async def test_given_caller_waiting_when_caller_hangs_up_then_abandoned_is_recorded(
    harness: Harness,
) -> None:
    task = await harness.waiting("c1")
    harness.time.advance(30)
    harness.controller.channel_ended("c1", "Normal Clearing")
    with pytest.raises(asyncio.CancelledError):
        await task
    [record] = harness.recorder.calls
    assert record.outcome is Outcome.ABANDONED
    assert record.wait_ms == 30000
    assert record.agent_code is None
    assert harness.router.calls == {}
    assert harness.controller.trace("c1") is None


async def test_given_caller_in_ivr_when_caller_hangs_up_then_ivr_hangup_is_recorded(
    harness: Harness,
) -> None:
    harness.arrive("c1")
    harness.controller.channel_ended("c1", "Normal Clearing")
    harness.controller.channel_ended("c1", "reported twice")
    [record] = harness.recorder.calls
    assert record.outcome is Outcome.IVR_HANGUP


async def test_given_offered_caller_when_caller_hangs_up_then_agent_is_freed_for_the_next(
    harness: Harness,
) -> None:
    harness.controller.login("A1", "seat001")
    await asyncio.wait_for(await harness.waiting("c1"), 1)
    nxt = await harness.waiting("c2")
    harness.controller.channel_ended("c1", "Normal Clearing")
    assert (await asyncio.wait_for(nxt, 1)).agent == "A1"
    [record] = harness.recorder.calls
    assert (record.uniqueid, record.outcome) == ("c1", Outcome.ABANDONED)


async def test_given_caller_in_fallback_when_answered_there_then_fallback_answered_recorded(
    harness: Harness,
) -> None:
    task = await harness.waiting("c1")
    harness.controller.fallback_entered("c1", "routing did not finish")
    assert "c1" not in harness.router.calls
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    harness.controller.offer_answered("c1", "seat009")
    harness.controller.channel_ended("c1", "Normal Clearing")
    [record] = harness.recorder.calls
    assert record.outcome is Outcome.FALLBACK_ANSWERED
    assert (record.agent_code, record.seat) == (None, "seat009")
    assert len(harness.publisher.of(CallFallback)) == 1


async def test_given_busy_seat_when_it_frees_then_the_waiting_caller_is_offered(
    harness: Harness,
) -> None:
    harness.controller.seat_busy("seat001", busy=True)
    harness.controller.login("A1", "seat001")
    task = await harness.waiting("c1")
    assert not task.done()
    harness.controller.seat_busy("seat001", busy=False)
    assert (await asyncio.wait_for(task, 1)).agent == "A1"


async def test_given_agent_on_call_when_seat_hangs_up_then_agent_is_available(
    harness: Harness,
) -> None:
    harness.controller.login("A1", "seat001")
    await asyncio.wait_for(await harness.waiting("c1"), 1)
    harness.controller.offer_answered("c1", "seat001")
    harness.controller.seat_channel_ended("seat001")
    assert harness.router.agents["A1"].state is AgentState.AVAILABLE


async def test_given_calls_and_agents_when_reconciled_with_nothing_live_then_all_settle(
    harness: Harness,
) -> None:
    harness.controller.login("A1", "seat001")
    harness.controller.login("A2", "seat002")
    await asyncio.wait_for(await harness.waiting("talking"), 1)
    harness.controller.offer_answered("talking", "seat001")
    await asyncio.wait_for(await harness.waiting("ringing"), 1)
    waiting = await harness.waiting("waiting")
    harness.arrive("in-ivr")
    harness.time.advance(10)
    harness.controller.reconcile(live_uniqueids=set(), busy_seats={"seat002"})
    await asyncio.gather(waiting, return_exceptions=True)  # see the xfail test below
    assert harness.controller.traces == {}
    assert harness.router.calls == {}
    outcomes = {r.uniqueid: r.outcome for r in harness.recorder.calls}
    assert outcomes == {
        "talking": Outcome.ANSWERED,
        "ringing": Outcome.ABANDONED,
        "waiting": Outcome.ABANDONED,
        "in-ivr": Outcome.IVR_HANGUP,
    }
    for slot in harness.router.agents.values():
        assert (slot.state, slot.call_id) == (AgentState.AVAILABLE, None)
    assert harness.router.busy_seats == {"seat002"}


async def test_given_dead_waiting_caller_when_reconciled_then_no_agent_is_offered_to_it(
    harness: Harness,
) -> None:
    harness.controller.login("A1", "seat001")
    await asyncio.wait_for(await harness.waiting("talking"), 1)
    harness.controller.offer_answered("talking", "seat001")
    waiting = await harness.waiting("waiting")
    before = len(harness.publisher.events)
    harness.controller.reconcile(live_uniqueids=set(), busy_seats=set())
    published = harness.publisher.events[before:]
    assert not [e for e in published if isinstance(e, CallOffered)]
    assert harness.publisher.agent_states("A1")[-1] == ("on_call", "available")
    [result] = await asyncio.gather(waiting, return_exceptions=True)
    assert isinstance(result, asyncio.CancelledError)
    [*_, abandoned] = harness.recorder.calls
    assert (abandoned.uniqueid, abandoned.agent_code) == ("waiting", None)


async def test_given_agent_holding_unknown_call_when_reconciled_then_agent_is_freed(
    harness: Harness,
) -> None:
    harness.controller.login("A1", "seat001")
    harness.router.enqueue("untraced", "general", 0.0)
    harness.router.decide(0.0)
    harness.controller.reconcile(live_uniqueids={"other"}, busy_seats=set())
    assert harness.router.agents["A1"].state is AgentState.AVAILABLE
    assert harness.publisher.agent_states("A1")[-1] == ("offered", "available")


async def test_given_logged_in_agent_when_logging_out_then_recorded_and_published(
    harness: Harness,
) -> None:
    harness.controller.login("A1", "seat001")
    harness.time.advance(5)
    harness.controller.logout("A1")
    assert harness.recorder.logouts == [("A1", T0 + timedelta(seconds=5))]
    assert harness.publisher.agent_states("A1")[-1] == ("available", "logged_out")
    assert harness.router.agents == {}


async def test_given_a_full_call_when_events_are_published_then_topics_name_call_and_agent(
    harness: Harness,
) -> None:
    harness.controller.login("A7", "seat007")
    await asyncio.wait_for(await harness.waiting("1709256600.42"), 1)
    harness.controller.offer_answered("1709256600.42", "seat007")
    harness.controller.channel_ended("1709256600.42", "Normal Clearing")
    call_topics = [e.topic for e in harness.publisher.events if e.topic.startswith("hotline/v1/c")]
    assert call_topics == [
        f"hotline/v1/calls/1709256600.42/{step}"
        for step in ("arrived", "queued", "offered", "answered", "ended")
    ]
    agent_topics = {e.topic for e in harness.publisher.of(AgentStateChanged)}
    assert agent_topics == {"hotline/v1/agents/A7/state"}
    kinds = [type(e) for e in harness.publisher.events if not isinstance(e, AgentStateChanged)]
    assert kinds == [CallArrived, CallQueued, CallOffered, CallAnswered, CallEnded]
    assert all(e.topic.startswith("hotline/v1/") for e in harness.publisher.events)
    [queued] = harness.publisher.of(CallQueued)
    assert isinstance(queued, CallQueued)
    assert (queued.queue, queued.position) == ("general", 1)


async def test_given_a_repeat_caller_when_their_last_agent_is_free_then_that_agent_takes_them(
    harness: Harness,
) -> None:
    harness.controller.repeat_callers = RepeatCallers(window_s=3600)
    harness.controller.login("A1", "seat001")
    harness.controller.login("A2", "seat002")
    first = await harness.waiting("c1")  # A1, the longest idle, answers the first call
    assert (await asyncio.wait_for(first, 1)).agent == "A1"
    harness.controller.offer_answered("c1", "seat001")
    harness.controller.channel_ended("c1", "normal")
    harness.time.advance(30)
    harness.controller.wrapup_done("A1", None)
    harness.time.advance(600)  # now A2 has been idle far longer

    harness.arrive("c2")  # the same number rings again
    again = await harness.waiting("c2")

    assert (await asyncio.wait_for(again, 1)).agent == "A1"


async def test_given_a_caller_outside_the_window_then_routing_is_as_usual(
    harness: Harness,
) -> None:
    repeat = RepeatCallers(window_s=60)
    repeat.remember("13800138000", "A2", T0 - timedelta(seconds=61))
    repeat.remember("123", "A2", T0)  # too short to be a person's number: not remembered
    harness.controller.repeat_callers = repeat
    harness.controller.login("A1", "seat001")
    harness.controller.login("A2", "seat002")

    offer = await asyncio.wait_for(await harness.waiting("c1"), 1)

    assert offer.agent == "A1"
    assert repeat.agent_for("123", T0) is None


async def test_given_a_long_wait_rule_when_it_comes_due_then_the_waiting_caller_is_nudged(
    harness: Harness,
) -> None:
    policy = RoutingPolicy(default=QueuePolicy("general", relax=(
        RelaxRule(after_s=180, action=OFFER_CALLBACK),
    )))  # fmt: skip
    harness.controller.router = Router(policy)
    task = await harness.waiting("c1")
    nudge = harness.controller.keys.listen("c1")

    harness.time.advance(181)
    harness.controller.dispatch()

    assert nudge.result() == LONG_WAIT_NUDGE
    task.cancel()


async def test_given_a_held_caller_when_they_go_back_then_their_place_is_kept(
    harness: Harness,
) -> None:
    first, second = await harness.waiting("c1"), await harness.waiting("c2")
    assert harness.controller.hold_place("c1")
    assert [c.call_id for c in harness.router.waiting("general")] == ["c2"]

    harness.controller.resume_place("c1")

    assert [c.call_id for c in harness.router.waiting("general")] == ["c1", "c2"]
    harness.controller.login("A1", "seat001")
    assert (await asyncio.wait_for(first, 1)).agent == "A1"
    second.cancel()


@dataclass
class CollectingTimings:
    offers_s: list[float] = field(default_factory=list)

    def routing_decided(self, seconds: float) -> None:
        pass

    def offer_sent(self, seconds: float) -> None:
        self.offers_s.append(seconds)

    def offer_stages(
        self, routing_s: float, room_s: float, agi_s: float, *, stopped_prompt: bool = False
    ) -> None:
        self.stopped.append(stopped_prompt)

    def seat_released(self, seconds: float) -> None:
        self.seat_waits_s.append(seconds)

    seat_waits_s: list[float] = field(default_factory=list)
    stopped: list[bool] = field(default_factory=list)


def timed(harness: Harness, router: Router) -> tuple[Controller, CollectingTimings]:
    """A controller on the harness's clock whose timings the test reads."""
    timings = CollectingTimings()
    controller = Controller(
        router, harness.publisher, harness.recorder, clock=harness.time.clock(), timings=timings
    )
    return controller, timings


async def test_given_an_agent_whose_seat_is_still_in_use_then_the_offer_is_timed_from_its_release(
    harness: Harness,
) -> None:
    controller, timings = timed(harness, harness.router)
    controller.login("A1", "seat001")
    controller.call_arrived("c0", "c0", "13800138000", "张三", "12333")
    first = asyncio.create_task(controller.wait_for_agent("c0", "general", "pension"))
    controller.offer_sent((await asyncio.wait_for(first, 1)).call_id)
    controller.offer_answered("c0", "seat001")
    controller.seat_busy("seat001", busy=True)
    controller.call_arrived("c1", "c1", "13800138001", "李四", "12333")
    second = asyncio.create_task(controller.wait_for_agent("c1", "general", "pension"))
    await asyncio.sleep(0)

    controller.channel_ended("c0", "Normal Clearing")  # A1 is free; the seat is not yet idle
    harness.time.advance(0.300)
    await asyncio.sleep(0)
    assert not second.done()
    controller.seat_busy("seat001", busy=False)
    offer = await asyncio.wait_for(second, 1)
    harness.time.advance(0.002)
    controller.offer_sent(offer.call_id)

    assert timings.seat_waits_s == [pytest.approx(0.300)]
    assert timings.offers_s[-1] == pytest.approx(0.002)
    assert timings.stopped == [False, False]


async def test_the_dial_of_an_offer_can_be_awaited_and_ends_with_the_call(
    harness: Harness,
) -> None:
    controller = harness.controller
    assert controller.dialled("nobody").done()  # no offer on its way
    controller.login("A1", "seat001")
    first = await asyncio.wait_for(await harness.waiting("c1"), 1)
    dialled = controller.dialled(first.call_id)
    assert not dialled.done()
    controller.offer_sent(first.call_id)
    assert dialled.done()

    controller.login("A2", "seat002")
    second = await asyncio.wait_for(await harness.waiting("c2"), 1)
    gone = controller.dialled(second.call_id)
    controller.channel_ended("c2", "Normal Clearing")  # hung up before the Dial
    assert gone.done()


async def test_given_an_announcement_stopped_for_the_offer_then_its_stage_is_reported_apart(
    harness: Harness,
) -> None:
    controller, timings = timed(harness, harness.router)
    controller.call_arrived("c1", "c1", "13800138000", "张三", "12333")
    waiting = asyncio.create_task(controller.wait_for_agent("c1", "general", "pension"))
    await asyncio.sleep(0)
    controller.prompt_stopped_for_offer("c1")  # before any offer: not counted
    controller.login("A1", "seat001")
    offer = await asyncio.wait_for(waiting, 1)
    controller.prompt_stopped_for_offer("c1")
    controller.offer_sent(offer.call_id)

    assert timings.stopped == [True]


async def test_given_an_offer_that_waited_for_rules_to_relax_then_its_latency_starts_there(
    harness: Harness,
) -> None:
    policy = RoutingPolicy(default=QueuePolicy("general", relax=(
        RelaxRule(after_s=30, min_proficiency=2),
    )))  # fmt: skip
    controller, timings = timed(harness, Router(policy))
    controller.login("A1", "seat001", {"pension": 2})
    controller.call_arrived("c1", "c1", "13800138000", "张三", "12333")
    task = asyncio.create_task(
        controller.wait_for_agent("c1", "general", "pension", requirements=(("pension", 4),))
    )
    await asyncio.sleep(0)
    assert not task.done()  # the only agent is too weak until the rule relaxes at 30 s

    harness.time.advance(30.004)  # the wake timer fires 4 ms late
    controller.dispatch()
    offer = await asyncio.wait_for(task, 1)
    harness.time.advance(0.002)  # the session sets the route
    controller.offer_sent(offer.call_id)

    assert timings.offers_s == [pytest.approx(0.006)]
