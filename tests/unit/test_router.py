"""The routing core's foundation behaviour, kept under skills routing: with no requirements and
the default policy, the longest-waiting caller goes to the longest-idle free agent."""

from __future__ import annotations

import pytest

from queues.agent_states import AgentState
from queues.router import Offer, Router, RoutingError, WaitingCall


def router_with(*agents: tuple[str, str, float]) -> Router:
    """A router with agents logged in as (code, seat, login time)."""
    router = Router()
    for code, seat, at in agents:
        router.login(code, seat, at)
    return router


def offered(router: Router, now: float) -> list[tuple[str, str]]:
    """decide() as (call, agent) pairs."""
    offers = router.decide(now).offers
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
    decision = router.decide(2.0)
    offers, changes = decision.offers, decision.changes
    assert decision.actions == []
    assert offers == [
        (Offer("c1", "A1", "seat001", 20.0), WaitingCall("c1", "general", 3, 1.0, seq=1)),
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
    [(_offer, call)] = router.decide(1.0).offers
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
    [(_offer, call)] = router.decide(6.0).offers
    router.offer_failed("A1", 8.0, "BUSY")
    router.requeue(call)
    assert offered(router, 8.0) == [("c1", "A2")]


def test_given_failed_offer_when_requeued_then_caller_keeps_its_place_ahead_of_later_ones() -> None:
    router = router_with(("A1", "seat001", 0.0))
    router.enqueue("first", "general", 1.0)
    [(_offer, call)] = router.decide(1.0).offers
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


def test_given_the_foundation_controller_when_it_unpacks_a_decision_then_offers_and_changes() -> (
    None
):
    router = router_with(("A1", "seat001", 0.0))
    router.enqueue("c1", "general", 1.0)
    decision = router.decide(2.0)
    offers, changes = decision.offers, decision.changes
    assert [offer.call_id for offer, _call in offers] == ["c1"]
    assert [change.state for change in changes] == [AgentState.OFFERED]


def test_given_unknown_call_when_asking_its_position_then_routing_error() -> None:
    with pytest.raises(RoutingError, match="c9"):
        Router().position("c9")


def test_given_offered_call_when_enqueued_or_requeued_again_then_routing_error() -> None:
    router = router_with(("A1", "seat001", 0.0))
    router.enqueue("c1", "general", 1.0)
    [(_offer, call)] = router.decide(1.0).offers
    with pytest.raises(RoutingError, match="A1"):
        router.requeue(call)
    with pytest.raises(RoutingError, match="A1"):
        router.enqueue("c1", "general", 2.0)
    assert router.calls == {}


def test_given_controller_reconciling_when_busy_seats_are_replaced_then_they_count() -> None:
    router = router_with(("A1", "seat001", 0.0))
    router.busy_seats = {"seat001"}
    router.enqueue("c1", "general", 1.0)
    assert offered(router, 2.0) == []
    router.busy_seats = set()
    assert offered(router, 3.0) == [("c1", "A1")]
