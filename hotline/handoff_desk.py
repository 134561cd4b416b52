"""Carries out blind and warm transfers (transfers/handoff.py) on Asterisk, through AMI.

The machine decides; this desk turns its effects into AMI actions, timers, store writes and
events, and turns what AMI reports back into the machine's events (hotline/handoff_ami.py)::

    API ──▶ HandoffDesk.request ──▶ machine ──▶ effects ──▶ AMI Redirect / Originate /
    AMI events ──▶ handoff_ami ──┘                          ConfbridgeKick / Hangup, timers,
    FastAGI "transfer" ──▶ route_for ──▶ Controller          Store, EventHub

On Asterisk (dialplans/extensions.conf.j2, ``hotline-transfer``):

* blind: the caller is redirected out of the Dial with the agent (whose leg ends, so the agent
  goes to wrap-up as usual) into the ``transfer`` FastAGI script, which routes the caller again
  to the target queue (its skills) or the named agent (preferred agent), with a priority boost
  (hotline/handoff_ami.py says why); the receiving agent's offer carries the case
  (HandoffOffered: previous agent, note, topic).
* warm: the caller is redirected to music on hold and the agent into the case's ConfBridge room;
  the target's seat is dialled with Originate into the same room. Complete: the caller joins the
  room and the agent is kicked; cancel, or a target that does not answer: the caller joins the
  room with the agent and the target's leg is hung up.

Without the controller the dialplan never leaves anyone in silence: the transfer script's
caller goes to the fallback queue, and music on hold ends in the fallback queue after a while.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime

from ami import AmiClient, AmiError, Event
from hotline.controller import Controller
from hotline.events import CallAnswered, CallOffered
from hotline.events import Event as HotlineEvent
from hotline.handoff_actions import end_room, hang_up_leg, kick, redirect
from hotline.handoff_ami import (
    CONFERENCE_CONTEXT,
    TRANSFER_CONTEXT,
    consult_leg_id,
    consult_outcome,
    handoff_event,
    offered_event,
    record_of,
    room_of,
)
from hotline.handoff_settle import RestartSettler
from hotline.storage import Store
from ivr.interpreter import Route
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
from transfers.handoff import (
    TERMINAL,
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

log = logging.getLogger("hotline.handoff_desk")

FORGET_AFTER_S = 60.0
SERVING = frozenset({"available", "wrap_up", "on_call", "offered", "resting"})


class HandoffError(Exception):
    """A transfer cannot be asked for or acted on: the message says why and what to do."""

    def __init__(self, error_id: str, message: str) -> None:
        super().__init__(message)
        self.error_id = error_id


@dataclasses.dataclass(frozen=True)
class Received:
    """Not the machine's: the agent the transferred caller is offered to (for the record)."""

    agent: str


@dataclasses.dataclass(frozen=True)
class EndRoom:
    """Not the machine's: back with the agent, the caller hung up; the room is emptied."""


Work = Effect | Received | EndRoom


class HandoffDesk:
    def __init__(
        self,
        ami: AmiClient,
        store: Store,
        publish: Callable[[HotlineEvent], None],
        controller: Controller,
        settings: HandoffSettings,
        *,
        routes: Callable[[], Mapping[str, Route]],
        wall: Callable[[], datetime],
    ) -> None:
        self.ami, self.store, self.publish = ami, store, publish
        self.controller, self.router = controller, controller.router
        self.settings, self.routes, self.wall = settings, routes, wall
        self.handoffs: dict[str, Handoff] = {}
        self._queues: dict[str, str] = {}
        """Case id -> the queue the caller came from (a named agent is reached through it)."""
        self._pending: dict[str, str] = {}
        """Caller uniqueid -> case id, while the caller is on the way to the transfer script."""
        self._offered: dict[str, str] = {}
        """Caller uniqueid -> case id, until the receiving agent answers."""
        self._timers: dict[tuple[str, Timer], asyncio.TimerHandle] = {}
        self.restarts = RestartSettler(ami, store, wall)
        self._work: asyncio.Queue[tuple[str, Work]] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()

    # ---- asking for a transfer ---------------------------------------------------------
    async def request(
        self, call_id: str, agent_id: str, kind: HandoffKind, target: Target, note: str, *,
        queue: str, topic: str,
    ) -> Handoff:  # fmt: skip
        if any(h.case.call_id == call_id and h.state not in TERMINAL
               for h in self.handoffs.values()):  # fmt: skip
            raise HandoffError(
                "transfer.in_progress", f"call {call_id} is already being transferred"
            )
        self.check_target(kind, target, agent_id)
        caller, agent = await self._legs(call_id)
        case = CaseContext(uuid.uuid4().hex[:12], call_id, note, topic=topic)
        decision = request_handoff(
            kind, case, target, caller=caller, agent=agent, agent_id=agent_id, now=self.wall(),
            settings=self.settings,
        )  # fmt: skip
        self._queues[case.case_id] = queue
        self._take(decision)
        return decision.handoff

    def check_target(self, kind: HandoffKind, target: Target, agent_id: str) -> None:
        """Refuse a target that cannot take the caller (before Asterisk is asked anything)."""
        if target.kind is TargetKind.QUEUE:
            if kind is HandoffKind.WARM:
                message = "a warm transfer consults an agent: give agent, not queue"
                raise HandoffError("target.warm_queue", message)
            if target.name not in self.routes():
                known = ", ".join(sorted(self.routes()))
                raise HandoffError("queue.unknown", f"no queue {target.name!r} (one of: {known})")
            return
        slot = self.router.agents.get(target.name)
        if target.name == agent_id:
            raise HandoffError("agent.self", "the call is already with this agent")
        if slot is None or slot.state.value not in SERVING:
            state = slot.state.value if slot is not None else "logged_out"
            raise HandoffError("agent.unavailable", f"agent {target.name} is {state}: choose "
                               "an agent who is logged in and not paused, or a queue")  # fmt: skip
        if kind is HandoffKind.WARM and (slot.state.value != "available" or slot.call_id):
            raise HandoffError("agent.busy", f"agent {target.name} is not free to consult now")

    async def _legs(self, call_id: str) -> tuple[str, str]:
        try:
            _, channels = await self.ami.action_list("CoreShowChannels")
        except AmiError as exc:
            raise HandoffError("asterisk.unavailable", f"Asterisk cannot be asked: {exc}") from None
        caller = next((c for c in channels if c.get("Uniqueid", "") == call_id), None)
        if caller is None:
            raise HandoffError("call.gone", f"call {call_id} has no channel on Asterisk any more")
        bridge = caller.get("BridgeId", "")
        agent = next(
            (c.get("Channel", "") for c in channels if bridge and c.get("BridgeId", "") == bridge
             and c.get("Channel", "").startswith("PJSIP/seat") and c is not caller), None,
        )  # fmt: skip
        if agent is None:
            raise HandoffError("call.not_bridged", f"call {call_id} is not talking with a seat")
        return caller.get("Channel", ""), agent

    def complete(self, case_id: str) -> Handoff:
        return self._feed_now(case_id, HandoffKey.AGENT_COMPLETES)

    def cancel(self, case_id: str) -> Handoff:
        return self._feed_now(case_id, HandoffKey.AGENT_CANCELS)

    def _feed_now(self, case_id: str, key: HandoffKey) -> Handoff:
        handoff = self.handoffs.get(case_id)
        if handoff is None:
            raise HandoffError("transfer.unknown", f"no open transfer {case_id}")
        try:
            decision = handle_handoff(handoff, HandoffEvent(self.wall(), key), self.settings)
        except InvalidHandoff as exc:
            raise HandoffError("transfer.state", f"{exc} (complete or cancel once the target "
                               "has answered)") from None  # fmt: skip
        self._take(decision)
        return decision.handoff

    # ---- the transferred caller's FastAGI session ---------------------------------------------
    def route_for(self, uniqueid: str) -> Route | None:
        """Where the caller redirected to the transfer script goes (the call flow queues them
        there, boosted); None: not ours (the dialplan's fallback queue takes them)."""
        case_id = self._pending.pop(uniqueid, None)
        handoff = self.handoffs.get(case_id or "")
        if case_id is None or handoff is None:
            return None
        routes = self.routes()
        route, preferred = self._destination(handoff, routes)
        if handoff.state is HandoffState.REQUESTED:
            key = HandoffKey.DELIVERED if route is not None else HandoffKey.DELIVERY_FAILED
            self.feed(case_id, HandoffEvent(self.wall(), key))
        if route is None:
            route = routes.get(self.settings.fallback_queue) or routes["general"]
        self._offered[uniqueid] = case_id
        # The first agent's leg may not have been reported ended yet: free them (wrap-up) now.
        self.controller.free_agent_of(uniqueid, "transferred")
        return dataclasses.replace(route, preferred_agent=preferred)

    def _destination(
        self, handoff: Handoff, routes: Mapping[str, Route]
    ) -> tuple[Route | None, str | None]:
        target = handoff.target
        if handoff.state is not HandoffState.REQUESTED:
            return None, None  # back to the fallback queue (the agent is gone)
        if target.kind is TargetKind.QUEUE:
            return routes.get(target.name), None
        slot = self.router.agents.get(target.name)
        if slot is None or slot.state.value not in SERVING:
            return None, None
        base = routes.get(self._queues.get(handoff.case.case_id, "")) or routes["general"]
        return base, target.name

    # ---- what Asterisk and the controller report ------------------------------------------
    def observe(self, event: Event) -> None:
        if event.name != "Hangup":
            return
        self.restarts.caller_gone(event.get("Channel", ""))
        for case_id, handoff in list(self.handoffs.items()):
            found = handoff_event(handoff, event.name, event.fields, self.wall())
            if found is not None:
                self.feed(case_id, found)
            elif (handoff.state is HandoffState.RETURNED_TO_AGENT
                  and event.get("Channel", "") == handoff.caller):  # fmt: skip
                self._work.put_nowait((case_id, EndRoom()))

    def __call__(self, event: HotlineEvent) -> None:
        """The event hub's sink: the transferred caller offered to (and answered by) an agent."""
        if isinstance(event, CallOffered) and event.call_id in self._offered:
            case_id = self._offered[event.call_id]
            handoff = self.handoffs.get(case_id)
            if handoff is not None:
                self._work.put_nowait((case_id, Received(event.agent)))
                self._work.put_nowait(
                    (case_id, Publish(offered_event(handoff, event.agent, event.at)))
                )
        elif isinstance(event, CallAnswered):
            self._offered.pop(event.call_id, None)

    def feed(self, case_id: str, event: HandoffEvent) -> None:
        handoff = self.handoffs.get(case_id)
        if handoff is None:
            return
        try:
            self._take(handle_handoff(handoff, event, self.settings))
        except InvalidHandoff as exc:
            log.warning("%s: ignored", exc)

    def _take(self, decision: HandoffDecision) -> None:
        handoff = decision.handoff
        case_id = handoff.case.case_id
        self.handoffs[case_id] = handoff
        for effect in decision.effects:
            self._work.put_nowait((case_id, effect))
        if handoff.state in TERMINAL and handoff.state is not HandoffState.RETURNED_TO_AGENT:
            asyncio.get_running_loop().call_later(FORGET_AFTER_S, self._forget, case_id)

    def _forget(self, case_id: str) -> None:
        handoff = self.handoffs.get(case_id)
        if handoff is not None and handoff.state in TERMINAL:
            del self.handoffs[case_id]

    # ---- carrying out -----------------------------------------------------------------
    async def run(self) -> None:
        while True:
            case_id, work = await self._work.get()
            try:
                await self._carry_out(case_id, work)
            except AmiError as exc:
                log.warning("transfer %s: %s failed: %s", case_id, type(work).__name__, exc)
            except Exception:
                log.exception("transfer %s: %s failed", case_id, type(work).__name__)

    async def _carry_out(self, case_id: str, work: Work) -> None:
        handoff = self.handoffs[case_id]
        match work:
            case Record(step=step):
                await self._save(handoff, [step])
            case Received(agent=agent):
                await self._save(handoff, received_by=agent)
            case EndRoom():
                await end_room(self.ami, room_of(case_id))
                await self._save(handoff, caller_gone=True)
            case Publish(event=event):
                self.publish(event)
            case StartTimer(timer=timer, seconds=seconds):
                self._start_timer(case_id, timer, seconds)
            case CancelTimer(timer=timer):
                timer_handle = self._timers.pop((case_id, timer), None)
                if timer_handle is not None:
                    timer_handle.cancel()
            case _:
                await self._asterisk(handoff, work)

    async def _asterisk(self, handoff: Handoff, effect: Effect) -> None:
        case_id = handoff.case.case_id
        room = room_of(case_id)
        match effect:
            case (
                DeliverToQueue(caller=caller)
                | DeliverToAgent(caller=caller)
                | ReturnToQueue(caller=caller)
            ):
                self._pending[handoff.case.call_id] = case_id
                await redirect(self.ami, caller, TRANSFER_CONTEXT, "s")
            case PlayHold():
                await self._hold(handoff)
            case Consult(timeout_s=timeout_s):
                self._spawn(self._consult(handoff, timeout_s))
            case CancelConsult(channel=channel):
                await hang_up_leg(self.ami, consult_leg_id(case_id), channel)
            case Bridge(caller=caller):
                await redirect(self.ami, caller, CONFERENCE_CONTEXT, f"caller-{room}")
                if handoff.agent_present:
                    await kick(self.ami, room, handoff.agent)
                self.publish(offered_event(handoff, handoff.target.name, self.wall()))
            case ReturnToAgent(caller=caller):
                await redirect(self.ami, caller, CONFERENCE_CONTEXT, f"caller-{room}")
            case ReleaseAgent(reason="caller_gone") if handoff.kind is HandoffKind.WARM:
                await end_room(self.ami, room_of(case_id))  # nobody stays in the consult room
            case _:
                # ReleaseAgent: the agent's leg ends (hung up by Asterisk when the caller leaves
                # the Dial, or kicked from the room) and the controller puts them in wrap-up.
                log.info("transfer %s: %s", case_id, type(effect).__name__)

    async def _hold(self, handoff: Handoff) -> None:
        room = room_of(handoff.case.case_id)
        await self.ami.action(
            "Redirect",
            {
                "Channel": handoff.caller, "Context": TRANSFER_CONTEXT, "Exten": "hold",
                "Priority": "1", "ExtraChannel": handoff.agent,
                "ExtraContext": CONFERENCE_CONTEXT, "ExtraExten": f"seat-{room}",
                "ExtraPriority": "1",
            },
        )  # fmt: skip
        self.feed(handoff.case.case_id, HandoffEvent(self.wall(), HandoffKey.HOLD_STARTED))

    async def _consult(self, handoff: Handoff, timeout_s: float) -> None:
        case_id = handoff.case.case_id
        slot = self.router.agents.get(handoff.target.name)
        if slot is None:
            self.feed(case_id, HandoffEvent(self.wall(), HandoffKey.TARGET_NO_ANSWER))
            return
        fields = [
            ("Channel", f"PJSIP/{slot.seat}"), ("Context", CONFERENCE_CONTEXT),
            ("Exten", f"seat-{room_of(case_id)}"), ("Priority", "1"),
            ("Timeout", str(round(timeout_s * 1000))),
            ("CallerID", f'"transfer {handoff.agent_id}" <12333>'),
            ("ChannelId", consult_leg_id(case_id)), ("Async", "true"),
        ]  # fmt: skip
        try:
            _, result = await self.ami.action_with_event(
                "Originate", fields, event="OriginateResponse", timeout=timeout_s + 10
            )
        except AmiError as exc:
            log.warning("transfer %s: consult leg not placed: %s", case_id, exc)
            self.feed(case_id, HandoffEvent(self.wall(), HandoffKey.TARGET_NO_ANSWER))
            return
        self.feed(case_id, consult_outcome(
            result.get("Response", ""), result.get("Reason", ""), result.get("Channel", ""),
            self.wall(),
        ))  # fmt: skip

    async def _save(
        self, handoff: Handoff, steps: list[Step] | None = None, *, received_by: str | None = None,
        caller_gone: bool = False,
    ) -> None:  # fmt: skip
        old = await asyncio.to_thread(self.store.get_handoff, handoff.case.case_id)
        received = received_by or (old[0].received_by if old is not None else None)
        record = record_of(handoff, self.wall(), received_by=received, caller_gone=caller_gone)
        await asyncio.to_thread(self.store.save_handoff, record, steps or [])

    def _start_timer(self, case_id: str, timer: Timer, seconds: float) -> None:
        old = self._timers.pop((case_id, timer), None)
        if old is not None:
            old.cancel()
        expiry = {
            Timer.HOLD: HandoffKey.HOLD_TIMER_EXPIRED,
            Timer.DIAL: HandoffKey.DIAL_TIMER_EXPIRED,
        }

        def expire() -> None:
            self._timers.pop((case_id, timer), None)
            if timer in expiry:
                self.feed(case_id, HandoffEvent(self.wall(), expiry[timer]))

        self._timers[(case_id, timer)] = asyncio.get_running_loop().call_later(seconds, expire)

    async def settle_open(self, client: AmiClient) -> None:
        """On each AMI connect: settle the handoffs a stopped controller left open."""
        await self.restarts.settle_open(client, lambda case_id: case_id in self.handoffs)

    def _spawn(self, work: object) -> None:
        assert asyncio.iscoroutine(work)
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
