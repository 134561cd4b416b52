"""The controller's service: it owns the routing core and every call's trace, and turns what the
adapters report (FastAGI sessions, AMI events, API requests) into decisions and events.

All methods run on the event loop; none blocks. Storage and MQTT are reached through the
``Recorder`` and ``Publisher`` queues, so a slow database or a missing broker never holds up a
caller.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING

from hotline.agent_operations import AgentOperations
from hotline.caller_keys import CallerKeys
from hotline.calls import CallTrace
from hotline.controller_ports import (
    CallerGone,
    Clock,
    NoTimings,
    Publisher,
    Recorder,
    Timings,
)
from hotline.events import (
    AgentStateChanged,
    CallAnswered,
    CallArrived,
    CallEnded,
    CallFallback,
    CallOffered,
    CallQueued,
    MessageLeft,
    OfferMissed,
)
from hotline.repeat_callers import RepeatCallers
from hotline.storage import Outcome, VoiceMessage
from ivr.queue_choices import LONG_WAIT_NUDGE
from queues.ewt import WaitEstimator
from queues.records import CallAction
from queues.router import AgentChange, Offer, Router, WaitingCall
from queues.skills import OFFER_CALLBACK, overflow_target

if TYPE_CHECKING:
    from hotline.callback_desk import CallbackDesk

# Agents who are not taking calls: they do not shorten anyone's wait.
NOT_SERVING = frozenset({"logged_out", "paused"})

log = logging.getLogger("hotline.controller")

__all__ = ["CallerGone", "Clock", "Controller", "NoTimings", "Publisher", "Recorder", "Timings"]


class Controller(AgentOperations):
    def __init__(
        self,
        router: Router,
        publisher: Publisher,
        recorder: Recorder,
        *,
        clock: Clock | None = None,
        timings: Timings | None = None,
    ) -> None:
        self.router = router
        self.publisher = publisher
        self.recorder = recorder
        self.clock = clock or Clock()
        self.timings = timings or NoTimings()
        # For offer latency: since when each caller and each agent could have been matched.
        self._routable_since: dict[str, float] = {}
        self._free_since: dict[str, float] = {}
        self._seat_wait: dict[str, float] = {}
        """Agents free in routing whose seat Asterisk still reports in use (its last call's
        channel not yet gone), since when: the offer becomes possible when the seat is idle."""
        self._decided_since: dict[str, tuple[float, float]] = {}
        """Per offer: since when it could have been made, and when it was handed to the caller's
        session (the two ends of its routing part)."""
        self._stopped_prompt: set[str] = set()
        """Offers that found the caller hearing an announcement, which had to be stopped."""
        self._dialled: dict[str, asyncio.Future[None]] = {}
        """Offers whose Dial others wait for (``dialled``)."""
        self._estimators: dict[str, WaitEstimator] = {}
        self.handle_times = WaitEstimator()
        """Handle times of every queue's calls, for the estimated wait (seeded from history)."""
        self._last_call: dict[str, str] = {}
        """The caller each agent last answered: where a disposition at wrap-up belongs."""
        self.traces: dict[str, CallTrace] = {}
        self._waiters: dict[str, asyncio.Future[Offer]] = {}
        self._offers: dict[str, WaitingCall] = {}
        self._held: dict[str, WaitingCall] = {}
        """Callers choosing between a callback and a message: out of routing, place kept."""
        self.keys = CallerKeys()
        """Keys waiting callers press (from AMI), and nudges from the routing core."""
        self._timer: asyncio.TimerHandle | None = None
        self._wake_due: float | None = None
        """When the routing core said time alone would next change something (a wrap-up or a
        rest ends, a caller's requirements relax)."""
        self._woke_at = 0.0
        """The latest such moment already passed when the current dispatch began: an offer it
        makes could not have been made before it (for offer latency)."""
        self.callbacks: CallbackDesk | None = None
        self.repeat_callers = RepeatCallers(window_s=0)
        """Who answered each caller last (the wiring module sets the window)."""
        """Queued callbacks (set by the wiring module when outbound dialling is possible)."""

    # ---- calls: arrival and IVR (from the FastAGI adapter) ---------------------------------
    def call_arrived(
        self, uniqueid: str, linkedid: str, number: str, name: str, dialed: str
    ) -> CallTrace:
        trace = self.traces.get(uniqueid)
        if trace is None:
            at = self.clock.wall()
            trace = CallTrace.arrive(uniqueid, linkedid, number, name, dialed, at=at)
            self.traces[uniqueid] = trace
            self.publisher.publish(CallArrived(at, uniqueid, trace.caller_number, trace.dialed))
        return trace

    def trace(self, uniqueid: str) -> CallTrace | None:
        return self.traces.get(uniqueid)

    # ---- waiting for an agent ---------------------------------------------------------------
    async def wait_for_agent(
        self,
        uniqueid: str,
        queue: str,
        topic: str,
        *,
        requirements: tuple[tuple[str, int], ...] = (),
        priority: int = 5,
        preferred_agent: str | None = None,
        waiting_since: float | None = None,
    ) -> Offer:
        """Queue the caller and wait until an agent is chosen (the caller hears music meanwhile).

        Cancelling the wait (the caller hung up) takes the caller out of the queue. A repeat
        caller waits for their last agent first, unless ``preferred_agent`` says who, or they
        were answered already on this call (transferred: not back to the agent they just left).
        ``waiting_since`` (routing clock) keeps the place of a caller who comes back; the caller
        is queued here, once their wait exists, so no decision can offer them to nobody.
        """
        trace = self._trace(uniqueid)
        previous = self._offers.pop(uniqueid, None)
        if previous is not None:
            position = self.router.requeue(previous)
        elif uniqueid not in self.router.calls:
            preferred = preferred_agent
            if preferred is None and trace.answered_at is None:
                preferred = self.repeat_callers.agent_for(trace.caller_number, self.clock.wall())
            since = self.clock.mono() if waiting_since is None else waiting_since
            position = self.router.enqueue(
                uniqueid, queue, since, priority=priority,
                requirements=requirements, preferred_agent=preferred,
            )  # fmt: skip
        else:
            position = self.router.position(uniqueid)
        at = self.clock.wall()
        trace.enter_queue(queue, topic, position, at)
        status = self.queue_status(uniqueid)
        estimate = status[1] if status is not None else None
        self.publisher.publish(CallQueued(at, uniqueid, queue, position, estimate))
        waiter: asyncio.Future[Offer] = asyncio.get_running_loop().create_future()
        self._waiters[uniqueid] = waiter
        self._routable_since[uniqueid] = self.clock.mono()
        self.dispatch()
        try:
            return await waiter
        finally:
            if self._waiters.get(uniqueid) is waiter:
                del self._waiters[uniqueid]
            if not waiter.done() or waiter.cancelled():
                self.router.remove(uniqueid)

    def queue_status(self, uniqueid: str) -> tuple[int, float | None] | None:
        """A waiting caller's place (1 = next) and estimated wait in seconds."""
        call = self.router.calls.get(uniqueid)
        if call is None:
            return None
        # Agents serve every queue: the callers ahead are those of all queues, in routing order.
        position = self.router.overall_position(uniqueid, self.clock.mono())
        serving = sum(1 for a in self.router.agents.values() if a.state not in NOT_SERVING)
        return position, self.handle_times.estimate(position, serving)

    def _estimator(self, queue: str) -> WaitEstimator:
        return self._estimators.setdefault(queue, WaitEstimator())

    def dispatch(self) -> None:
        """Ask the routing core for decisions and carry them out."""
        started = time.perf_counter()
        now = self.clock.mono()
        if self._wake_due is not None and self._wake_due <= now:
            self._woke_at = self._wake_due
        decision = self.router.decide(now)
        self.timings.routing_decided(time.perf_counter() - started)
        self._publish_changes(decision.changes)
        for offer, call in decision.offers:
            self._deliver(offer, call)
        for action in decision.actions:
            self._act(action)
        self._schedule_wake()

    def _act(self, action: CallAction) -> None:
        if action.action == OFFER_CALLBACK:
            self.keys.press(action.call_id, LONG_WAIT_NUDGE)
            return
        target = overflow_target(action.action)
        trace = self.traces.get(action.call_id)
        if target is not None and trace is not None:
            # The routing core has already moved the caller; the record follows.
            position = self.router.position(action.call_id)
            at = self.clock.wall()
            trace.enter_queue(target, trace.topic or target, position, at)
            self.publisher.publish(CallQueued(at, action.call_id, target, position))
        else:
            log.info("call %s: routing action %s is not carried out", action.call_id, action.action)

    def _deliver(self, offer: Offer, call: WaitingCall) -> None:
        if self.callbacks is not None and self.callbacks.owns(offer.call_id):
            self.callbacks.dial(offer, call)
            return
        waiter = self._waiters.get(offer.call_id)
        if waiter is None or waiter.done():
            # The caller left between the decision and now: the agent is free again.
            self._undo_offer(offer, "caller left")
            return
        self._offers[offer.call_id] = call
        # Since when this offer could have been made: both were ready, and any time-based change
        # it waited for (its requirements relaxing) had come.
        since = max(
            self._routable_since.pop(offer.call_id, 0.0),
            self._free_since.get(offer.agent, 0.0),
            self._woke_at,
        )
        self._decided_since[offer.call_id] = (since, self.clock.mono())
        at = self.clock.wall()
        self._trace(offer.call_id).offer(offer.agent, offer.seat, at)
        self.publisher.publish(CallOffered(at, offer.call_id, offer.agent, offer.seat))
        waiter.set_result(offer)

    def _undo_offer(self, offer: Offer, reason: str) -> None:
        change = self.router.call_ended(offer.agent, self.clock.mono())
        self._publish_changes([change] if change else [], reason)

    def _schedule_wake(self) -> None:
        """Decide again when time alone changes something: a rest, a wrap-up or a wait ends."""
        now = self.clock.mono()
        wake = self.router.next_wake(now)
        self._wake_due = wake
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if wake is not None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(max(0.01, wake - now), self.dispatch)

    def offer_sent(self, uniqueid: str, left_room: float | None = None) -> None:
        """Asterisk has been told to ring the agent: the offer's latency is known, and its
        parts: routing (until the caller's session had the offer), the waiting room (until it
        let the caller go: an announcement stopped) and the AGI commands that set up the Dial.
        ``left_room`` is the monotonic time the waiting room returned, if the caller waited."""
        self._settle_dialled(uniqueid)
        clocks = self._decided_since.pop(uniqueid, None)
        stopped = uniqueid in self._stopped_prompt
        self._stopped_prompt.discard(uniqueid)
        if clocks is None:
            return
        since, delivered = clocks
        now = self.clock.mono()
        self.timings.offer_sent(max(0.0, now - since))
        room_end = delivered if left_room is None else max(delivered, left_room)
        self.timings.offer_stages(
            max(0.0, delivered - since), room_end - delivered, max(0.0, now - room_end),
            stopped_prompt=stopped,
        )  # fmt: skip

    def dialled(self, uniqueid: str) -> asyncio.Future[None]:
        """Done once Asterisk has been told to ring the agent for the caller's offer, or the
        call ended; done at once when no offer is on its way. Work that the offer's agent needs
        but the Dial does not (the screen-pop's queries) waits for it: it would otherwise hold
        the GIL in a worker thread while the caller's FastAGI session starts the Dial."""
        future = self._dialled.get(uniqueid)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            if uniqueid in self._decided_since:
                self._dialled[uniqueid] = future
            else:
                future.set_result(None)
        return future

    def _settle_dialled(self, uniqueid: str) -> None:
        future = self._dialled.pop(uniqueid, None)
        if future is not None and not future.done():
            future.set_result(None)

    def prompt_stopped_for_offer(self, uniqueid: str) -> None:
        """The waiting room stopped an announcement for this caller's offer (its latency's
        room part is then Asterisk stopping the prompt, reported apart)."""
        if uniqueid in self._decided_since:
            self._stopped_prompt.add(uniqueid)

    # ---- a waiting caller's choices: keys pressed in the queue, callback, message ------------
    def hold_place(self, uniqueid: str) -> bool:
        """Take a waiting caller out of routing while they choose; False if they were just
        offered an agent (the offer wins)."""
        call = self.router.remove(uniqueid)
        if call is None:
            return False
        self._held[uniqueid] = call
        self._routable_since.pop(uniqueid, None)
        return True

    def resume_place(self, uniqueid: str) -> None:
        """The caller goes on waiting, in the place they held."""
        call = self._held.pop(uniqueid, None)
        if call is None or uniqueid not in self.traces:
            return
        self.router.requeue(call)
        self._routable_since[uniqueid] = self.clock.mono()
        self.dispatch()

    def book_callback(self, uniqueid: str, number: str) -> str | None:
        """Turn a held caller into a queued callback in the same place; its id, or None."""
        call, trace = self._held.pop(uniqueid, None), self.traces.get(uniqueid)
        if call is None or trace is None or self.callbacks is None:
            return None
        callback = self.callbacks.book(trace, call, number)
        trace.leave_queue(Outcome.CALLBACK_REQUESTED, self.clock.wall(), callback=callback.id)
        self.dispatch()
        return callback.id

    def message_left(self, uniqueid: str, audio: str, duration_ms: int) -> None:
        """A held caller left a voice message instead of waiting."""
        self._held.pop(uniqueid, None)
        trace = self.traces.get(uniqueid)
        if trace is None:
            return
        at = self.clock.wall()
        queue, topic = trace.queue or "general", trace.topic or "general"
        trace.leave_queue(Outcome.MESSAGE_LEFT, at, duration_ms=duration_ms)
        self.recorder.record_message(
            VoiceMessage(uniqueid, trace.caller_number, queue, topic, audio, duration_ms, at)
        )
        self.publisher.publish(MessageLeft(at, uniqueid, queue, duration_ms))

    # ---- outcomes of offers (from AMI events and the requeue AGI) ----------------------------
    def offer_failed(self, uniqueid: str, status: str) -> None:
        """The chosen seat did not answer (no answer, busy, unreachable, rejected)."""
        slot = self.router.agent_for_call(uniqueid)
        if slot is not None:
            agent, seat = slot.code, slot.seat
            change = self.router.offer_failed(agent, self.clock.mono(), status)
            if change is not None:
                self.publisher.publish(
                    OfferMissed(self.clock.wall(), uniqueid, agent, seat, status)
                )
            self._publish_changes([change] if change else [])
        trace = self.traces.get(uniqueid)
        if trace is not None and trace.answered_at is None and trace.agent is not None:
            trace.offer_failed(status, self.clock.wall())

    def offer_answered(self, uniqueid: str, seat: str) -> None:
        trace = self.traces.get(uniqueid)
        slot = self.router.agent_for_seat(seat)
        agent = slot.code if slot is not None and slot.call_id == uniqueid else None
        if agent is not None:
            change = self.router.answered(agent)
            self._last_call[agent] = uniqueid
            self._publish_changes([change] if change else [])
        self._offers.pop(uniqueid, None)
        if trace is None:
            return
        at = self.clock.wall()
        trace.answer(agent, seat, at)
        if trace.agent is not None:
            self.repeat_callers.remember(trace.caller_number, trace.agent, at)
        self.publisher.publish(
            CallAnswered(at, uniqueid, trace.agent or "", seat, trace.wait_ms() or 0)
        )

    def fallback_entered(self, uniqueid: str, reason: str) -> None:
        trace = self.traces.get(uniqueid)
        if trace is None or trace.fallback:
            return
        at = self.clock.wall()
        trace.enter_fallback(reason, at)
        self.router.remove(uniqueid)
        log.warning("call %s went to the fallback queue: %s", uniqueid, reason)
        self.publisher.publish(CallFallback(at, uniqueid, reason))

    def channel_ended(self, uniqueid: str, cause: str) -> None:
        """A caller's channel hung up: the call ends and its agent, if any, is free."""
        if self.callbacks is not None:
            self.callbacks.leg_ended(uniqueid, cause)
        self._end_call(uniqueid, cause)
        self.dispatch()

    def _end_call(self, uniqueid: str, cause: str) -> None:
        self.router.remove(uniqueid)
        self._offers.pop(uniqueid, None)
        self._held.pop(uniqueid, None)
        self.keys.forget(uniqueid)
        self._routable_since.pop(uniqueid, None)
        self._decided_since.pop(uniqueid, None)
        self._stopped_prompt.discard(uniqueid)
        self._settle_dialled(uniqueid)
        waiter = self._waiters.pop(uniqueid, None)
        if waiter is not None and not waiter.done():
            waiter.cancel()
        slot = self.router.agent_for_call(uniqueid)
        if slot is not None:
            change = self.router.call_ended(slot.code, self.clock.mono())
            self._publish_changes([change] if change else [])
        trace = self.traces.pop(uniqueid, None)
        if trace is not None:
            self._finish(trace, cause)

    def free_agent_of(self, call_id: str, reason: str) -> None:
        """The agent reserved for ``call_id`` is free again, with no miss counted (the call
        went away, not the agent: a callback's number that did not answer)."""
        slot = self.router.agent_for_call(call_id)
        if slot is not None:
            change = self.router.call_ended(slot.code, self.clock.mono())
            self._publish_changes([change] if change else [], reason)

    def adopt_leg(
        self, leg_id: str, renamed_from: str, call: WaitingCall, trace: CallTrace
    ) -> Offer | None:
        """A new channel (an answered callback leg) takes over ``renamed_from``'s place and
        reserved agent. Returns the offer to carry out, or None when the agent is gone: then
        the leg waits in the queue at the callback's place (``wait_for_agent``)."""
        self.traces[leg_id] = trace
        self._offers[leg_id] = replace(call, call_id=leg_id)
        slot = self.router.rename_call(renamed_from, leg_id)
        if slot is None:
            return None
        at = self.clock.wall()
        trace.offer(slot.code, slot.seat, at)
        self.publisher.publish(CallOffered(at, leg_id, slot.code, slot.seat))
        now = self.clock.mono()
        self._decided_since[leg_id] = (now, now)
        timeout = self.router.policy.for_queue(call.queue).offer_timeout_s
        return Offer(leg_id, slot.code, slot.seat, timeout)

    def seat_channel_ended(self, seat: str) -> None:
        slot = self.router.agent_for_seat(seat)
        if slot is not None and slot.call_id is not None:
            change = self.router.call_ended(slot.code, self.clock.mono())
            self._publish_changes([change] if change else [])
            self.dispatch()

    def seat_busy(self, seat: str, busy: bool) -> None:
        was_busy = seat in self.router.busy_seats
        self.router.set_seat_busy(seat, busy)
        if was_busy and not busy:
            self._seat_released(seat)
            self.dispatch()

    def _seat_released(self, seat: str) -> None:
        """An available agent's seat is idle at last: offers to it are possible from now on,
        and how long Asterisk took to report it is measured on its own."""
        slot = self.router.agent_for_seat(seat)
        if slot is None:
            return
        waiting_since = self._seat_wait.pop(slot.code, None)
        if waiting_since is not None:
            now = self.clock.mono()
            self._free_since[slot.code] = now
            self.timings.seat_released(max(0.0, now - waiting_since))

    def _finish(self, trace: CallTrace, cause: str) -> None:
        at = self.clock.wall()
        trace.end(cause, at)
        record = trace.record()
        if record.talk_ms is not None and trace.queue is not None:
            estimator = self._estimator(trace.queue)
            handle_s = record.talk_ms / 1000 + self.wrapup_s(trace.queue)
            estimator.observe_handle(handle_s)
            self.handle_times.observe_handle(handle_s)
            if record.wait_ms is not None:
                estimator.observe_answer(record.wait_ms / 1000)
        self.recorder.record_call(record)
        self.publisher.publish(
            CallEnded(
                at, trace.uniqueid, record.outcome.value, trace.agent or "",
                record.wait_ms, record.talk_ms,
            )
        )  # fmt: skip

    # ---- reconciliation after an AMI (re)connect ------------------------------------------
    def reconcile(self, live_uniqueids: set[str], busy_seats: set[str]) -> None:
        """Settle what was missed while AMI was away: Asterisk is the source of truth.

        Everything is settled first and routing decided once at the end, so no agent freed
        here is offered to a caller who is also gone.
        """
        for uniqueid in [u for u in self.traces if u not in live_uniqueids]:
            log.info("call %s ended while AMI was away", uniqueid)
            self._end_call(uniqueid, "ended while the controller was not watching")
        for slot in list(self.router.agents.values()):
            if slot.call_id is not None and slot.call_id not in live_uniqueids:
                change = self.router.call_ended(slot.code, self.clock.mono())
                self._publish_changes([change] if change else [], "reconciled")
        self.router.busy_seats = set(busy_seats)
        self.dispatch()

    def _publish_changes(self, changes: list[AgentChange], reason: str = "") -> None:
        at = self.clock.wall()
        for change in changes:
            if change.state == "available" and change.previous != "available":
                self._free_since[change.agent] = self.clock.mono()
                if change.seat in self.router.busy_seats:
                    self._seat_wait[change.agent] = self.clock.mono()
                else:
                    self._seat_wait.pop(change.agent, None)
            event = AgentStateChanged(
                at, change.agent, change.seat, change.previous.value, change.state.value,
                reason or change.reason,
            )  # fmt: skip
            self.publisher.publish(event)
            self.recorder.agent_changed(event)

    def _trace(self, uniqueid: str) -> CallTrace:
        trace = self.traces.get(uniqueid)
        if trace is None:
            raise CallerGone(uniqueid)
        return trace
