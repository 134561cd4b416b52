"""Queued callbacks carried out: the caller's place kept in the routing core, the number dialled
when that place comes up and an agent is free, retries, and a cap on outbound legs.

The callback's states are the pure table in ``queues.callbacks``; this module applies it to what
happens (an offer from the routing core, the Originate's outcome, the leg's hang-up) and keeps
the store and the bus told. Every change is saved, and open callbacks are restored into the
queue when the controller starts, so a restart never loses one.

Dialling is customer first: the agent is reserved (offered) while the caller's phone rings for
at most ``ring_s``; when the caller answers, the leg's FastAGI script (``callback``) asks
``answered`` for the reserved agent and the dialplan rings the seat as for any caller.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from hotline.calls import CallTrace
from hotline.events import CallbackChanged
from hotline.storage import StepKind
from ivr.phone_numbers import mask_number
from queues import callbacks as cb
from queues.router import Offer, WaitingCall
from queues.skills import parse_requirements

if TYPE_CHECKING:
    from hotline.controller import Controller

DEFAULT_PRIORITY = 5
FOLLOW_UP_QUEUE = "general"
FOLLOW_UP_TOPIC = "回访:"
"""A follow-up call's topic is this and the work order's number (what the agent sees)."""
log = logging.getLogger("hotline.callbacks")

WATCHDOG_MARGIN_S = 20.0
"""How long past the ring time a dialled leg may stay unexplained before it counts as failed."""


class Dialer(Protocol):
    """Places the outbound leg (AMI Originate in production); outcomes come back through
    ``CallbackDesk.leg_failed`` and the ``callback`` FastAGI script."""

    def dial(self, leg_id: str, number: str, callback_id: str, ring_s: float) -> None: ...


class CallbackStore(Protocol):
    def save_callback(self, callback: cb.Callback) -> None: ...


class CallbackDesk:
    def __init__(
        self,
        controller: Controller,
        dialer: Dialer,
        store: CallbackStore,
        policy: cb.CallbackPolicy,
    ) -> None:
        self.controller = controller
        self.dialer = dialer
        self.store = store
        self.policy = policy
        self._open: dict[str, tuple[cb.Callback, WaitingCall]] = {}
        self._legs: dict[str, str] = {}
        """Outbound legs in use (dialling, or answered and not yet hung up) -> callback id."""
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._scheduled: dict[str, cb.Callback] = {}
        """Callbacks booked for later (out of hours), by id, until their time comes."""
        self._update_capacity()

    @property
    def legs_in_use(self) -> int:
        return len(self._legs)

    def owns(self, call_id: str) -> bool:
        return call_id in self._open

    def get(self, callback_id: str) -> cb.Callback | None:
        entry = self._open.get(callback_id)
        return self._scheduled.get(callback_id) if entry is None else entry[0]

    # ---- booking and restoring --------------------------------------------------------------
    def book(self, trace: CallTrace, call: WaitingCall, number: str) -> cb.Callback:
        """The caller (taken out of routing) becomes a callback in the same place."""
        at = self._now()
        callback = cb.Callback(
            id=f"cb-{trace.uniqueid}",
            call_uniqueid=trace.uniqueid,
            number=number,
            queue=call.queue,
            topic=trace.topic or call.queue,
            priority=call.priority,
            requirements=tuple((r.skill, r.min_proficiency) for r in call.requirements),
            queued_at=trace.queued_at or at,
            requested_at=at,
            updated_at=at,
        )
        position = self.controller.router.as_callback(call, callback.id)
        self._open[callback.id] = (callback, self.controller.router.calls[callback.id])
        self._changed(callback, f"requested at position {position}")
        return callback

    def schedule(self, trace: CallTrace, number: str, queue: str, topic: str,
                 due: datetime) -> cb.Callback:  # fmt: skip
        """A callback for later (out of hours): it joins the queue when ``due`` comes."""
        return self._for_later(f"cb-{trace.uniqueid}", trace.uniqueid, number, queue=queue,
                               topic=topic, due=due)  # fmt: skip

    def follow_up(
        self, order_number: str, version: int, case_id: str, number: str, due: datetime
    ) -> cb.Callback:
        """A resolved work order's follow-up call (回访): dialled like any callback when ``due``
        comes; the agent's screen-pop names the order (its topic). Once per resolution."""
        callback_id = f"cb-fu-{order_number}-v{version}"
        known = self.get(callback_id)
        if known is not None:
            return known
        topic = f"{FOLLOW_UP_TOPIC}{order_number}"
        return self._for_later(callback_id, case_id, number, queue=FOLLOW_UP_QUEUE, topic=topic,
                               due=due)  # fmt: skip

    def _for_later(self, callback_id: str, call_uniqueid: str, number: str, *, queue: str,
                   topic: str, due: datetime) -> cb.Callback:  # fmt: skip
        at = self._now()
        callback = cb.Callback(
            id=callback_id, call_uniqueid=call_uniqueid, number=number,
            queue=queue, topic=topic, priority=DEFAULT_PRIORITY, requirements=(),
            queued_at=due, requested_at=at, updated_at=at, due_at=due,
        )  # fmt: skip
        self._changed(callback, f"scheduled for {due.isoformat(timespec='minutes')}")
        self._wait_until_due(callback)
        return callback

    def _wait_until_due(self, callback: cb.Callback) -> None:
        assert callback.due_at is not None
        self._scheduled[callback.id] = callback
        delay = max(0.0, (callback.due_at - self._now()).total_seconds())
        self._later(callback.id, delay, self._due, callback.id)

    def _due(self, callback_id: str) -> None:
        callback = self._scheduled.pop(callback_id, None)
        if callback is not None:
            self.restore([callback])

    def restore(self, callbacks: list[cb.Callback]) -> None:
        """Open callbacks from the store (after a restart) go back into their places; callbacks
        booked for later wait for their time."""
        now_wall, now_mono = self._now(), self.controller.clock.mono()
        for stored in callbacks:
            callback = _ready_to_wait(stored, now_wall)
            if callback is None or callback.id in self._open:
                continue
            if callback.due_at is not None and callback.due_at > now_wall:
                if callback.id not in self._scheduled:
                    self._wait_until_due(callback)
                continue
            waited = max(0.0, (now_wall - callback.queued_at).total_seconds())
            call = WaitingCall(
                callback.id, callback.queue, callback.priority, now_mono - waited, 0,
                parse_requirements(callback.requirements), callback=True,
            )  # fmt: skip
            self.controller.router.restore(call)
            self._open[callback.id] = (callback, self.controller.router.calls[callback.id])
            self._changed(callback, "restored after a restart")
        if callbacks:
            log.info("%d open callback(s) restored into their queues", len(self._open))
            self.controller.dispatch()

    # ---- dialling -----------------------------------------------------------------------------
    def dial(self, offer: Offer, call: WaitingCall) -> None:
        """The routing core reserved an agent for the callback: dial the caller."""
        callback, _ = self._open[offer.call_id]
        callback = cb.dial(callback, offer.agent, self._now())
        leg = callback.leg_uniqueid or callback.leg_id()
        self._open[callback.id] = (callback, call)
        self._legs[leg] = callback.id
        self._update_capacity()
        self._changed(callback, f"dialling, attempt {callback.attempts}, agent {offer.agent}")
        self._later(leg, self.policy.ring_s + WATCHDOG_MARGIN_S, self._watchdog, leg)
        self.dialer.dial(leg, callback.number, callback.id, self.policy.ring_s)

    def answered(self, leg_id: str, trace: CallTrace) -> Offer | None:
        """The caller answered the leg: the leg takes the callback's reserved agent (None when
        the leg is not a callback we are dialling, or the agent has gone: see adopt_leg)."""
        callback_id = self._legs.get(leg_id)
        entry = self._open.get(callback_id or "")
        if entry is None or entry[0].status is not cb.C.DIALLING:
            return None
        callback, call = entry
        self._cancel_timer(leg_id)
        callback = cb.answered(callback, self._now())
        del self._open[callback.id]
        self._changed(callback, f"answered on attempt {callback.attempts}")
        trace.in_ivr = False
        trace.step(StepKind.CALLBACK, self._now(), callback=callback.id, attempt=callback.attempts)
        trace.enter_queue(callback.queue, callback.topic, 1, self._now())
        return self.controller.adopt_leg(leg_id, callback.id, call, trace)

    def is_leg(self, uniqueid: str) -> bool:
        return uniqueid in self._legs

    def callback_of_leg(self, leg_id: str) -> cb.Callback | None:
        return self.get(self._legs.get(leg_id, ""))

    def leg_failed(self, leg_id: str, reason: str) -> None:
        """The attempt did not reach the caller: free the agent, retry later or give up."""
        callback_id = self._legs.get(leg_id)
        entry = self._open.get(callback_id or "")
        if entry is None or entry[0].status is not cb.C.DIALLING or entry[0].leg_uniqueid != leg_id:
            return
        del self._legs[leg_id]
        self._cancel_timer(leg_id)
        callback, call = entry
        self.controller.free_agent_of(callback.id, f"callback not answered: {reason}")
        callback = cb.not_answered(callback, reason, self.policy, self._now())
        if callback.status is cb.C.RETRY_WAIT:
            self._open[callback.id] = (callback, call)
            self._later(callback.id, self.policy.retry_after_s, self._retry, callback.id)
            self._changed(callback, f"{reason}; retry in {self.policy.retry_after_s:.0f} s")
        else:
            del self._open[callback.id]
            self._changed(callback, f"{reason}; no attempts left")
        self._update_capacity()
        self.controller.dispatch()

    def leg_ended(self, uniqueid: str, cause: str) -> None:
        """A channel hung up: a leg still ringing failed; an answered one frees its line."""
        if uniqueid not in self._legs:
            return
        callback_id = self._legs[uniqueid]
        entry = self._open.get(callback_id)
        if entry is not None and entry[0].status is cb.C.DIALLING:
            self.leg_failed(uniqueid, cause or "hung up before answering")
            return
        del self._legs[uniqueid]
        self._update_capacity()

    def cancel(self, callback_id: str, reason: str) -> cb.Callback:
        """Withdraw a callback not being dialled (InvalidCallbackTransition while it is)."""
        if callback_id in self._scheduled:  # booked for later, not in a queue yet
            cancelled = cb.cancel(self._scheduled.pop(callback_id), reason, self._now())
            self._cancel_timer(callback_id)
            self._changed(cancelled, reason)
            return cancelled
        callback, _ = self._open[callback_id]
        cancelled = cb.cancel(callback, reason, self._now())
        self.controller.router.remove(callback_id)
        self._cancel_timer(callback_id)
        del self._open[callback_id]
        self._changed(cancelled, reason)
        return cancelled

    # ---- time ---------------------------------------------------------------------------------
    def _watchdog(self, leg_id: str) -> None:
        self.leg_failed(leg_id, "no outcome from Asterisk in time")

    def _retry(self, callback_id: str) -> None:
        self._timers.pop(callback_id, None)
        entry = self._open.get(callback_id)
        if entry is None or entry[0].status is not cb.C.RETRY_WAIT:
            return
        callback, call = entry
        callback = cb.retry_due(callback, self._now())
        self.controller.router.restore(call)
        self._open[callback.id] = (callback, self.controller.router.calls[callback.id])
        self._changed(callback, "back in the queue for another attempt")
        self.controller.dispatch()

    def _later(self, key: str, delay: float, action: Callable[[str], None], arg: str) -> None:
        self._cancel_timer(key)
        self._timers[key] = asyncio.get_running_loop().call_later(delay, action, arg)

    def _cancel_timer(self, key: str) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    # ---- bookkeeping --------------------------------------------------------------------------
    def _update_capacity(self) -> None:
        self.controller.router.callback_capacity = max(0, self.policy.max_legs - len(self._legs))

    def _changed(self, callback: cb.Callback, detail: str) -> None:
        self.store.save_callback(callback)
        masked = mask_number(callback.number)
        log.info("callback %s (%s): %s, %s", callback.id, masked, callback.status, detail)
        self.controller.publisher.publish(
            CallbackChanged(
                self._now(), callback.id, callback.call_uniqueid, callback.status.value, masked,
                callback.queue, callback.attempts, detail,
            )
        )  # fmt: skip

    def _now(self) -> datetime:
        return self.controller.clock.wall()


def _ready_to_wait(callback: cb.Callback, at: datetime) -> cb.Callback | None:
    """A stored open callback, back to waiting (a leg in progress at a restart is beyond our
    reach, a retry wait is over); None if it is not open."""
    if callback.status is cb.C.DIALLING:
        return cb.agent_lost(callback, at)
    if callback.status is cb.C.RETRY_WAIT:
        return cb.retry_due(callback, at)
    return callback if callback.status is cb.C.WAITING else None
