"""The window-connection machine: every row of its table, every hang-up at every step, timers."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

import pytest

from tests.unit.transfers.conftest import DIRECTORY, at
from transfers.case import CaseContext, Role
from transfers.directory import OfficeKind
from transfers.effects import (
    CancelTimer,
    CancelWindow,
    DialWindow,
    EndConference,
    JoinConference,
    Member,
    MemberMode,
    PlayBriefing,
    PlayHold,
    Publish,
    Record,
    ReleaseAgent,
    RemoveFromConference,
    ReturnToAgent,
    ReturnToQueue,
    StartTimer,
    Timer,
)
from transfers.events import SupervisorJoined, TransferChanged
from transfers.machine import (
    TERMINAL,
    TRANSITIONS,
    Decision,
    InvalidTransition,
    WindowSettings,
    WindowState,
    WindowTransfer,
    handle,
    request_window,
)
from transfers.window_events import (
    AgentLeaves,
    BriefingDone,
    HoldStarted,
    HungUp,
    Key,
    MemberChanged,
    SupervisorJoins,
    TimerExpired,
    WindowAnswered,
    WindowBusy,
    WindowClosed,
    WindowEvent,
    WindowNoAnswer,
    WindowRinging,
)

S = WindowState
OFFICE = DIRECTORY.office("changning", OfficeKind.SOCIAL_INSURANCE_WINDOW)
CASE = CaseContext(
    "case-7", "call-7", "养老金领取资格认证", topic="pension", district_id="changning"
)
CALLER, AGENT, CLERK, SUPERVISOR = (
    "PJSIP/trunk-1",
    "PJSIP/agent-1",
    "PJSIP/win-changning-si-1",
    "PJSIP/sup-1",
)
SETTINGS = WindowSettings(
    dial_timeout_s=25, hold_confirm_s=8, briefing_max_s=40, return_queue="general"
)
WEDNESDAY_10 = at(2026, 11, 25, 10, 0)
WITH_CLERK = {S.BRIEFING_CLERK, S.CONFERENCE, S.AGENT_LEFT, *TERMINAL}
TIMERS = {
    S.REQUESTED: frozenset({Timer.HOLD}),
    S.CALLER_ON_HOLD: frozenset({Timer.DIAL}),
    S.DIALING_WINDOW: frozenset({Timer.DIAL}),
    S.BRIEFING_CLERK: frozenset({Timer.BRIEFING}),
}


def transfer_in(state: WindowState, *, agent_present: bool = True) -> WindowTransfer:
    return WindowTransfer(
        CASE,
        OFFICE,
        CALLER,
        AGENT,
        "agent-1",
        state=state,
        clerk=CLERK if state in WITH_CLERK else None,
        agent_present=agent_present,
        timers=TIMERS.get(state, frozenset()),
        dialled_at=WEDNESDAY_10,
    )


ROLE_OF = {
    "caller": Role.CALLER,
    "agent": Role.AGENT,
    "clerk": Role.CLERK,
    "supervisor": Role.SUPERVISOR,
}


def event_for(key: Key, when: object = WEDNESDAY_10) -> WindowEvent:
    now = WEDNESDAY_10
    simple = {
        Key.HOLD_STARTED: HoldStarted(now),
        Key.WINDOW_RINGING: WindowRinging(now),
        Key.WINDOW_ANSWERED: WindowAnswered(now, CLERK),
        Key.WINDOW_NO_ANSWER: WindowNoAnswer(now),
        Key.WINDOW_BUSY: WindowBusy(now),
        Key.WINDOW_CLOSED: WindowClosed(now),
        Key.BRIEFING_DONE: BriefingDone(now),
        Key.AGENT_LEAVES: AgentLeaves(now),
        Key.SUPERVISOR_JOINS: SupervisorJoins(now, SUPERVISOR),
        Key.HOLD_TIMER_EXPIRED: TimerExpired(now, Timer.HOLD),
        Key.DIAL_TIMER_EXPIRED: TimerExpired(now, Timer.DIAL),
        Key.BRIEFING_TIMER_EXPIRED: TimerExpired(now, Timer.BRIEFING),
    }
    if key in simple:
        return simple[key]
    role, _, what = key.value.partition("_")
    if what == "hung_up":
        return HungUp(now, ROLE_OF[role])
    return MemberChanged(now, ROLE_OF[role], joined=what == "joined", channel=f"PJSIP/{role}")


def run(transfer: WindowTransfer, *events: WindowEvent) -> Decision:
    decision = Decision(transfer, ())
    effects: list[object] = []
    for event in events:
        decision = handle(decision.transfer, event, SETTINGS)
        effects += decision.effects
    return Decision(decision.transfer, tuple(effects))  # type: ignore[arg-type]


def actions(decision: Decision) -> list[object]:
    """The effects without the bookkeeping (Record, Publish)."""
    return [e for e in decision.effects if not isinstance(e, Record | Publish)]


def requested(now: object = WEDNESDAY_10) -> Decision:
    return request_window(
        CASE,
        OFFICE,
        caller=CALLER,
        agent=AGENT,
        agent_id="agent-1",
        now=now,
        settings=SETTINGS,  # type: ignore[arg-type]
    )


# --- the table, row by row ------------------------------------------------------------------


@pytest.mark.parametrize(("state", "key"), sorted(TRANSITIONS), ids=str)
def test_every_row_of_the_table_leads_where_it_says(state: WindowState, key: Key) -> None:
    decision = handle(transfer_in(state), event_for(key), SETTINGS)
    assert decision.transfer.state is TRANSITIONS[(state, key)]


UNLISTED = [
    (state, key)
    for state in S
    for key in Key
    if key is not Key.RECONCILED and (state, key) not in TRANSITIONS
]


@pytest.mark.parametrize(("state", "key"), UNLISTED, ids=str)
def test_every_pair_not_in_the_table_raises(state: WindowState, key: Key) -> None:
    transfer = transfer_in(state)
    if key.value.endswith("timer_expired"):
        transfer = dataclasses.replace(transfer, timers=frozenset(Timer))
    with pytest.raises(InvalidTransition) as caught:
        handle(transfer, event_for(key), SETTINGS)
    assert (caught.value.state, caught.value.key) == (state, key)


def test_the_table_never_leaves_a_terminal_state() -> None:
    for (state, _), target in TRANSITIONS.items():
        if state in TERMINAL:
            assert target is state


# --- the whole way through ------------------------------------------------------------------


def test_given_an_open_window_when_all_goes_well_then_caller_and_clerk_are_left_talking() -> None:
    start = requested()
    assert actions(start) == [PlayHold(CALLER), StartTimer("case-7", Timer.HOLD, 8)]
    decision = run(
        start.transfer,
        HoldStarted(WEDNESDAY_10),
        WindowRinging(WEDNESDAY_10 + timedelta(seconds=1)),
        WindowAnswered(WEDNESDAY_10 + timedelta(seconds=9), CLERK),
        BriefingDone(WEDNESDAY_10 + timedelta(seconds=30)),
        AgentLeaves(WEDNESDAY_10 + timedelta(seconds=60)),
        MemberChanged(WEDNESDAY_10 + timedelta(seconds=61), Role.AGENT, joined=False),
        HungUp(WEDNESDAY_10 + timedelta(seconds=300), Role.CLERK),
    )
    assert decision.transfer.state is S.COMPLETED
    conference = "case-case-7"
    assert actions(decision) == [
        CancelTimer("case-7", Timer.HOLD),
        DialWindow("case-7", "win-changning-si", 25),
        StartTimer("case-7", Timer.DIAL, 25),
        CancelTimer("case-7", Timer.DIAL),
        PlayBriefing(
            CLERK,
            "12333热线转接，长宁区社会保险事业管理中心。"
            "来电事由：养老金领取资格认证。来电人正在等候，简报后接通。",
        ),
        StartTimer("case-7", Timer.BRIEFING, 40),
        CancelTimer("case-7", Timer.BRIEFING),
        JoinConference(
            conference,
            (Member(CALLER, Role.CALLER), Member(CLERK, Role.CLERK), Member(AGENT, Role.AGENT)),
        ),
        RemoveFromConference(conference, AGENT),
        ReleaseAgent("agent-1", "handed_over"),
        EndConference(conference),
    ]
    assert [str(step) for step in decision.transfer.steps] == [
        " -[agent_requested]-> requested",
        "requested -[hold_started]-> caller_on_hold",
        "caller_on_hold -[window_ringing]-> dialing_window",
        "dialing_window -[window_answered]-> briefing_clerk",
        "briefing_clerk -[briefing_done]-> conference",
        "conference -[agent_leaves]-> agent_left",
        "agent_left -[clerk_hung_up]-> completed",
    ]
    assert decision.transfer.steps[3].at == WEDNESDAY_10 + timedelta(seconds=9)
    assert decision.transfer.timers == frozenset()


def test_every_change_of_state_is_recorded_and_published() -> None:
    decision = run(requested().transfer, HoldStarted(WEDNESDAY_10), WindowNoAnswer(WEDNESDAY_10))
    records = [e.step.to_state for e in decision.effects if isinstance(e, Record)]
    published = [e.event for e in decision.effects if isinstance(e, Publish)]
    assert records == [S.CALLER_ON_HOLD, S.RETURNED_TO_AGENT]
    assert published == [
        TransferChanged(WEDNESDAY_10, "case-7", "window", "caller_on_hold", "", "win-changning-si"),
        TransferChanged(
            WEDNESDAY_10, "case-7", "window", "returned_to_agent", "no_answer", "win-changning-si"
        ),
    ]


def test_every_transition_is_logged_as_state_event_state(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="hotline.transfers"):
        run(requested().transfer, HoldStarted(WEDNESDAY_10))
    assert "transfer case-7: requested -[hold_started]-> caller_on_hold" in caplog.messages


# --- the window closed, busy, not answering ---------------------------------------------------


def test_given_a_saturday_when_the_agent_asks_then_the_caller_returns_with_the_reopening() -> None:
    decision = requested(at(2026, 11, 28, 10, 0))
    assert decision.transfer.state is S.RETURNED_TO_AGENT
    assert actions(decision) == [
        ReturnToAgent(CALLER, AGENT, "window_closed", reopens_at=at(2026, 11, 30, 9, 0))
    ]


def test_given_national_day_then_the_window_is_closed_until_the_next_working_day() -> None:
    decision = requested(at(2026, 10, 2, 10, 0))
    returned = actions(decision)[0]
    assert isinstance(returned, ReturnToAgent)
    assert returned.reopens_at == at(2026, 10, 8, 9, 0)


def test_given_a_make_up_working_sunday_then_the_window_is_dialled() -> None:
    decision = requested(at(2026, 1, 4, 10, 0))  # 调休: New Year
    assert decision.transfer.state is S.REQUESTED
    assert PlayHold(CALLER) in decision.effects


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        (WindowNoAnswer(WEDNESDAY_10), "no_answer"),
        (WindowBusy(WEDNESDAY_10), "busy"),
        (WindowBusy(WEDNESDAY_10, congested=True), "congested"),
        (WindowClosed(WEDNESDAY_10), "window_closed"),
        (TimerExpired(WEDNESDAY_10, Timer.DIAL), "no_answer"),
    ],
)
@pytest.mark.parametrize("state", [S.CALLER_ON_HOLD, S.DIALING_WINDOW])
def test_given_the_window_does_not_take_the_call_then_the_caller_returns_to_the_agent(
    state: WindowState, event: WindowEvent, reason: str
) -> None:
    decision = handle(transfer_in(state), event, SETTINGS)
    assert decision.transfer.state is S.RETURNED_TO_AGENT
    assert decision.transfer.reason == reason
    assert CancelWindow("case-7") in decision.effects
    assert ReturnToAgent(CALLER, AGENT, reason) in decision.effects
    timer_expired = isinstance(event, TimerExpired)
    assert (CancelTimer("case-7", Timer.DIAL) in decision.effects) is not timer_expired


def test_given_hold_never_confirmed_then_the_transfer_fails_back_to_the_agent() -> None:
    decision = handle(requested().transfer, TimerExpired(WEDNESDAY_10, Timer.HOLD), SETTINGS)
    assert decision.transfer.state is S.FAILED
    assert actions(decision) == [ReturnToAgent(CALLER, AGENT, "hold_not_started")]


def test_given_a_timer_no_longer_running_then_its_expiry_is_ignored() -> None:
    transfer = transfer_in(S.CONFERENCE)
    assert handle(transfer, TimerExpired(WEDNESDAY_10, Timer.DIAL), SETTINGS) == Decision(
        transfer, ()
    )


def test_given_the_briefing_runs_long_then_the_caller_joins_anyway() -> None:
    decision = handle(
        transfer_in(S.BRIEFING_CLERK), TimerExpired(WEDNESDAY_10, Timer.BRIEFING), SETTINGS
    )
    assert decision.transfer.state is S.CONFERENCE
    assert CancelTimer("case-7", Timer.BRIEFING) not in decision.effects
    assert any(isinstance(e, JoinConference) for e in decision.effects)


def test_given_the_window_answers_after_the_transfer_gave_up_then_its_leg_is_hung_up() -> None:
    decision = handle(
        transfer_in(S.RETURNED_TO_AGENT), WindowAnswered(WEDNESDAY_10, "PJSIP/late"), SETTINGS
    )
    assert decision.transfer.state is S.RETURNED_TO_AGENT
    assert actions(decision) == [CancelWindow("case-7", "PJSIP/late")]


# --- hang-ups at every step -----------------------------------------------------------------

CALLER_HANGS_UP = [
    (
        S.REQUESTED,
        S.CALLER_GONE,
        [CancelTimer("case-7", Timer.HOLD), ReleaseAgent("agent-1", "caller_gone")],
    ),
    (
        S.CALLER_ON_HOLD,
        S.CALLER_GONE,
        [
            CancelTimer("case-7", Timer.DIAL),
            CancelWindow("case-7"),
            ReleaseAgent("agent-1", "caller_gone"),
        ],
    ),
    (
        S.DIALING_WINDOW,
        S.CALLER_GONE,
        [
            CancelTimer("case-7", Timer.DIAL),
            CancelWindow("case-7"),
            ReleaseAgent("agent-1", "caller_gone"),
        ],
    ),
    (
        S.BRIEFING_CLERK,
        S.CALLER_GONE,
        [
            CancelTimer("case-7", Timer.BRIEFING),
            CancelWindow("case-7", CLERK),
            ReleaseAgent("agent-1", "caller_gone"),
        ],
    ),
    (
        S.CONFERENCE,
        S.CALLER_GONE,
        [EndConference("case-case-7"), ReleaseAgent("agent-1", "caller_gone")],
    ),
    (S.AGENT_LEFT, S.COMPLETED, [EndConference("case-case-7")]),
]


@pytest.mark.parametrize(("state", "target", "expected"), CALLER_HANGS_UP, ids=str)
def test_given_the_caller_hangs_up_at_any_step_then_the_window_leg_is_cancelled_agent_freed(
    state: WindowState, target: WindowState, expected: list[object]
) -> None:
    decision = handle(transfer_in(state), HungUp(WEDNESDAY_10, Role.CALLER), SETTINGS)
    assert decision.transfer.state is target
    assert actions(decision) == expected


@pytest.mark.parametrize(
    "state", [S.REQUESTED, S.CALLER_ON_HOLD, S.DIALING_WINDOW, S.BRIEFING_CLERK]
)
def test_given_the_agent_hangs_up_before_the_conference_then_the_transfer_goes_on(
    state: WindowState,
) -> None:
    decision = handle(transfer_in(state), HungUp(WEDNESDAY_10, Role.AGENT), SETTINGS)
    assert decision.transfer.state is state
    assert not decision.transfer.agent_present
    assert actions(decision) == []
    assert str(decision.transfer.steps[-1]) == f"{state} -[agent_hung_up]-> {state}"


def test_given_the_agent_hung_up_when_the_briefing_ends_then_caller_and_clerk_join_alone() -> None:
    transfer = transfer_in(S.BRIEFING_CLERK, agent_present=False)
    decision = handle(transfer, BriefingDone(WEDNESDAY_10), SETTINGS)
    assert decision.transfer.state is S.AGENT_LEFT
    assert (
        JoinConference("case-case-7", (Member(CALLER, Role.CALLER), Member(CLERK, Role.CLERK)))
        in decision.effects
    )
    assert not any(isinstance(e, ReleaseAgent) for e in decision.effects)
    assert [str(s) for s in decision.transfer.steps[-2:]] == [
        "briefing_clerk -[briefing_done]-> conference",
        "conference -[agent_left]-> agent_left",
    ]


def test_given_the_agent_hung_up_when_the_window_does_not_answer_then_the_caller_is_queued() -> (
    None
):
    transfer = handle(
        transfer_in(S.DIALING_WINDOW), HungUp(WEDNESDAY_10, Role.AGENT), SETTINGS
    ).transfer
    decision = handle(transfer, WindowNoAnswer(WEDNESDAY_10), SETTINGS)
    assert decision.transfer.state is S.RETURNED_TO_QUEUE
    assert ReturnToQueue(CALLER, "general", "no_answer", CASE) in decision.effects


@pytest.mark.parametrize(
    "event",
    [HungUp(WEDNESDAY_10, Role.CLERK), MemberChanged(WEDNESDAY_10, Role.CLERK, joined=False)],
)
def test_given_the_clerk_leaves_the_conference_first_then_the_caller_returns_to_the_agent(
    event: WindowEvent,
) -> None:
    decision = handle(transfer_in(S.CONFERENCE), event, SETTINGS)
    assert decision.transfer.state is S.RETURNED_TO_AGENT
    assert actions(decision) == [ReturnToAgent(CALLER, AGENT, decision.transfer.reason)]


def test_given_the_clerk_hangs_up_during_the_briefing_then_the_caller_returns_to_the_agent() -> (
    None
):
    decision = handle(transfer_in(S.BRIEFING_CLERK), HungUp(WEDNESDAY_10, Role.CLERK), SETTINGS)
    assert decision.transfer.state is S.RETURNED_TO_AGENT
    assert actions(decision) == [
        CancelTimer("case-7", Timer.BRIEFING),
        CancelWindow("case-7", CLERK),
        ReturnToAgent(CALLER, AGENT, "clerk_hung_up"),
    ]


@pytest.mark.parametrize(
    "event",
    [HungUp(WEDNESDAY_10, Role.AGENT), MemberChanged(WEDNESDAY_10, Role.AGENT, joined=False)],
)
def test_given_the_agent_drops_out_of_the_conference_on_their_own_then_the_agent_is_released(
    event: WindowEvent,
) -> None:
    decision = handle(transfer_in(S.CONFERENCE), event, SETTINGS)
    assert decision.transfer.state is S.AGENT_LEFT
    assert actions(decision) == [ReleaseAgent("agent-1", "handed_over")]


@pytest.mark.parametrize("role", list(Role))
def test_given_a_finished_transfer_then_late_hang_ups_change_nothing(role: Role) -> None:
    for state in TERMINAL:
        transfer = transfer_in(state)
        assert handle(transfer, HungUp(WEDNESDAY_10, role), SETTINGS) == Decision(transfer, ())


# --- supervisors ----------------------------------------------------------------------------


@pytest.mark.parametrize("state", [S.CONFERENCE, S.AGENT_LEFT])
def test_a_supervisor_can_join_any_conference_listening(state: WindowState) -> None:
    decision = handle(transfer_in(state), SupervisorJoins(WEDNESDAY_10, SUPERVISOR), SETTINGS)
    assert decision.transfer.state is state
    assert decision.effects[:2] == (
        JoinConference("case-case-7", (Member(SUPERVISOR, Role.SUPERVISOR, MemberMode.LISTEN),)),
        Publish(SupervisorJoined(WEDNESDAY_10, "case-7", "case-case-7", "listen")),
    )


def test_a_supervisor_cannot_join_before_there_is_a_conference() -> None:
    with pytest.raises(
        InvalidTransition, match="no transition from dialing_window on supervisor_joins"
    ):
        handle(transfer_in(S.DIALING_WINDOW), SupervisorJoins(WEDNESDAY_10, SUPERVISOR), SETTINGS)


def test_a_supervisor_leaving_changes_nothing_for_the_caller() -> None:
    decision = handle(transfer_in(S.AGENT_LEFT), HungUp(WEDNESDAY_10, Role.SUPERVISOR), SETTINGS)
    assert decision.transfer.state is S.AGENT_LEFT
    assert decision.effects == ()


@pytest.mark.parametrize("agent_present", [True, False])
def test_given_a_transfer_back_with_the_agent_when_the_window_leg_hangs_up_late_then_it_stays(
    agent_present: bool,
) -> None:
    """Settled after a restart with the agent's presence unknown: the window leg the desk hung
    up reports late, and must not send the caller on to the queue."""
    transfer = transfer_in(S.RETURNED_TO_AGENT, agent_present=agent_present)
    decision = handle(transfer, HungUp(WEDNESDAY_10, Role.CLERK), SETTINGS)
    assert decision.transfer.state is S.RETURNED_TO_AGENT
    assert actions(decision) == []
