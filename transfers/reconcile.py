"""After a controller restart: settle a window connection from what Asterisk reports.

Asterisk is the source of truth. The controller stored the transfer's state; while it was away,
events were missed and timers were lost. ``reconcile(transfer, snapshot, now, settings)`` compares
the two and returns the transfer ``state -[reconciled]-> state`` with the effects that settle it,
so that nobody waits in silence. An Originate is never replayed: a window leg that is gone is not
dialled again, the caller goes back instead.

=====================================  ==========================================================
what Asterisk reports                   settled as
=====================================  ==========================================================
caller gone, agent had left             completed: the conference is ended
caller gone, before that                caller_gone: window leg cancelled, conference ended,
                                        agent released
caller and clerk in the conference      conference (the agent is there) or agent_left
clerk answered, caller not joined       everyone joined now (the briefing is skipped: the caller
(restart mid-briefing)                  has waited long enough), conference or agent_left
window still ringing                    dialing_window, the dial timer restarted for what is
                                        left of it; none left: cancelled, back to the agent
no window leg, agent left before        returned_to_queue: the caller, alone in the bridge,
                                        goes back to a queue with the case
no window leg, agent still on the call  returned_to_agent
no window leg, agent gone               returned_to_queue
=====================================  ==========================================================

A finished transfer only has its leftovers cleaned: a window leg still up is cancelled, a
conference still holding channels after completed or caller_gone is ended.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime

from transfers.case import Role, Step
from transfers.effects import (
    CancelWindow,
    Effect,
    EndConference,
    JoinConference,
    Member,
    Publish,
    Record,
    ReleaseAgent,
    ReturnToAgent,
    ReturnToQueue,
    StartTimer,
    Timer,
)
from transfers.events import TransferChanged
from transfers.machine import (
    GAVE_UP,
    TERMINAL,
    Decision,
    WindowSettings,
    WindowState,
    WindowTransfer,
)
from transfers.window_events import Key

log = logging.getLogger("hotline.transfers")
S = WindowState


@dataclass(frozen=True)
class AsteriskSnapshot:
    """What Asterisk reports for one case (CoreShowChannels, ConfbridgeList)."""

    alive: frozenset[str]
    """Channels of the case that exist."""
    in_conference: frozenset[str]
    """Channels in the case's ConfBridge."""
    window_channel: str | None = None
    """The window leg, found by the case's channel variable (it may not be known to the
    transfer yet: the controller went away while it rang)."""
    window_answered: bool = False


@dataclass(frozen=True)
class _Facts:
    caller: bool
    agent: bool
    clerk: str | None
    clerk_up: bool
    clerk_ringing: bool
    caller_joined: bool
    clerk_joined: bool
    agent_joined: bool


def reconcile(
    transfer: WindowTransfer, snapshot: AsteriskSnapshot, now: datetime, settings: WindowSettings
) -> Decision:
    facts = _facts(transfer, snapshot)
    if transfer.state in TERMINAL:
        return Decision(transfer, tuple(_leftovers(transfer, snapshot, facts)))
    target, reason, effects = _settle(transfer, facts, now, settings)
    return _move(transfer, target, reason, effects, now)


def _facts(t: WindowTransfer, snap: AsteriskSnapshot) -> _Facts:
    clerk = snap.window_channel or t.clerk
    clerk_alive = clerk is not None and clerk in snap.alive
    clerk_up = clerk_alive and (snap.window_answered or clerk in snap.in_conference)
    return _Facts(
        caller=t.caller in snap.alive,
        agent=t.agent_present and t.agent in snap.alive,
        clerk=clerk,
        clerk_up=clerk_up,
        clerk_ringing=clerk_alive and not clerk_up,
        caller_joined=t.caller in snap.in_conference,
        clerk_joined=clerk is not None and clerk in snap.in_conference,
        agent_joined=t.agent in snap.in_conference,
    )


Settled = tuple[WindowState, str, list[Effect]]


def _settle(t: WindowTransfer, f: _Facts, now: datetime, settings: WindowSettings) -> Settled:
    if not f.caller:
        return _caller_gone(t, f)
    if f.clerk_up:
        return _clerk_there(t, f)
    if f.clerk_ringing and t.state in (S.CALLER_ON_HOLD, S.DIALING_WINDOW):
        return _still_ringing(t, f, now, settings)
    effects: list[Effect] = [CancelWindow(t.case.case_id, f.clerk)] if f.clerk_ringing else []
    reason = "no_answer" if f.clerk_ringing else _lost(t)
    if t.state is S.AGENT_LEFT or not f.agent:
        queue = ReturnToQueue(t.caller, settings.return_queue, reason, t.case)
        return S.RETURNED_TO_QUEUE, reason, [*effects, queue]
    return S.RETURNED_TO_AGENT, reason, [*effects, ReturnToAgent(t.caller, t.agent, reason)]


def _lost(t: WindowTransfer) -> str:
    if t.state is S.REQUESTED:
        return "controller_restarted"
    if t.state in (S.CALLER_ON_HOLD, S.DIALING_WINDOW):
        return "window_leg_lost"
    return "clerk_gone"


def _caller_gone(t: WindowTransfer, f: _Facts) -> Settled:
    if t.state is S.AGENT_LEFT:
        return S.COMPLETED, "caller_gone", [EndConference(t.conference_id)]
    effects: list[Effect] = []
    if f.clerk is not None and (f.clerk_up or f.clerk_ringing) and not f.clerk_joined:
        effects.append(CancelWindow(t.case.case_id, f.clerk))
    if t.state is S.CONFERENCE or f.clerk_joined or f.agent_joined:
        effects.append(EndConference(t.conference_id))
    if t.agent_present:
        effects.append(ReleaseAgent(t.agent_id, "caller_gone"))
    return S.CALLER_GONE, "caller_gone", effects


def _clerk_there(t: WindowTransfer, f: _Facts) -> Settled:
    assert f.clerk is not None
    target = S.CONFERENCE if f.agent else S.AGENT_LEFT
    effects: list[Effect] = []
    if not (f.caller_joined and f.clerk_joined):
        members = [Member(t.caller, Role.CALLER), Member(f.clerk, Role.CLERK)]
        if f.agent:
            members.append(Member(t.agent, Role.AGENT))
        effects.append(JoinConference(t.conference_id, tuple(members)))
    elif f.agent and not f.agent_joined:
        target = S.AGENT_LEFT  # the agent's channel is up elsewhere: the handover is done
    if target is S.AGENT_LEFT and t.state is not S.AGENT_LEFT and t.agent_present:
        effects.append(ReleaseAgent(t.agent_id, "handed_over"))
    return target, "", effects


def _still_ringing(
    t: WindowTransfer, f: _Facts, now: datetime, settings: WindowSettings
) -> Settled:
    started = t.dialled_at or now
    left = settings.dial_timeout_s - (now - started).total_seconds()
    if left > 0:
        return S.DIALING_WINDOW, "", [StartTimer(t.case.case_id, Timer.DIAL, left)]
    cancel = CancelWindow(t.case.case_id, f.clerk)
    if f.agent:
        return (
            S.RETURNED_TO_AGENT,
            "no_answer",
            [cancel, ReturnToAgent(t.caller, t.agent, "no_answer")],
        )
    queue = ReturnToQueue(t.caller, settings.return_queue, "no_answer", t.case)
    return S.RETURNED_TO_QUEUE, "no_answer", [cancel, queue]


def _leftovers(t: WindowTransfer, snap: AsteriskSnapshot, f: _Facts) -> list[Effect]:
    effects: list[Effect] = []
    if t.state in GAVE_UP and (f.clerk_up or f.clerk_ringing):
        effects.append(CancelWindow(t.case.case_id, f.clerk))
    if t.state in (S.COMPLETED, S.CALLER_GONE) and snap.in_conference:
        effects.append(EndConference(t.conference_id))
    return effects


def _move(
    t: WindowTransfer, target: WindowState, reason: str, effects: list[Effect], now: datetime
) -> Decision:
    timers = frozenset(e.timer for e in effects if isinstance(e, StartTimer))
    clerk = t.clerk or next(
        (m.channel for e in effects if isinstance(e, JoinConference) for m in e.members
         if m.role is Role.CLERK), None,
    )  # fmt: skip
    if target is t.state and not effects:
        return Decision(dataclasses.replace(t, timers=timers), ())
    log.info("transfer %s: %s -[%s]-> %s", t.case.case_id, t.state, Key.RECONCILED, target)
    step = Step(now, t.state, Key.RECONCILED, target)
    moved = dataclasses.replace(
        t, state=target, reason=reason or t.reason, timers=timers, clerk=clerk,
        agent_present=t.agent_present and target not in (S.AGENT_LEFT, *TERMINAL),
        steps=(*t.steps, step),
    )  # fmt: skip
    recorded: list[Effect] = [Record(t.case.case_id, step)]
    if target is not t.state:
        event = TransferChanged(
            now, t.case.case_id, "window", target, moved.reason, t.office.endpoint
        )
        recorded.append(Publish(event))
    return Decision(moved, (*effects, *recorded))
