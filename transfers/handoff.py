"""Blind and warm transfers to another queue or agent, the case going with the caller.

A smaller machine than the window connection (transfers/machine.py), same rules: a table with
named states, unknown pairs raise InvalidHandoff, each transition logged ``state -[event]-> state``
and recorded with its time.

Blind: the caller is delivered to the queue or agent at once with the case; the agent is free::

    requested -[delivered]-> completed
    requested -[delivery_failed]-> returned_to_queue      (the fallback queue, with the case)

Warm (consult first)::

    requested -[hold_started]-> caller_on_hold -[target_answered]-> consulted
    consulted -[agent_completes | agent_hung_up]-> completed      (caller bridged to the target)
    consulted -[agent_cancels | target_hung_up]-> returned_to_agent
    caller_on_hold -[target_no_answer | target_busy | dial_timer_expired]-> returned_to_agent

The caller hanging up before completion ends in ``caller_gone`` (the consult is cancelled, the
agent released). An agent who hangs up while the target is still ringing does not stop the
transfer: when the target answers, the caller is bridged at once; if it does not, the caller goes
to the fallback queue (``returned_to_queue``) rather than back to an agent who is gone.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from dataclasses import dataclass
from datetime import datetime

from transfers.case import CaseContext, Step
from transfers.effects import (
    Bridge,
    CancelConsult,
    CancelTimer,
    Consult,
    DeliverToAgent,
    DeliverToQueue,
    Effect,
    PlayHold,
    Publish,
    Record,
    ReleaseAgent,
    ReturnToAgent,
    ReturnToQueue,
    StartTimer,
    Timer,
)
from transfers.events import TransferChanged

log = logging.getLogger("hotline.transfers")


class HandoffKind(enum.StrEnum):
    BLIND = "blind"
    WARM = "warm"


class TargetKind(enum.StrEnum):
    QUEUE = "queue"
    AGENT = "agent"


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    name: str
    """The queue's name, or the agent's id."""


class HandoffState(enum.StrEnum):
    REQUESTED = "requested"
    CALLER_ON_HOLD = "caller_on_hold"
    CONSULTED = "consulted"
    COMPLETED = "completed"
    RETURNED_TO_AGENT = "returned_to_agent"
    RETURNED_TO_QUEUE = "returned_to_queue"
    CALLER_GONE = "caller_gone"
    FAILED = "failed"


class HandoffKey(enum.StrEnum):
    DELIVERED = "delivered"
    DELIVERY_FAILED = "delivery_failed"
    HOLD_STARTED = "hold_started"
    TARGET_ANSWERED = "target_answered"
    TARGET_NO_ANSWER = "target_no_answer"
    TARGET_BUSY = "target_busy"
    AGENT_COMPLETES = "agent_completes"
    AGENT_CANCELS = "agent_cancels"
    CALLER_HUNG_UP = "caller_hung_up"
    AGENT_HUNG_UP = "agent_hung_up"
    TARGET_HUNG_UP = "target_hung_up"
    HOLD_TIMER_EXPIRED = "hold_timer_expired"
    DIAL_TIMER_EXPIRED = "dial_timer_expired"


@dataclass(frozen=True)
class HandoffEvent:
    at: datetime
    key: HandoffKey
    channel: str = ""
    """The target's channel, for target_answered."""


H, HK = HandoffState, HandoffKey
TERMINAL = frozenset(
    {H.COMPLETED, H.RETURNED_TO_AGENT, H.RETURNED_TO_QUEUE, H.CALLER_GONE, H.FAILED}
)
TARGET_FAILURES = (HK.TARGET_NO_ANSWER, HK.TARGET_BUSY, HK.DIAL_TIMER_EXPIRED)
LATE = (HK.CALLER_HUNG_UP, HK.AGENT_HUNG_UP, HK.TARGET_HUNG_UP, HK.TARGET_NO_ANSWER, HK.TARGET_BUSY,
        HK.DELIVERED, HK.DELIVERY_FAILED, HK.HOLD_STARTED)  # fmt: skip

TRANSITIONS: dict[tuple[HandoffKind, HandoffState, HandoffKey], HandoffState] = {
    (HandoffKind.BLIND, H.REQUESTED, HK.DELIVERED): H.COMPLETED,
    (HandoffKind.BLIND, H.REQUESTED, HK.DELIVERY_FAILED): H.RETURNED_TO_QUEUE,
    (HandoffKind.BLIND, H.REQUESTED, HK.CALLER_HUNG_UP): H.CALLER_GONE,
    (HandoffKind.BLIND, H.REQUESTED, HK.AGENT_HUNG_UP): H.REQUESTED,
    (HandoffKind.WARM, H.REQUESTED, HK.HOLD_STARTED): H.CALLER_ON_HOLD,
    (HandoffKind.WARM, H.REQUESTED, HK.HOLD_TIMER_EXPIRED): H.FAILED,
    (HandoffKind.WARM, H.REQUESTED, HK.CALLER_HUNG_UP): H.CALLER_GONE,
    (HandoffKind.WARM, H.CALLER_ON_HOLD, HK.TARGET_ANSWERED): H.CONSULTED,
    **{(HandoffKind.WARM, H.CALLER_ON_HOLD, k): H.RETURNED_TO_AGENT for k in TARGET_FAILURES},
    (HandoffKind.WARM, H.CALLER_ON_HOLD, HK.CALLER_HUNG_UP): H.CALLER_GONE,
    (HandoffKind.WARM, H.CALLER_ON_HOLD, HK.AGENT_HUNG_UP): H.CALLER_ON_HOLD,
    (HandoffKind.WARM, H.CONSULTED, HK.AGENT_COMPLETES): H.COMPLETED,
    (HandoffKind.WARM, H.CONSULTED, HK.AGENT_HUNG_UP): H.COMPLETED,
    (HandoffKind.WARM, H.CONSULTED, HK.AGENT_CANCELS): H.RETURNED_TO_AGENT,
    (HandoffKind.WARM, H.CONSULTED, HK.TARGET_HUNG_UP): H.RETURNED_TO_AGENT,
    (HandoffKind.WARM, H.CONSULTED, HK.CALLER_HUNG_UP): H.CALLER_GONE,
    **{(kind, s, k): s for kind in HandoffKind for s in TERMINAL for k in LATE},
    # A target answering after the transfer gave up is hung up.
    **{(HandoffKind.WARM, s, HK.TARGET_ANSWERED): s for s in TERMINAL - {H.COMPLETED}},
}


@dataclass(frozen=True)
class HandoffSettings:
    dial_timeout_s: float = 30.0
    hold_confirm_s: float = 10.0
    fallback_queue: str = "general"


@dataclass(frozen=True)
class Handoff:
    kind: HandoffKind
    case: CaseContext
    target: Target
    caller: str
    agent: str
    agent_id: str
    state: HandoffState = H.REQUESTED
    target_channel: str | None = None
    agent_present: bool = True
    timers: frozenset[Timer] = frozenset()
    reason: str = ""
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True)
class HandoffDecision:
    handoff: Handoff
    effects: tuple[Effect, ...]


class InvalidHandoff(Exception):
    def __init__(
        self, case_id: str, kind: HandoffKind, state: HandoffState, key: HandoffKey
    ) -> None:
        super().__init__(f"{kind} transfer {case_id}: no transition from {state} on {key}")
        self.state, self.key = state, key


def request_handoff(
    kind: HandoffKind, case: CaseContext, target: Target, *, caller: str, agent: str,
    agent_id: str, now: datetime, settings: HandoffSettings,
) -> HandoffDecision:  # fmt: skip
    handoff = Handoff(kind, case, target, caller, agent, agent_id)
    step = Step(now, "", f"{kind}_requested", H.REQUESTED)
    log.info("transfer %s: -[%s_requested]-> %s (%s %s)", case.case_id, kind, H.REQUESTED,
             target.kind, target.name)  # fmt: skip
    effects: list[Effect] = [Record(case.case_id, step), _publish(handoff, now)]
    if kind is HandoffKind.BLIND:
        effects[:0] = [_deliver(handoff), ReleaseAgent(agent_id, "transferred")]
        handoff = dataclasses.replace(handoff, agent_present=False)
    else:
        effects[:0] = [
            PlayHold(caller),
            StartTimer(case.case_id, Timer.HOLD, settings.hold_confirm_s),
        ]
        handoff = dataclasses.replace(handoff, timers=frozenset({Timer.HOLD}))
    return HandoffDecision(dataclasses.replace(handoff, steps=(step,)), tuple(effects))


def handle_handoff(
    handoff: Handoff, event: HandoffEvent, settings: HandoffSettings
) -> HandoffDecision:
    expired = {HK.HOLD_TIMER_EXPIRED: Timer.HOLD, HK.DIAL_TIMER_EXPIRED: Timer.DIAL}.get(event.key)
    if expired is not None and expired not in handoff.timers:
        return HandoffDecision(handoff, ())
    old = handoff.state
    try:
        new = TRANSITIONS[(handoff.kind, old, event.key)]
    except KeyError:
        raise InvalidHandoff(handoff.case.case_id, handoff.kind, old, event.key) from None
    gone = event.key is HK.AGENT_HUNG_UP and old not in TERMINAL and handoff.agent_present
    if new is H.RETURNED_TO_AGENT and not handoff.agent_present:
        new = H.RETURNED_TO_QUEUE
    log.info("transfer %s: %s -[%s]-> %s", handoff.case.case_id, old, event.key, new)
    moved = dataclasses.replace(
        handoff, state=new, agent_present=handoff.agent_present and not gone,
        target_channel=event.channel if event.key is HK.TARGET_ANSWERED and old is H.CALLER_ON_HOLD
        else handoff.target_channel,
        timers=handoff.timers - {expired} if expired else handoff.timers,
    )  # fmt: skip
    if new is not old:
        moved = dataclasses.replace(moved, reason=event.key.value)
    effects = _effects(moved, old, event, settings)
    if new is old and not effects and not gone:
        return HandoffDecision(moved, ())
    step = Step(event.at, old, event.key, new)
    moved = dataclasses.replace(moved, steps=(*moved.steps, step), timers=_timers(moved, effects))
    done: list[Effect] = [*effects, Record(handoff.case.case_id, step)]
    if new is not old:
        done.append(_publish(moved, event.at))
    decision = HandoffDecision(moved, tuple(done))
    if new is H.CONSULTED and not moved.agent_present:
        chained = handle_handoff(moved, HandoffEvent(event.at, HK.AGENT_COMPLETES), settings)
        return HandoffDecision(chained.handoff, (*decision.effects, *chained.effects))
    return decision


def _effects(
    h: Handoff, old: HandoffState, event: HandoffEvent, settings: HandoffSettings
) -> list[Effect]:
    case_id = h.case.case_id
    if h.state is old:
        if event.key is HK.TARGET_ANSWERED:
            return [CancelConsult(case_id, event.channel)]
        return []
    effects: list[Effect] = [CancelTimer(case_id, timer) for timer in sorted(h.timers)]
    if h.state is H.CALLER_ON_HOLD:
        effects += [Consult(case_id, _dial_string(h.target), settings.dial_timeout_s),
                    StartTimer(case_id, Timer.DIAL, settings.dial_timeout_s)]  # fmt: skip
    elif h.state is H.COMPLETED and h.kind is HandoffKind.WARM:
        assert h.target_channel is not None
        effects.append(Bridge(h.caller, h.target_channel, h.case))
        if event.key is not HK.AGENT_HUNG_UP and h.agent_present:
            effects.append(ReleaseAgent(h.agent_id, "transferred"))
    elif h.state in (H.RETURNED_TO_AGENT, H.RETURNED_TO_QUEUE, H.FAILED, H.CALLER_GONE):
        if old is H.CALLER_ON_HOLD or (old is H.CONSULTED and event.key is not HK.TARGET_HUNG_UP):
            effects.append(CancelConsult(case_id, h.target_channel))
        effects += _after_giving_up(h, settings)
    return effects


def _after_giving_up(h: Handoff, settings: HandoffSettings) -> list[Effect]:
    if h.state is H.CALLER_GONE:
        return [ReleaseAgent(h.agent_id, "caller_gone")] if h.agent_present else []
    if h.state is H.RETURNED_TO_QUEUE:
        return [ReturnToQueue(h.caller, settings.fallback_queue, h.reason, h.case)]
    return [ReturnToAgent(h.caller, h.agent, h.reason)]


def _timers(h: Handoff, effects: list[Effect]) -> frozenset[Timer]:
    timers = set(h.timers)
    for effect in effects:
        if isinstance(effect, StartTimer):
            timers.add(effect.timer)
        elif isinstance(effect, CancelTimer):
            timers.discard(effect.timer)
    return frozenset(timers)


def _deliver(h: Handoff) -> Effect:
    if h.target.kind is TargetKind.QUEUE:
        return DeliverToQueue(h.caller, h.target.name, h.case)
    return DeliverToAgent(h.caller, h.target.name, h.case)


def _dial_string(target: Target) -> str:
    return f"{target.kind}:{target.name}"


def _publish(h: Handoff, now: datetime) -> Publish:
    target = _dial_string(h.target)
    return Publish(
        TransferChanged(now, h.case.case_id, h.kind.value, h.state.value, h.reason, target)
    )
