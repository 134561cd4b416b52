"""Connecting a caller to a district window: a table-driven machine, pure (time is passed in).

The agent asks; the caller hears music on hold; the window's phone is dialled; when the clerk
answers, a briefing on the case is played to the clerk; then caller, agent and clerk are joined in
a conference, and the agent drops out::

    requested -[hold_started]-> caller_on_hold -[window_ringing]-> dialing_window
    caller_on_hold | dialing_window -[window_answered]-> briefing_clerk
    briefing_clerk -[briefing_done | briefing_timer_expired]-> conference
    conference -[agent_leaves | agent_left | agent_hung_up]-> agent_left
    agent_left -[caller_* | clerk_* (left or hung up)]-> completed

Back to the agent (``returned_to_agent``): the window closed by its hours (decided at the request,
with its reopening time), closed, busy or congested, no answer within the dial timer, the clerk
hanging up during the briefing or the conference. The caller hanging up at any step before the
agent has left ends in ``caller_gone``: the window leg is cancelled, the agent released.

Two targets depend on data, not only on the table: an agent who hung up before the conference is
marked absent (the transfer goes on); then a "return to the agent" becomes ``returned_to_queue``
(the caller goes back to a queue with the case), and entering ``conference`` is followed at once by
``conference -[agent_left]-> agent_left``. A timer that is not running (cancelled, but its expiry
already on its way) is ignored without a transition. Terminal states accept the late events of
legs being torn down (a hang-up after the conference ended) as self-transitions without effects,
and a window answering after the transfer gave up is hung up. Anything else raises
InvalidTransition. Every transition is logged as ``state -[event]-> state``.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from dataclasses import dataclass
from datetime import datetime

from ivr.hours import is_open, next_opening
from transfers.case import CaseContext, Role, Step
from transfers.directory import Office
from transfers.effects import (
    CancelTimer,
    CancelWindow,
    DialWindow,
    Effect,
    EndConference,
    JoinConference,
    Member,
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
from transfers.window_events import (
    Key,
    SupervisorJoins,
    TimerExpired,
    WindowAnswered,
    WindowBusy,
    WindowEvent,
)

log = logging.getLogger("hotline.transfers")


class WindowState(enum.StrEnum):
    REQUESTED = "requested"
    CALLER_ON_HOLD = "caller_on_hold"
    DIALING_WINDOW = "dialing_window"
    BRIEFING_CLERK = "briefing_clerk"
    CONFERENCE = "conference"
    AGENT_LEFT = "agent_left"
    COMPLETED = "completed"
    RETURNED_TO_AGENT = "returned_to_agent"
    RETURNED_TO_QUEUE = "returned_to_queue"
    CALLER_GONE = "caller_gone"
    FAILED = "failed"


S, K = WindowState, Key
BEFORE_CONFERENCE = (S.REQUESTED, S.CALLER_ON_HOLD, S.DIALING_WINDOW, S.BRIEFING_CLERK)
WINDOW_LEG = frozenset({S.CALLER_ON_HOLD, S.DIALING_WINDOW, S.BRIEFING_CLERK})
"""States in which a window leg is being dialled or is up outside the conference."""
TERMINAL = frozenset(
    {S.COMPLETED, S.RETURNED_TO_AGENT, S.RETURNED_TO_QUEUE, S.CALLER_GONE, S.FAILED}
)
GAVE_UP = (S.RETURNED_TO_AGENT, S.RETURNED_TO_QUEUE, S.CALLER_GONE, S.FAILED)
DIALLING = (S.CALLER_ON_HOLD, S.DIALING_WINDOW)
CALL_OVER = (K.CALLER_LEFT, K.CALLER_HUNG_UP, K.CLERK_LEFT, K.CLERK_HUNG_UP)
"""After the agent has left, either side leaving ends the call between caller and clerk."""
WINDOW_FAILURES = (K.WINDOW_NO_ANSWER, K.WINDOW_BUSY, K.WINDOW_CLOSED, K.DIAL_TIMER_EXPIRED)
MEMBERSHIP = (
    K.CALLER_JOINED, K.AGENT_JOINED, K.CLERK_JOINED, K.SUPERVISOR_JOINED,
    K.SUPERVISOR_LEFT, K.SUPERVISOR_HUNG_UP, K.SUPERVISOR_JOINS,
)  # fmt: skip
LATE_LEG_EVENTS = (
    K.HOLD_STARTED, K.WINDOW_RINGING, K.WINDOW_NO_ANSWER, K.WINDOW_BUSY, K.WINDOW_CLOSED,
    K.BRIEFING_DONE, K.CALLER_JOINED, K.AGENT_JOINED, K.CLERK_JOINED, K.SUPERVISOR_JOINED,
    K.CALLER_LEFT, K.AGENT_LEFT, K.CLERK_LEFT, K.SUPERVISOR_LEFT,
    K.CALLER_HUNG_UP, K.AGENT_HUNG_UP, K.CLERK_HUNG_UP, K.SUPERVISOR_HUNG_UP,
)  # fmt: skip

TRANSITIONS: dict[tuple[WindowState, Key], WindowState] = {
    (S.REQUESTED, K.HOLD_STARTED): S.CALLER_ON_HOLD,
    (S.REQUESTED, K.WINDOW_CLOSED): S.RETURNED_TO_AGENT,
    (S.REQUESTED, K.HOLD_TIMER_EXPIRED): S.FAILED,
    (S.CALLER_ON_HOLD, K.WINDOW_RINGING): S.DIALING_WINDOW,
    (S.CALLER_ON_HOLD, K.WINDOW_ANSWERED): S.BRIEFING_CLERK,
    (S.DIALING_WINDOW, K.WINDOW_ANSWERED): S.BRIEFING_CLERK,
    **{(s, k): S.RETURNED_TO_AGENT for s in DIALLING for k in WINDOW_FAILURES},
    (S.BRIEFING_CLERK, K.BRIEFING_DONE): S.CONFERENCE,
    (S.BRIEFING_CLERK, K.BRIEFING_TIMER_EXPIRED): S.CONFERENCE,
    (S.BRIEFING_CLERK, K.CLERK_HUNG_UP): S.RETURNED_TO_AGENT,
    # The agent hanging up before the conference does not stop the transfer.
    **{(s, K.AGENT_HUNG_UP): s for s in BEFORE_CONFERENCE},
    **{(s, K.CALLER_HUNG_UP): S.CALLER_GONE for s in (*BEFORE_CONFERENCE, S.CONFERENCE)},
    (S.CONFERENCE, K.CALLER_LEFT): S.CALLER_GONE,
    **{(S.CONFERENCE, k): S.CONFERENCE for k in MEMBERSHIP},
    (S.CONFERENCE, K.AGENT_LEAVES): S.AGENT_LEFT,
    (S.CONFERENCE, K.AGENT_LEFT): S.AGENT_LEFT,
    (S.CONFERENCE, K.AGENT_HUNG_UP): S.AGENT_LEFT,
    (S.CONFERENCE, K.CLERK_LEFT): S.RETURNED_TO_AGENT,
    (S.CONFERENCE, K.CLERK_HUNG_UP): S.RETURNED_TO_AGENT,
    **{(S.AGENT_LEFT, k): S.AGENT_LEFT for k in (*MEMBERSHIP, K.AGENT_LEFT, K.AGENT_HUNG_UP)},
    **{(S.AGENT_LEFT, k): S.COMPLETED for k in CALL_OVER},
    **{(s, k): s for s in TERMINAL for k in LATE_LEG_EVENTS},
    # A window that answers after the transfer gave up is hung up (see _effects).
    **{(s, K.WINDOW_ANSWERED): s for s in GAVE_UP},
}  # fmt: skip

REASONS = {
    K.WINDOW_NO_ANSWER: "no_answer",
    K.DIAL_TIMER_EXPIRED: "no_answer",
    K.WINDOW_BUSY: "busy",
    K.WINDOW_CLOSED: "window_closed",
    K.CLERK_HUNG_UP: "clerk_hung_up",
    K.CLERK_LEFT: "clerk_left",
    K.HOLD_TIMER_EXPIRED: "hold_not_started",
    K.CALLER_HUNG_UP: "caller_hung_up",
    K.CALLER_LEFT: "caller_left",
}


@dataclass(frozen=True)
class WindowSettings:
    dial_timeout_s: float = 30.0
    hold_confirm_s: float = 10.0
    briefing_max_s: float = 45.0
    return_queue: str = "general"
    """Where the caller goes back with the case when the agent is gone."""


@dataclass(frozen=True)
class WindowTransfer:
    case: CaseContext
    office: Office
    caller: str
    agent: str
    agent_id: str
    state: WindowState = S.REQUESTED
    clerk: str | None = None
    agent_present: bool = True
    timers: frozenset[Timer] = frozenset()
    dialled_at: datetime | None = None
    reason: str = ""
    steps: tuple[Step, ...] = ()

    @property
    def conference_id(self) -> str:
        return f"case-{self.case.case_id}"

    @property
    def finished(self) -> bool:
        return self.state in TERMINAL


@dataclass(frozen=True)
class Decision:
    transfer: WindowTransfer
    effects: tuple[Effect, ...]


class InvalidTransition(Exception):
    def __init__(self, case_id: str, state: WindowState, key: Key) -> None:
        super().__init__(f"transfer {case_id}: no transition from {state} on {key}")
        self.case_id, self.state, self.key = case_id, state, key


def request_window(
    case: CaseContext, office: Office, *, caller: str, agent: str, agent_id: str,
    now: datetime, settings: WindowSettings, hours_at: datetime | None = None,
) -> Decision:  # fmt: skip
    """The agent asks to connect the caller to ``office``. A window closed by its hours sends
    the caller back at once, with the time it reopens. ``hours_at``: the time the hours are
    judged by, when it is not ``now`` (tests and rehearsals)."""
    transfer = WindowTransfer(case, office, caller, agent, agent_id)
    start = Step(now, "", "agent_requested", S.REQUESTED)
    log.info(
        "transfer %s: -[agent_requested]-> %s (%s)", case.case_id, S.REQUESTED, office.endpoint
    )
    transfer = dataclasses.replace(transfer, steps=(start,))
    opening: list[Effect] = [Record(case.case_id, start), _publish(transfer, now)]
    hours_at = hours_at or now
    if not is_open(office.hours, hours_at):
        reopens = next_opening(office.hours, hours_at)
        decision = _apply(transfer, K.WINDOW_CLOSED, now, settings)
        returned = [
            dataclasses.replace(e, reopens_at=reopens) if isinstance(e, ReturnToAgent) else e
            for e in decision.effects
        ]
        return Decision(decision.transfer, (*opening, *returned))
    transfer = dataclasses.replace(transfer, timers=frozenset({Timer.HOLD}))
    hold = (PlayHold(caller), StartTimer(case.case_id, Timer.HOLD, settings.hold_confirm_s))
    return Decision(transfer, (*opening, *hold))


def handle(transfer: WindowTransfer, event: WindowEvent, settings: WindowSettings) -> Decision:
    """The transfer after ``event``, and what to do; InvalidTransition if the table has no row."""
    if isinstance(event, TimerExpired) and event.timer not in transfer.timers:
        log.info(
            "transfer %s: %s timer no longer running, ignored", transfer.case.case_id, event.timer
        )
        return Decision(transfer, ())
    observed = _observe(transfer, event)
    noted = observed.agent_present != transfer.agent_present
    decision = _apply(observed, event.key, event.at, settings, event, noted=noted)
    if decision.transfer.state is S.CONFERENCE and not decision.transfer.agent_present:
        chained = _apply(decision.transfer, K.AGENT_LEFT, event.at, settings)
        return Decision(chained.transfer, (*decision.effects, *chained.effects))
    return decision


def next_state(transfer: WindowTransfer, key: Key) -> WindowState:
    try:
        new = TRANSITIONS[(transfer.state, key)]
    except KeyError:
        raise InvalidTransition(transfer.case.case_id, transfer.state, key) from None
    # Back to the agent becomes back to the queue when the agent is gone, but only on the way
    # in: a late leg event on a settled transfer (the window leg we hung up) moves nothing.
    if new is S.RETURNED_TO_AGENT and transfer.state not in TERMINAL and not transfer.agent_present:
        return S.RETURNED_TO_QUEUE
    return new


def _observe(transfer: WindowTransfer, event: WindowEvent) -> WindowTransfer:
    """Facts the event brings besides the transition: the clerk's channel, the agent gone."""
    if isinstance(event, WindowAnswered) and transfer.state in WINDOW_LEG | {S.REQUESTED}:
        return dataclasses.replace(transfer, clerk=event.channel)
    if event.key is K.AGENT_HUNG_UP and transfer.state in BEFORE_CONFERENCE:
        return dataclasses.replace(transfer, agent_present=False)
    if isinstance(event, TimerExpired):
        return dataclasses.replace(transfer, timers=transfer.timers - {event.timer})
    return transfer


def _apply(
    transfer: WindowTransfer, key: Key, now: datetime, settings: WindowSettings,
    event: WindowEvent | None = None, *, noted: bool = False,
) -> Decision:  # fmt: skip
    """``noted``: the event changed a fact (the agent gone) worth a step even without a move."""
    old = transfer.state
    new = next_state(transfer, key)
    log.info("transfer %s: %s -[%s]-> %s", transfer.case.case_id, old, key, new)
    reason = _reason(key, event) if new in TERMINAL and new is not old else transfer.reason
    moved = dataclasses.replace(transfer, state=new, reason=reason)
    effects = _effects(moved, old, key, now=now, settings=settings, event=event)
    if new is old and not effects and not noted:
        return Decision(moved, ())
    step = Step(now, old, key, new)
    moved = dataclasses.replace(moved, steps=(*moved.steps, step))
    moved = _track_timers(moved, effects)
    recorded: list[Effect] = [Record(transfer.case.case_id, step)]
    if new is not old:
        recorded.append(_publish(moved, now))
    return Decision(moved, (*effects, *recorded))


def _reason(key: Key, event: WindowEvent | None) -> str:
    if isinstance(event, WindowBusy) and event.congested:
        return "congested"
    return REASONS.get(key, key.value)


def _effects(
    t: WindowTransfer, old: WindowState, key: Key, *, now: datetime, settings: WindowSettings,
    event: WindowEvent | None,
) -> list[Effect]:  # fmt: skip
    new, case_id = t.state, t.case.case_id
    if new is old:
        return _self_effects(t, key, now, event)
    if new is S.DIALING_WINDOW:
        return []  # the dial timer runs on
    effects: list[Effect] = [CancelTimer(case_id, timer) for timer in sorted(t.timers)]
    if new is S.CALLER_ON_HOLD:
        effects += [
            DialWindow(case_id, t.office.endpoint, settings.dial_timeout_s),
            StartTimer(case_id, Timer.DIAL, settings.dial_timeout_s),
        ]
    elif new is S.BRIEFING_CLERK:
        assert t.clerk is not None  # set by _observe
        effects += [
            PlayBriefing(t.clerk, briefing_text(t)),
            StartTimer(case_id, Timer.BRIEFING, settings.briefing_max_s),
        ]
    elif new is S.CONFERENCE:
        effects.append(JoinConference(t.conference_id, _members(t)))
    elif new is S.AGENT_LEFT:
        if key is K.AGENT_LEAVES:
            effects.append(RemoveFromConference(t.conference_id, t.agent))
        if old is S.CONFERENCE and t.agent_present:
            effects.append(ReleaseAgent(t.agent_id, "handed_over"))
    elif new is S.COMPLETED:
        effects.append(EndConference(t.conference_id))
    else:
        effects += _ending_effects(t, old, settings)
    return effects


def _ending_effects(t: WindowTransfer, old: WindowState, settings: WindowSettings) -> list[Effect]:
    """Leaving for returned_to_agent/queue, caller_gone or failed: nobody left waiting."""
    effects: list[Effect] = []
    if old in WINDOW_LEG:
        effects.append(CancelWindow(t.case.case_id, t.clerk))
    if t.state is S.CALLER_GONE:
        if old is S.CONFERENCE:
            effects.append(EndConference(t.conference_id))
        if t.agent_present:
            effects.append(ReleaseAgent(t.agent_id, "caller_gone"))
    elif t.agent_present:
        effects.append(ReturnToAgent(t.caller, t.agent, t.reason))
    else:
        effects.append(ReturnToQueue(t.caller, settings.return_queue, t.reason, t.case))
    return effects


def _self_effects(
    t: WindowTransfer, key: Key, now: datetime, event: WindowEvent | None
) -> list[Effect]:
    if isinstance(event, SupervisorJoins):
        member = Member(event.channel, Role.SUPERVISOR, event.mode)
        joined = SupervisorJoined(now, t.case.case_id, t.conference_id, event.mode.value)
        return [JoinConference(t.conference_id, (member,)), Publish(joined)]
    if isinstance(event, WindowAnswered) and t.state in GAVE_UP:
        return [CancelWindow(t.case.case_id, event.channel)]
    return []


def _members(t: WindowTransfer) -> tuple[Member, ...]:
    assert t.clerk is not None
    members = [Member(t.caller, Role.CALLER), Member(t.clerk, Role.CLERK)]
    if t.agent_present:
        members.append(Member(t.agent, Role.AGENT))
    return tuple(members)


def _track_timers(t: WindowTransfer, effects: list[Effect]) -> WindowTransfer:
    timers = set(t.timers)
    for effect in effects:
        if isinstance(effect, StartTimer):
            timers.add(effect.timer)
        elif isinstance(effect, CancelTimer):
            timers.discard(effect.timer)
    dialled = any(isinstance(effect, DialWindow) for effect in effects)
    at = t.steps[-1].at if dialled and t.steps else t.dialled_at
    return dataclasses.replace(t, timers=frozenset(timers), dialled_at=at)


def _publish(t: WindowTransfer, now: datetime) -> Publish:
    return Publish(
        TransferChanged(now, t.case.case_id, "window", t.state.value, t.reason, t.office.endpoint)
    )


def briefing_text(t: WindowTransfer) -> str:
    """What the clerk hears on answering, before the caller joins."""
    return (
        f"12333热线转接，{t.office.name}。来电事由：{t.case.summary}。来电人正在等候，简报后接通。"
    )
