"""Reconciliation after a controller restart: Asterisk's snapshot settles the stored transfer."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from tests.unit.transfers.test_machine import (
    AGENT,
    CALLER,
    CASE,
    CLERK,
    SETTINGS,
    WEDNESDAY_10,
    actions,
    transfer_in,
)
from transfers.case import Role
from transfers.effects import (
    CancelWindow,
    EndConference,
    JoinConference,
    Member,
    Publish,
    ReleaseAgent,
    ReturnToAgent,
    ReturnToQueue,
    StartTimer,
    Timer,
)
from transfers.events import TransferChanged
from transfers.machine import WindowState
from transfers.reconcile import AsteriskSnapshot, reconcile

S = WindowState
CONF = "case-case-7"
LATER = WEDNESDAY_10 + timedelta(seconds=10)


def snapshot(alive: set[str], in_conference: set[str] = frozenset(), *,  # type: ignore[assignment]
             window: str | None = None, answered: bool = False) -> AsteriskSnapshot:  # fmt: skip
    return AsteriskSnapshot(frozenset(alive), frozenset(in_conference), window, answered)


def test_given_a_restart_mid_briefing_then_everyone_joins_the_conference_at_once() -> None:
    decision = reconcile(
        transfer_in(S.BRIEFING_CLERK),
        snapshot({CALLER, AGENT, CLERK}, window=CLERK, answered=True),
        LATER,
        SETTINGS,
    )
    assert decision.transfer.state is S.CONFERENCE
    members = (Member(CALLER, Role.CALLER), Member(CLERK, Role.CLERK), Member(AGENT, Role.AGENT))
    assert actions(decision) == [JoinConference(CONF, members)]
    assert str(decision.transfer.steps[-1]) == "briefing_clerk -[reconciled]-> conference"
    assert decision.transfer.timers == frozenset()


def test_given_a_restart_mid_briefing_with_the_agent_gone_then_caller_and_clerk_are_joined() -> (
    None
):
    decision = reconcile(
        transfer_in(S.BRIEFING_CLERK),
        snapshot({CALLER, CLERK}, window=CLERK, answered=True),
        LATER,
        SETTINGS,
    )
    assert decision.transfer.state is S.AGENT_LEFT
    assert actions(decision) == [
        JoinConference(CONF, (Member(CALLER, Role.CALLER), Member(CLERK, Role.CLERK))),
        ReleaseAgent("agent-1", "handed_over"),
    ]


def test_given_a_restart_mid_conference_with_everyone_there_then_nothing_changes() -> None:
    everyone = {CALLER, AGENT, CLERK}
    transfer = transfer_in(S.CONFERENCE)
    decision = reconcile(
        transfer, snapshot(everyone, everyone, window=CLERK, answered=True), LATER, SETTINGS
    )
    assert decision.transfer.state is S.CONFERENCE
    assert decision.effects == ()


def test_given_the_agent_left_while_the_controller_was_away_then_the_state_catches_up() -> None:
    decision = reconcile(
        transfer_in(S.CONFERENCE),
        snapshot({CALLER, CLERK}, {CALLER, CLERK}, window=CLERK),
        LATER,
        SETTINGS,
    )
    assert decision.transfer.state is S.AGENT_LEFT
    assert actions(decision) == [ReleaseAgent("agent-1", "handed_over")]
    assert (
        Publish(TransferChanged(LATER, "case-7", "window", "agent_left", "", "win-changning-si"))
        in decision.effects
    )


def test_given_the_caller_alone_in_the_bridge_and_the_agent_gone_then_the_caller_is_queued() -> (
    None
):
    decision = reconcile(transfer_in(S.CONFERENCE), snapshot({CALLER}, {CALLER}), LATER, SETTINGS)
    assert decision.transfer.state is S.RETURNED_TO_QUEUE
    assert actions(decision) == [ReturnToQueue(CALLER, "general", "clerk_gone", CASE)]


def test_given_the_caller_alone_in_the_bridge_and_the_agent_up_then_they_are_together_again() -> (
    None
):
    decision = reconcile(
        transfer_in(S.CONFERENCE), snapshot({CALLER, AGENT}, {CALLER}), LATER, SETTINGS
    )
    assert decision.transfer.state is S.RETURNED_TO_AGENT
    assert actions(decision) == [ReturnToAgent(CALLER, AGENT, "clerk_gone")]


def test_given_the_caller_alone_after_the_agent_left_then_the_caller_is_queued() -> None:
    decision = reconcile(transfer_in(S.AGENT_LEFT), snapshot({CALLER}, {CALLER}), LATER, SETTINGS)
    assert decision.transfer.state is S.RETURNED_TO_QUEUE
    assert actions(decision) == [ReturnToQueue(CALLER, "general", "clerk_gone", CASE)]


@pytest.mark.parametrize(
    "state", [S.REQUESTED, S.CALLER_ON_HOLD, S.DIALING_WINDOW, S.BRIEFING_CLERK, S.CONFERENCE]
)
def test_given_the_caller_gone_then_everything_is_cleaned_up(state: WindowState) -> None:
    alive = {AGENT, CLERK} if state is not S.REQUESTED else {AGENT}
    in_conference = {AGENT, CLERK} if state is S.CONFERENCE else set()
    window = CLERK if state is not S.REQUESTED else None
    decision = reconcile(
        transfer_in(state), snapshot(alive, in_conference, window=window), LATER, SETTINGS
    )
    assert decision.transfer.state is S.CALLER_GONE
    done = actions(decision)
    assert ReleaseAgent("agent-1", "caller_gone") in done
    assert (CancelWindow("case-7", CLERK) in done) is (
        state in (S.CALLER_ON_HOLD, S.DIALING_WINDOW, S.BRIEFING_CLERK)
    )
    assert (EndConference(CONF) in done) is (state is S.CONFERENCE)


def test_given_the_caller_gone_after_the_agent_left_then_the_call_completed() -> None:
    decision = reconcile(
        transfer_in(S.AGENT_LEFT), snapshot({CLERK}, {CLERK}, window=CLERK), LATER, SETTINGS
    )
    assert decision.transfer.state is S.COMPLETED
    assert actions(decision) == [EndConference(CONF)]


def test_given_the_window_still_ringing_then_the_dial_timer_restarts_for_what_is_left() -> None:
    transfer = transfer_in(S.DIALING_WINDOW)
    decision = reconcile(
        transfer,
        snapshot({CALLER, AGENT, "PJSIP/ringing"}, window="PJSIP/ringing"),
        LATER,
        SETTINGS,
    )
    assert decision.transfer.state is S.DIALING_WINDOW
    assert actions(decision) == [StartTimer("case-7", Timer.DIAL, 15)]
    assert decision.transfer.timers == {Timer.DIAL}


def test_given_the_window_rang_past_its_time_then_it_is_cancelled_and_the_caller_returns() -> None:
    late = WEDNESDAY_10 + timedelta(seconds=60)
    decision = reconcile(
        transfer_in(S.CALLER_ON_HOLD),
        snapshot({CALLER, AGENT, "PJSIP/r"}, window="PJSIP/r"),
        late,
        SETTINGS,
    )
    assert decision.transfer.state is S.RETURNED_TO_AGENT
    assert actions(decision) == [
        CancelWindow("case-7", "PJSIP/r"),
        ReturnToAgent(CALLER, AGENT, "no_answer"),
    ]


@pytest.mark.parametrize(
    ("state", "reason"),
    [(S.REQUESTED, "controller_restarted"), (S.CALLER_ON_HOLD, "window_leg_lost")],
)
def test_given_no_window_leg_then_the_originate_is_not_replayed_and_the_caller_returns(
    state: WindowState, reason: str
) -> None:
    decision = reconcile(transfer_in(state), snapshot({CALLER, AGENT}), LATER, SETTINGS)
    assert decision.transfer.state is S.RETURNED_TO_AGENT
    assert actions(decision) == [ReturnToAgent(CALLER, AGENT, reason)]


def test_given_a_transfer_that_gave_up_with_a_window_leg_still_up_then_the_leg_is_cancelled() -> (
    None
):
    transfer = transfer_in(S.RETURNED_TO_AGENT)
    decision = reconcile(
        transfer, snapshot({CALLER, AGENT, CLERK}, window=CLERK, answered=True), LATER, SETTINGS
    )
    assert decision.transfer is transfer
    assert decision.effects == (CancelWindow("case-7", CLERK),)


def test_given_a_completed_transfer_with_channels_still_in_the_conference_then_it_is_ended() -> (
    None
):
    decision = reconcile(transfer_in(S.COMPLETED), snapshot({CLERK}, {CLERK}), LATER, SETTINGS)
    assert decision.effects == (EndConference(CONF),)


def test_given_a_finished_transfer_and_nothing_left_then_nothing_is_done() -> None:
    decision = reconcile(transfer_in(S.CALLER_GONE), snapshot(set()), LATER, SETTINGS)
    assert decision.effects == ()


def test_stored_timers_are_dropped_on_restart_since_they_died_with_the_controller() -> None:
    transfer = dataclasses.replace(transfer_in(S.CONFERENCE), timers=frozenset({Timer.BRIEFING}))
    everyone = {CALLER, AGENT, CLERK}
    decision = reconcile(
        transfer, snapshot(everyone, everyone, window=CLERK, answered=True), LATER, SETTINGS
    )
    assert decision.transfer.timers == frozenset()
