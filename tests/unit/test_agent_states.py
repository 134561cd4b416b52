"""Agent states: the table itself, and the router's lifecycle around it (wrap-up, pauses with
reasons, pending pauses, missed offers)."""

from __future__ import annotations

import logging

import pytest

from queues.agent_states import (
    TRANSITIONS,
    AgentEvent,
    AgentState,
    InvalidTransition,
    next_state,
)
from queues.router import Router, RoutingError
from queues.skills import QueuePolicy, RoutingPolicy

S = AgentState

# ---- the table ---------------------------------------------------------------------------------


def test_given_the_table_when_listing_states_then_every_state_and_event_appears() -> None:
    sources = {state for state, _event in TRANSITIONS}
    targets = set(TRANSITIONS.values())
    assert sources | targets == set(AgentState)
    assert {event for _state, event in TRANSITIONS} == set(AgentEvent)


@pytest.mark.parametrize(
    ("state", "event", "target"),
    [
        (S.LOGGED_OUT, AgentEvent.LOGIN, S.AVAILABLE),
        (S.AVAILABLE, AgentEvent.OFFER, S.OFFERED),
        (S.OFFERED, AgentEvent.ANSWER, S.ON_CALL),
        (S.ON_CALL, AgentEvent.CALL_ENDED, S.WRAP_UP),
        (S.WRAP_UP, AgentEvent.WRAP_UP_DONE, S.AVAILABLE),
        (S.OFFERED, AgentEvent.OFFER_FAILED, S.AVAILABLE),
        (S.OFFERED, AgentEvent.MISSED, S.PAUSED),
        (S.OFFERED, AgentEvent.CALL_ENDED, S.AVAILABLE),
        (S.AVAILABLE, AgentEvent.PAUSE, S.PAUSED),
        (S.WRAP_UP, AgentEvent.PAUSE, S.PAUSED),
        (S.PAUSED, AgentEvent.UNPAUSE, S.AVAILABLE),
        (S.PAUSED, AgentEvent.LOGOUT, S.LOGGED_OUT),
    ],
)
def test_given_the_lifecycle_when_each_step_is_applied_then_the_table_agrees(
    state: AgentState, event: AgentEvent, target: AgentState
) -> None:
    assert TRANSITIONS[(state, event)] is target


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


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (S.OFFERED, AgentEvent.PAUSE),
        (S.ON_CALL, AgentEvent.PAUSE),
        (S.LOGGED_OUT, AgentEvent.PAUSE),
        (S.PAUSED, AgentEvent.OFFER),
        (S.WRAP_UP, AgentEvent.OFFER),
        (S.ON_CALL, AgentEvent.OFFER),
    ],
)
def test_given_busy_or_paused_agent_when_offered_or_paused_directly_then_not_in_table(
    state: AgentState, event: AgentEvent
) -> None:
    assert (state, event) not in TRANSITIONS


def test_given_any_transition_when_applied_then_it_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="hotline.agents"):
        for (state, event), target in TRANSITIONS.items():
            assert next_state("A1", state, event) is target
    assert "agent A1: on_call -[call_ended]-> wrap_up" in caplog.messages
    assert len(caplog.messages) == len(TRANSITIONS)


# ---- the lifecycle through the router -----------------------------------------------------------

WRAPUP = RoutingPolicy(
    queues=(QueuePolicy("pension", wrapup_s=30.0, max_misses=2),),
)


def on_call(router: Router, agent: str = "A1", call: str = "c1", queue: str = "pension") -> None:
    router.enqueue(call, queue, 0.0)
    [(offer, _call)] = router.decide(0.0).offers
    assert offer.agent == agent
    router.answered(agent)


def routed(policy: RoutingPolicy = WRAPUP) -> Router:
    router = Router(policy)
    router.login("A1", "seat001", 0.0)
    return router


def test_given_queue_with_wrapup_when_call_ends_then_agent_wraps_up_until_its_end() -> None:
    router = routed()
    on_call(router)
    change = router.call_ended("A1", 100.0)
    assert change is not None
    assert (change.previous, change.state, change.reason) == (S.ON_CALL, S.WRAP_UP, "ended c1")
    slot = router.agents["A1"]
    assert (slot.wrapup_until, slot.call_id, slot.last_call_id) == (130.0, None, "c1")
    router.enqueue("c2", "pension", 101.0)
    assert router.next_wake(101.0) == 130.0
    assert router.decide(129.9).offers == []
    decision = router.decide(130.0)
    assert [(c.previous, c.state, c.reason) for c in decision.changes] == [
        (S.WRAP_UP, S.AVAILABLE, "wrap-up ended"),
        (S.AVAILABLE, S.OFFERED, "offer c2"),
    ]
    assert [offer.call_id for offer, _ in decision.offers] == ["c2"]


def test_given_wrapup_ended_by_time_when_routing_then_idle_since_the_end_not_the_decision() -> None:
    router = routed()
    on_call(router)
    router.call_ended("A1", 100.0)
    router.decide(500.0)
    assert router.agents["A1"].idle_since == 130.0


def test_given_agent_in_wrapup_when_done_early_then_available_with_the_disposition() -> None:
    router = routed()
    on_call(router)
    router.call_ended("A1", 100.0)
    change = router.wrapup_done("A1", 110.0, "PENSION-QUERY-ANSWERED")
    assert change is not None
    assert (change.previous, change.state) == (S.WRAP_UP, S.AVAILABLE)
    assert change.reason == "wrap-up done: PENSION-QUERY-ANSWERED"
    assert change.disposition == "PENSION-QUERY-ANSWERED"
    assert router.agents["A1"].idle_since == 110.0
    assert router.decide(130.0).changes == []
    assert router.next_wake(110.0) is None


def test_given_agent_not_in_wrapup_when_done_then_nothing_changes() -> None:
    router = routed()
    assert router.wrapup_done("A1", 1.0, "X") is None
    assert router.wrapup_done("nobody", 1.0) is None


def test_given_zero_wrapup_when_call_ends_then_agent_passes_straight_to_available(
    caplog: pytest.LogCaptureFixture,
) -> None:
    router = routed(RoutingPolicy())
    on_call(router, queue="general")
    with caplog.at_level(logging.INFO, logger="hotline.agents"):
        change = router.call_ended("A1", 50.0)
    assert change is not None
    assert (change.previous, change.state) == (S.ON_CALL, S.AVAILABLE)
    assert caplog.messages == [
        "agent A1: on_call -[call_ended]-> wrap_up",
        "agent A1: wrap_up -[wrap_up_done]-> available",
    ]


@pytest.mark.parametrize("from_wrapup", [False, True], ids=["available", "wrap_up"])
def test_given_agent_when_paused_with_a_reason_then_never_offered_until_unpaused(
    from_wrapup: bool,
) -> None:
    router = routed()
    if from_wrapup:
        on_call(router)
        router.call_ended("A1", 1.0)
    change = router.pause("A1", "lunch", 2.0)
    assert change is not None
    assert (change.state, change.reason) == (S.PAUSED, "pause: lunch")
    slot = router.agents["A1"]
    assert (slot.pause_reason, slot.wrapup_until) == ("lunch", None)
    router.enqueue("c2", "pension", 3.0)
    assert router.decide(100.0).offers == []
    again = router.pause("A1", "training", 4.0)
    assert again is not None
    assert (again.previous, again.state, slot.pause_reason) == (S.PAUSED, S.PAUSED, "training")
    change = router.unpause("A1", 200.0)
    assert change is not None
    assert (change.previous, change.state, change.reason) == (S.PAUSED, S.AVAILABLE, "unpause")
    assert (slot.pause_reason, slot.idle_since) == (None, 200.0)
    assert [offer.call_id for offer, _ in router.decide(200.0).offers] == ["c2"]


def test_given_paused_agent_when_logging_out_then_logged_out() -> None:
    router = routed()
    router.pause("A1", "meeting", 1.0)
    change = router.logout("A1")
    assert (change.previous, change.state) == (S.PAUSED, S.LOGGED_OUT)
    with pytest.raises(RoutingError, match="A1"):
        router.pause("A1", "meeting", 2.0)


def test_given_agent_not_paused_when_unpaused_then_nothing_changes() -> None:
    router = routed()
    assert router.unpause("A1", 1.0) is None
    assert router.agents["A1"].state is S.AVAILABLE


def test_given_paused_agent_when_logging_in_again_then_refused() -> None:
    router = routed()
    router.pause("A1", "lunch", 1.0)
    with pytest.raises(RoutingError, match="paused"):
        router.login("A1", "seat001", 2.0)


def test_given_agent_on_call_when_pause_asked_then_it_waits_for_the_call_and_wrapup() -> None:
    router = routed()
    on_call(router)
    assert router.pause("A1", "lunch", 10.0) is None
    slot = router.agents["A1"]
    assert (slot.state, slot.pending_pause) == (S.ON_CALL, "lunch")
    change = router.call_ended("A1", 20.0)
    assert change is not None
    assert change.state is S.WRAP_UP
    [ended] = router.decide(50.0).changes
    assert (ended.previous, ended.state) == (S.WRAP_UP, S.PAUSED)
    assert ended.reason == "wrap-up ended; pause: lunch"
    assert (slot.pause_reason, slot.pending_pause) == ("lunch", None)


def test_given_pending_pause_when_offer_rings_out_or_caller_leaves_then_paused_at_once() -> None:
    router = routed()
    router.enqueue("c1", "pension", 0.0)
    router.decide(0.0)
    router.pause("A1", "toilet", 1.0)
    change = router.call_ended("A1", 2.0)
    assert change is not None
    assert (change.previous, change.state, change.reason) == (
        S.OFFERED,
        S.PAUSED,
        "ended c1; pause: toilet",
    )


def test_given_pending_pause_when_unpaused_before_the_call_ends_then_it_is_cancelled() -> None:
    router = routed(RoutingPolicy())
    on_call(router, queue="general")
    router.pause("A1", "lunch", 1.0)
    assert router.unpause("A1", 2.0) is None
    change = router.call_ended("A1", 3.0)
    assert change is not None
    assert change.state is S.AVAILABLE


def test_given_repeated_misses_when_the_limit_is_reached_then_paused_for_missed_offers() -> None:
    router = routed()  # pension: max_misses=2
    router.enqueue("c1", "pension", 0.0)
    [(_offer, call)] = router.decide(0.0).offers
    first = router.offer_failed("A1", 1.0, "NOANSWER")
    assert first is not None
    assert (first.state, router.agents["A1"].misses) == (S.AVAILABLE, 1)
    router.requeue(call)
    router.decide(10.0)
    second = router.offer_failed("A1", 11.0, "NOANSWER")
    assert second is not None
    assert (second.previous, second.state) == (S.OFFERED, S.PAUSED)
    assert second.reason == "NOANSWER; pause: missed offers"
    assert router.agents["A1"].pause_reason == "missed offers"
    router.requeue(call)
    assert router.decide(100.0).offers == []
    router.unpause("A1", 101.0)
    assert router.agents["A1"].misses == 0


def test_given_a_miss_when_the_next_offer_is_answered_then_the_count_starts_again() -> None:
    router = routed()
    for n in range(4):
        router.enqueue(f"c{n}", "pension", 10.0 * n)
        [(offer, call)] = router.decide(10.0 * n).offers
        assert offer.agent == "A1"
        router.offer_failed("A1", 10.0 * n + 1, "NOANSWER")
        router.requeue(call)
        router.decide(10.0 * n + 6)
        router.answered("A1")
        assert router.agents["A1"].misses == 0
        router.call_ended("A1", 10.0 * n + 7)
        router.wrapup_done("A1", 10.0 * n + 8)
    assert router.agents["A1"].state is S.AVAILABLE


def test_given_miss_limit_per_queue_when_the_default_queue_then_three_in_a_row() -> None:
    router = routed(RoutingPolicy())
    router.enqueue("c1", "general", 0.0)
    states = []
    for n in range(3):
        [(_offer, call)] = router.decide(10.0 * n).offers
        change = router.offer_failed("A1", 10.0 * n + 1, "NOANSWER")
        assert change is not None
        states.append(change.state)
        router.requeue(call)
    assert states == [S.AVAILABLE, S.AVAILABLE, S.PAUSED]
