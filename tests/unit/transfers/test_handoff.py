"""Blind and warm transfers to a queue or an agent, the case going with the caller."""

from __future__ import annotations

import pytest

from tests.unit.transfers.conftest import at
from transfers.case import CaseContext
from transfers.effects import (
    Bridge,
    CancelConsult,
    CancelTimer,
    Consult,
    DeliverToAgent,
    DeliverToQueue,
    PlayHold,
    Publish,
    Record,
    ReleaseAgent,
    ReturnToAgent,
    ReturnToQueue,
    StartTimer,
    Timer,
)
from transfers.handoff import (
    TERMINAL,
    TRANSITIONS,
    Handoff,
    HandoffDecision,
    HandoffEvent,
    HandoffKey,
    HandoffKind,
    HandoffSettings,
    HandoffState,
    InvalidHandoff,
    Target,
    TargetKind,
    handle_handoff,
    request_handoff,
)

H, HK = HandoffState, HandoffKey
NOW = at(2026, 11, 25, 10, 0)
CASE = CaseContext(
    "case-9", "call-9", "失业保险金申领", topic="unemployment", work_orders=("WO-1",)
)
CALLER, AGENT, TARGET_CHANNEL = "PJSIP/trunk-9", "PJSIP/agent-9", "PJSIP/agent-20"
SETTINGS = HandoffSettings(dial_timeout_s=20, hold_confirm_s=5, fallback_queue="general")
POLICY_QUEUE = Target(TargetKind.QUEUE, "pension")
SENIOR = Target(TargetKind.AGENT, "agent-20")


def start(kind: HandoffKind, target: Target = SENIOR) -> HandoffDecision:
    return request_handoff(
        kind,
        CASE,
        target,
        caller=CALLER,
        agent=AGENT,
        agent_id="agent-9",
        now=NOW,
        settings=SETTINGS,
    )


def run(handoff: Handoff, *keys: HandoffKey) -> HandoffDecision:
    decision, effects = HandoffDecision(handoff, ()), []
    for key in keys:
        channel = TARGET_CHANNEL if key is HK.TARGET_ANSWERED else ""
        decision = handle_handoff(decision.handoff, HandoffEvent(NOW, key, channel), SETTINGS)
        effects += decision.effects
    return HandoffDecision(decision.handoff, tuple(effects))


def actions(decision: HandoffDecision) -> list[object]:
    return [e for e in decision.effects if not isinstance(e, Record | Publish)]


def warm_in(state: HandoffState) -> Handoff:
    path = {
        H.REQUESTED: (),
        H.CALLER_ON_HOLD: (HK.HOLD_STARTED,),
        H.CONSULTED: (HK.HOLD_STARTED, HK.TARGET_ANSWERED),
    }[state]
    return run(start(HandoffKind.WARM).handoff, *path).handoff


@pytest.mark.parametrize(
    ("target", "delivery"),
    [
        (POLICY_QUEUE, DeliverToQueue(CALLER, "pension", CASE)),
        (SENIOR, DeliverToAgent(CALLER, "agent-20", CASE)),
    ],
)
def test_a_blind_transfer_delivers_the_caller_with_the_case_and_frees_the_agent(
    target: Target, delivery: object
) -> None:
    decision = start(HandoffKind.BLIND, target)
    assert actions(decision) == [delivery, ReleaseAgent("agent-9", "transferred")]
    assert run(decision.handoff, HK.DELIVERED).handoff.state is H.COMPLETED


def test_a_blind_transfer_that_cannot_be_delivered_sends_the_caller_to_the_fallback_queue() -> None:
    decision = run(start(HandoffKind.BLIND).handoff, HK.DELIVERY_FAILED)
    assert decision.handoff.state is H.RETURNED_TO_QUEUE
    assert actions(decision) == [ReturnToQueue(CALLER, "general", "delivery_failed", CASE)]


def test_a_warm_transfer_consults_then_bridges_the_caller_to_the_target() -> None:
    first = start(HandoffKind.WARM)
    assert actions(first) == [PlayHold(CALLER), StartTimer("case-9", Timer.HOLD, 5)]
    decision = run(first.handoff, HK.HOLD_STARTED, HK.TARGET_ANSWERED, HK.AGENT_COMPLETES)
    assert decision.handoff.state is H.COMPLETED
    assert actions(decision) == [
        CancelTimer("case-9", Timer.HOLD),
        Consult("case-9", "agent:agent-20", 20),
        StartTimer("case-9", Timer.DIAL, 20),
        CancelTimer("case-9", Timer.DIAL),
        Bridge(CALLER, TARGET_CHANNEL, CASE),
        ReleaseAgent("agent-9", "transferred"),
    ]
    assert [str(step) for step in decision.handoff.steps] == [
        " -[warm_requested]-> requested",
        "requested -[hold_started]-> caller_on_hold",
        "caller_on_hold -[target_answered]-> consulted",
        "consulted -[agent_completes]-> completed",
    ]


def test_an_agent_hanging_up_during_the_consultation_completes_the_transfer() -> None:
    decision = run(warm_in(H.CONSULTED), HK.AGENT_HUNG_UP)
    assert decision.handoff.state is H.COMPLETED
    assert actions(decision) == [Bridge(CALLER, TARGET_CHANNEL, CASE)]


@pytest.mark.parametrize("key", [HK.AGENT_CANCELS, HK.TARGET_HUNG_UP])
def test_a_consultation_that_ends_without_a_transfer_returns_the_caller_to_the_agent(
    key: HandoffKey,
) -> None:
    decision = run(warm_in(H.CONSULTED), key)
    assert decision.handoff.state is H.RETURNED_TO_AGENT
    cancel = [CancelConsult("case-9", TARGET_CHANNEL)] if key is HK.AGENT_CANCELS else []
    assert actions(decision) == [*cancel, ReturnToAgent(CALLER, AGENT, key.value)]


@pytest.mark.parametrize("key", [HK.TARGET_NO_ANSWER, HK.TARGET_BUSY, HK.DIAL_TIMER_EXPIRED])
def test_a_target_that_does_not_answer_returns_the_caller_to_the_agent(key: HandoffKey) -> None:
    decision = run(warm_in(H.CALLER_ON_HOLD), key)
    assert decision.handoff.state is H.RETURNED_TO_AGENT
    assert CancelConsult("case-9") in decision.effects
    assert ReturnToAgent(CALLER, AGENT, key.value) in decision.effects


@pytest.mark.parametrize("state", [H.REQUESTED, H.CALLER_ON_HOLD, H.CONSULTED])
def test_the_caller_hanging_up_at_any_step_of_a_warm_transfer_frees_the_agent(
    state: HandoffState,
) -> None:
    decision = run(warm_in(state), HK.CALLER_HUNG_UP)
    assert decision.handoff.state is H.CALLER_GONE
    assert ReleaseAgent("agent-9", "caller_gone") in decision.effects
    assert (CancelConsult("case-9", decision.handoff.target_channel) in decision.effects) is (
        state is not H.REQUESTED
    )


def test_given_the_agent_gone_while_the_target_rings_when_it_answers_then_caller_is_bridged() -> (
    None
):
    decision = run(warm_in(H.CALLER_ON_HOLD), HK.AGENT_HUNG_UP, HK.TARGET_ANSWERED)
    assert decision.handoff.state is H.COMPLETED
    assert Bridge(CALLER, TARGET_CHANNEL, CASE) in decision.effects
    assert not any(isinstance(e, ReleaseAgent) for e in decision.effects)


def test_given_the_agent_gone_when_the_target_does_not_answer_then_the_caller_is_queued() -> None:
    decision = run(warm_in(H.CALLER_ON_HOLD), HK.AGENT_HUNG_UP, HK.TARGET_NO_ANSWER)
    assert decision.handoff.state is H.RETURNED_TO_QUEUE
    assert ReturnToQueue(CALLER, "general", "target_no_answer", CASE) in decision.effects


def test_a_target_answering_after_the_transfer_gave_up_is_hung_up() -> None:
    gave_up = run(warm_in(H.CALLER_ON_HOLD), HK.TARGET_NO_ANSWER).handoff
    decision = run(gave_up, HK.TARGET_ANSWERED)
    assert actions(decision) == [CancelConsult("case-9", TARGET_CHANNEL)]


def test_a_timer_no_longer_running_is_ignored() -> None:
    handoff = warm_in(H.CONSULTED)
    assert run(handoff, HK.DIAL_TIMER_EXPIRED) == HandoffDecision(handoff, ())


def test_hold_never_confirmed_fails_back_to_the_agent() -> None:
    decision = run(warm_in(H.REQUESTED), HK.HOLD_TIMER_EXPIRED)
    assert decision.handoff.state is H.FAILED
    assert actions(decision) == [ReturnToAgent(CALLER, AGENT, "hold_timer_expired")]


@pytest.mark.parametrize(
    ("kind", "state", "key"),
    [
        (HandoffKind.BLIND, H.REQUESTED, HK.HOLD_STARTED),
        (HandoffKind.WARM, H.REQUESTED, HK.DELIVERED),
        (HandoffKind.WARM, H.CALLER_ON_HOLD, HK.AGENT_COMPLETES),
        (HandoffKind.WARM, H.COMPLETED, HK.AGENT_CANCELS),
    ],
)
def test_unknown_transitions_raise(kind: HandoffKind, state: HandoffState, key: HandoffKey) -> None:
    handoff = Handoff(kind, CASE, SENIOR, CALLER, AGENT, "agent-9", state=state)
    with pytest.raises(InvalidHandoff, match=f"no transition from {state} on {key}"):
        handle_handoff(handoff, HandoffEvent(NOW, key), SETTINGS)


def test_terminal_states_are_never_left() -> None:
    assert all(
        target is state for (_, state, _), target in TRANSITIONS.items() if state in TERMINAL
    )
