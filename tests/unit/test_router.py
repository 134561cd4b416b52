"""The routing core and the agent state table: facts in, decisions out, no clock, no I/O."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from queues.agent_states import (
    TRANSITIONS,
    AgentEvent,
    AgentState,
    InvalidTransition,
    next_state,
)
from queues.router import Offer, Router, RoutingError, WaitingCall


def router_with(*agents: tuple[str, str, float]) -> Router:
    """A router with agents logged in as (code, seat, login time)."""
    router = Router()
    for code, seat, at in agents:
        router.login(code, seat, at)
    return router


def offered(router: Router, now: float) -> list[tuple[str, str]]:
    """decide() as (call, agent) pairs."""
    offers, _ = router.decide(now)
    return [(offer.call_id, offer.agent) for offer, _call in offers]


# ---- who takes whom ----------------------------------------------------------------------------


def test_given_two_idle_agents_when_one_caller_waits_then_longest_idle_agent_is_offered() -> None:
    router = router_with(("A2", "seat002", 20.0), ("A1", "seat001", 10.0))
    router.enqueue("c1", "general", 30.0)
    assert offered(router, 31.0) == [("c1", "A1")]


def test_given_two_callers_when_one_agent_is_free_then_longest_waiting_caller_is_offered() -> None:
    router = router_with(("A1", "seat001", 0.0))
    router.enqueue("late", "general", 20.0)
    router.enqueue("early", "general", 10.0)
    assert offered(router, 30.0) == [("early", "A1")]
    assert list(router.calls) == ["late"]


def test_given_callers_and_agents_when_deciding_then_oldest_caller_pairs_with_longest_idle() -> (
    None
):
    router = router_with(("B", "seat002", 5.0), ("A", "seat001", 1.0), ("C", "seat003", 9.0))
    for call, at in (("c3", 30.0), ("c1", 10.0), ("c2", 20.0)):
        router.enqueue(call, "general", at)
    assert offered(router, 40.0) == [("c1", "A"), ("c2", "B"), ("c3", "C")]


def test_given_an_agent_just_freed_when_deciding_then_agents_idle_longer_go_first() -> None:
    router = router_with(("A", "seat001", 0.0), ("B", "seat002", 5.0))
    router.enqueue("c1", "general", 6.0)
    assert offered(router, 6.0) == [("c1", "A")]
    router.answered("A")
    router.call_ended("A", now=100.0)
    router.enqueue("c2", "general", 101.0)
    assert offered(router, 101.0) == [("c2", "B")]


def test_given_equal_idle_times_when_deciding_then_agent_code_breaks_the_tie() -> None:
    router = router_with(("B", "seat002", 1.0), ("A", "seat001", 1.0))
    router.enqueue("c1", "general", 2.0)
    assert offered(router, 2.0) == [("c1", "A")]


@pytest.mark.parametrize(
    ("arrivals", "expected"),
    [
        pytest.param([("low", 9, 1.0), ("high", 1, 2.0)], ["high", "low"], id="priority-first"),
        pytest.param([("a", 5, 1.0), ("b", 5, 2.0)], ["a", "b"], id="same-priority-by-arrival"),
        pytest.param([("b", 5, 1.0), ("a", 5, 1.0)], ["b", "a"], id="same-time-by-sequence"),
        pytest.param(
            [("p5", 5, 1.0), ("p0", 0, 3.0), ("p2", 2, 2.0)], ["p0", "p2", "p5"], id="mixed"
        ),
    ],
)
def test_given_callers_with_priorities_when_deciding_then_lower_number_goes_first(
    arrivals: list[tuple[str, int, float]], expected: list[str]
) -> None:
    router = Router()
    for call, priority, at in arrivals:
        router.enqueue(call, "general", at, priority=priority)
    assert [router.position(call) for call in expected] == list(range(1, len(expected) + 1))
    for n in range(len(expected)):
        router.login(f"A{n}", f"seat{n:03d}", float(n))
    assert [call for call, _agent in offered(router, 10.0)] == expected


def test_given_callers_when_enqueued_then_enqueue_returns_the_position() -> None:
    router = Router()
    assert router.enqueue("c1", "general", 1.0) == 1
    assert router.enqueue("c2", "general", 2.0) == 2
    assert router.enqueue("vip", "general", 3.0, priority=1) == 1
    assert router.position("c1") == 2


# ---- seats -------------------------------------------------------------------------------------


def test_given_busy_seat_when_a_caller_waits_then_its_agent_is_never_offered() -> None:
    router = router_with(("A1", "seat001", 0.0), ("A2", "seat002", 10.0))
    router.set_seat_busy("seat001", busy=True)
    router.enqueue("c1", "general", 20.0)
    router.enqueue("c2", "general", 21.0)
    assert offered(router, 22.0) == [("c1", "A2")]
    assert offered(router, 23.0) == []
    assert router.agents["A1"].state is AgentState.AVAILABLE


def test_given_busy_seat_when_it_becomes_free_then_its_agent_is_offered_again() -> None:
    router = router_with(("A1", "seat001", 0.0))
    router.set_seat_busy("seat001", busy=True)
    router.enqueue("c1", "general", 1.0)
    assert offered(router, 2.0) == []
    router.set_seat_busy("seat001", busy=False)
    router.set_seat_busy("seat001", busy=False)
    assert offered(router, 3.0) == [("c1", "A1")]


def test_given_seat_held_by_agent_when_another_agent_logs_in_there_then_login_is_refused() -> None:
    router = router_with(("A1", "seat001", 0.0))
    with pytest.raises(RoutingError, match=r"seat001.*A1"):
        router.login("A2", "seat001", 1.0)
    assert set(router.agents) == {"A1"}


def test_given_available_agent_when_logging_in_again_then_it_stays_available() -> None:
    router = router_with(("A1", "seat001", 0.0))
    change = router.login("A1", "seat001", 5.0)
    assert (change.previous, change.state) == (AgentState.AVAILABLE, AgentState.AVAILABLE)
    assert router.agent_for_seat("seat001") is router.agents["A1"]


def test_given_available_agent_when_logging_in_at_another_seat_then_the_agent_moves() -> None:
    router = router_with(("A1", "seat001", 0.0))
    router.login("A1", "seat002", 5.0)
    assert router.agent_for_seat("seat001") is None
    assert router.agents["A1"].seat == "seat002"


def test_given_offered_agent_when_logging_in_again_then_login_is_refused() -> None:
    router = router_with(("A1", "seat001", 0.0))
    router.enqueue("c1", "general", 1.0)
    router.decide(1.0)
    with pytest.raises(RoutingError, match="A1"):
        router.login("A1", "seat001", 2.0)
    assert router.agents["A1"].call_id == "c1"


def test_given_logged_in_agent_when_logging_out_then_the_agent_is_removed() -> None:
    router = router_with(("A1", "seat001", 0.0))
    change = router.logout("A1")
    assert (change.previous, change.state) == (AgentState.AVAILABLE, AgentState.LOGGED_OUT)
    assert router.agents == {}
    assert router.agent_for_seat("seat001") is None
    router.enqueue("c1", "general", 1.0)
    assert offered(router, 2.0) == []


def test_given_unknown_agent_when_logging_out_then_routing_error() -> None:
    with pytest.raises(RoutingError, match="A9"):
        Router().logout("A9")


# ---- offers and their outcomes -----------------------------------------------------------------


def test_given_waiting_caller_when_deciding_then_agent_is_offered_and_call_removed() -> None:
    router = router_with(("A1", "seat001", 0.0))
    router.enqueue("c1", "general", 1.0, priority=3)
    offers, changes = router.decide(2.0)
    assert offers == [
        (Offer("c1", "A1", "seat001"), WaitingCall("c1", "general", 3, 1.0, seq=1)),
    ]
    assert [(c.agent, c.previous, c.state) for c in changes] == [
        ("A1", AgentState.AVAILABLE, AgentState.OFFERED)
    ]
    assert router.calls == {}
    slot = router.agents["A1"]
    assert (slot.state, slot.call_id) == (AgentState.OFFERED, "c1")
    assert router.agent_for_call("c1") is slot


def test_given_offered_agent_when_answered_then_agent_is_on_call() -> None:
    router = router_with(("A1", "seat001", 0.0))
    router.enqueue("c1", "general", 1.0)
    router.decide(1.0)
    change = router.answered("A1")
    assert change is not None
    assert (change.previous, change.state) == (AgentState.OFFERED, AgentState.ON_CALL)
    assert router.agents["A1"].call_id == "c1"


@pytest.mark.parametrize("agent", ["A1", "nobody"])
def test_given_agent_not_offered_when_answered_then_nothing_changes(agent: str) -> None:
    router = router_with(("A1", "seat001", 0.0))
    assert router.answered(agent) is None
    assert router.call_ended(agent, 1.0) is None
    assert router.offer_failed(agent, 1.0, "NOANSWER") is None
    assert router.agents["A1"].state is AgentState.AVAILABLE


@pytest.mark.parametrize("answer_first", [True, False], ids=["on_call", "offered"])
def test_given_agent_with_a_call_when_call_ends_then_agent_is_available_and_idle_since_then(
    answer_first: bool,
) -> None:
    router = router_with(("A1", "seat001", 0.0))
    router.enqueue("c1", "general", 1.0)
    router.decide(1.0)
    if answer_first:
        router.answered("A1")
    change = router.call_ended("A1", 50.0)
    assert change is not None
    assert change.state is AgentState.AVAILABLE
    slot = router.agents["A1"]
    assert (slot.state, slot.call_id, slot.idle_since) == (AgentState.AVAILABLE, None, 50.0)
    assert router.next_rest_end(50.0) is None


def test_given_offered_agent_when_offer_fails_then_agent_rests_for_the_configured_time() -> None:
    router = router_with(("A1", "seat001", 0.0))
    router.failed_offer_rest_s = 7.5
    router.enqueue("c1", "general", 1.0)
    [(_offer, call)] = router.decide(1.0)[0]
    change = router.offer_failed("A1", 10.0, "NOANSWER")
    assert change is not None
    assert (change.previous, change.state, change.reason) == (
        AgentState.OFFERED,
        AgentState.AVAILABLE,
        "NOANSWER",
    )
    assert router.agents["A1"].call_id is None
    assert router.next_rest_end(10.0) == 17.5
    router.requeue(call)
    assert offered(router, 17.4) == []
    assert router.next_rest_end(17.4) == 17.5
    assert offered(router, 17.5) == [("c1", "A1")]
    assert router.next_rest_end(17.5) is None


def test_given_resting_agent_when_another_agent_is_free_then_the_other_takes_the_caller() -> None:
    router = router_with(("A1", "seat001", 0.0), ("A2", "seat002", 5.0))
    router.enqueue("c1", "general", 6.0)
    [(_offer, call)] = router.decide(6.0)[0]
    router.offer_failed("A1", 8.0, "BUSY")
    router.requeue(call)
    assert offered(router, 8.0) == [("c1", "A2")]


def test_given_failed_offer_when_requeued_then_caller_keeps_its_place_ahead_of_later_ones() -> None:
    router = router_with(("A1", "seat001", 0.0))
    router.enqueue("first", "general", 1.0)
    [(_offer, call)] = router.decide(1.0)[0]
    router.enqueue("second", "general", 2.0)
    router.enqueue("third", "general", 3.0)
    router.offer_failed("A1", 4.0, "NOANSWER")
    assert router.requeue(call) == 1
    assert [router.position(c) for c in ("first", "second", "third")] == [1, 2, 3]
    router.login("A2", "seat002", 4.0)
    assert offered(router, 4.0) == [("first", "A2")]


def test_given_waiting_caller_when_removed_then_it_is_gone_and_remove_is_idempotent() -> None:
    router = Router()
    router.enqueue("c1", "general", 1.0)
    removed = router.remove("c1")
    assert removed is not None
    assert removed.call_id == "c1"
    assert router.remove("c1") is None
    assert router.calls == {}


# ---- the state table ---------------------------------------------------------------------------


def test_given_the_table_when_listing_states_then_every_agent_state_appears() -> None:
    sources = {state for state, _event in TRANSITIONS}
    targets = set(TRANSITIONS.values())
    assert sources | targets == set(AgentState)
    assert {event for _state, event in TRANSITIONS} == set(AgentEvent)


@pytest.mark.parametrize(
    ("state", "event"),
    [(s, e) for s in AgentState for e in AgentEvent if (s, e) not in TRANSITIONS],
)
def test_given_pair_not_in_table_when_applied_then_invalid_transition(
    state: AgentState, event: AgentEvent
) -> None:
    with pytest.raises(InvalidTransition) as caught:
        next_state("A1", state, event)
    assert (caught.value.agent, caught.value.state, caught.value.event) == ("A1", state, event)
    assert str(state) in str(caught.value)


def test_given_every_pair_in_table_when_applied_then_the_listed_state_follows() -> None:
    for (state, event), target in TRANSITIONS.items():
        assert next_state("A1", state, event) is target


# ---- invariants under random traffic -----------------------------------------------------------

AGENTS = ("A1", "A2", "A3", "A4")
SEATS = ("seat001", "seat002", "seat003")
REST_S = 5.0


class RouterMachine(RuleBasedStateMachine):
    """Random traffic against the router, with the controller's habits: a caller whose offer
    failed is put back with requeue(); a new caller gets a fresh id. A seat can turn busy while
    its agent is offered (that is the seat ringing), so "no busy seat's agent is offered" is
    checked on each decision rather than as a standing invariant.
    """

    def __init__(self) -> None:
        super().__init__()
        self.router = Router(failed_offer_rest_s=REST_S)
        self.now = 0.0
        self.next_call = 0
        self.offered_calls: dict[str, WaitingCall] = {}

    @rule(dt=st.floats(min_value=0.0, max_value=4.0))
    def advance(self, dt: float) -> None:
        self.now += dt

    @rule(priority=st.integers(min_value=0, max_value=3))
    def enqueue(self, priority: int) -> None:
        self.next_call += 1
        call_id = f"c{self.next_call}"
        position = self.router.enqueue(call_id, "general", self.now, priority=priority)
        assert 1 <= position <= len(self.router.calls)

    @rule(agent=st.sampled_from(AGENTS), seat=st.sampled_from(SEATS))
    def login(self, agent: str, seat: str) -> None:
        holder = self.router.agent_for_seat(seat)
        slot = self.router.agents.get(agent)
        refused = (holder is not None and holder.code != agent) or (
            slot is not None and slot.state is not AgentState.AVAILABLE
        )
        if refused:
            with pytest.raises(RoutingError):
                self.router.login(agent, seat, self.now)
        else:
            self.router.login(agent, seat, self.now)
            assert self.router.agents[agent].state is AgentState.AVAILABLE

    @rule(agent=st.sampled_from(AGENTS))
    def logout(self, agent: str) -> None:
        slot = self.router.agents.get(agent)
        if slot is None:
            with pytest.raises(RoutingError):
                self.router.logout(agent)
            return
        if slot.call_id is not None:
            self.offered_calls.pop(slot.call_id, None)
        self.router.logout(agent)
        assert agent not in self.router.agents

    @rule(seat=st.sampled_from(SEATS), busy=st.booleans())
    def seat_state(self, seat: str, busy: bool) -> None:
        self.router.set_seat_busy(seat, busy)

    @rule()
    def decide(self) -> None:
        waiting_before = sorted(self.router.calls.values(), key=lambda c: c.order)
        offers, changes = self.router.decide(self.now)
        agents = [offer.agent for offer, _call in offers]
        assert len(set(agents)) == len(agents), "an agent was offered two calls"
        assert [call for _offer, call in offers] == waiting_before[: len(offers)]
        assert len(changes) == len(offers)
        for offer, call in offers:
            slot = self.router.agents[offer.agent]
            assert offer.seat not in self.router.busy_seats
            assert slot.rest_until <= self.now
            assert (slot.state, slot.call_id) == (AgentState.OFFERED, call.call_id)
            self.offered_calls[call.call_id] = call

    @rule(agent=st.sampled_from(AGENTS))
    def answered(self, agent: str) -> None:
        before = self.router.agents.get(agent)
        was_offered = before is not None and before.state is AgentState.OFFERED
        change = self.router.answered(agent)
        assert (change is not None) == was_offered

    @rule(agent=st.sampled_from(AGENTS))
    def call_ended(self, agent: str) -> None:
        slot = self.router.agents.get(agent)
        call_id = slot.call_id if slot else None
        change = self.router.call_ended(agent, self.now)
        assert (change is not None) == (call_id is not None)
        if call_id is not None:
            self.offered_calls.pop(call_id, None)

    @rule(agent=st.sampled_from(AGENTS), requeue=st.booleans())
    def offer_failed(self, agent: str, requeue: bool) -> None:
        slot = self.router.agents.get(agent)
        call_id = slot.call_id if slot and slot.state is AgentState.OFFERED else None
        change = self.router.offer_failed(agent, self.now, "NOANSWER")
        assert (change is not None) == (call_id is not None)
        if call_id is None:
            return
        assert self.router.next_rest_end(self.now) is not None
        call = self.offered_calls.pop(call_id)
        if requeue:
            self.router.requeue(call)

    @precondition(lambda self: bool(self.router.calls))
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        call_id = data.draw(st.sampled_from(sorted(self.router.calls)))
        assert self.router.remove(call_id) is not None
        assert call_id not in self.router.calls

    @invariant()
    def no_agent_holds_a_call_twice_and_no_call_is_with_two_agents(self) -> None:
        held = [a.call_id for a in self.router.agents.values() if a.call_id is not None]
        assert len(held) == len(set(held))

    @invariant()
    def a_call_is_never_both_waiting_and_offered(self) -> None:
        held = {a.call_id for a in self.router.agents.values()}
        assert not held & set(self.router.calls)

    @invariant()
    def an_agent_has_a_call_exactly_when_offered_or_on_call(self) -> None:
        for slot in self.router.agents.values():
            if slot.state in {AgentState.OFFERED, AgentState.ON_CALL}:
                assert slot.call_id is not None
            else:
                assert slot.state is AgentState.AVAILABLE
                assert slot.call_id is None

    @invariant()
    def one_agent_per_seat(self) -> None:
        seats = [a.seat for a in self.router.agents.values()]
        assert len(seats) == len(set(seats))

    @invariant()
    def positions_are_a_permutation(self) -> None:
        positions = sorted(self.router.position(c) for c in self.router.calls)
        assert positions == list(range(1, len(self.router.calls) + 1))


RouterMachine.TestCase.settings = settings(
    database=None, deadline=None, max_examples=60, stateful_step_count=40
)
test_given_random_traffic_when_routing_then_invariants_hold = RouterMachine.TestCase
