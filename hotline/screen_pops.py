"""The screen-pop: when a call is offered to an agent, the caller's context and the policy
entries for the call's topic, published on MQTT (``agents/{agent}/screen-pop``) and kept for
the HTTP API, within a few milliseconds of the offer.

An EventHub sink: it reacts to CallOffered. The store and the index are read in a worker
thread, so a caller's FastAGI session never waits for them, and only once the offer's Dial has
started (the worker's Python would hold the GIL the Dial's round trip needs); a failure costs
the screen-pop (logged), never the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import replace

from hotline.bus import EventHub
from hotline.calls import CallTrace
from hotline.controller import Controller
from hotline.events import CallOffered, Event, PoppedEntry, PoppedOrder, PreviousCall, ScreenPop
from hotline.knowledge import KnowledgeBase, KnowledgeBaseNotReady
from hotline.storage import CallRecord, StepKind, StorageError, Store
from hotline.storage.wo_records import WorkOrderRecord
from ivr.phone_numbers import mask_number

log = logging.getLogger("hotline.screen_pops")

ENTRIES = 5
PREVIOUS_CALLS = 5
WORK_ORDERS = 5
DIAL_WAIT_S = 1.0
"""At most this long the pop waits for the offer's Dial to start before reading the store."""
REMEMBERED_CALLS = 20_000
"""Calls whose topic is kept for marks made after the call (a day's calls, and more)."""


class ScreenPops:
    def __init__(
        self, controller: Controller, knowledge: KnowledgeBase, store: Store, hub: EventHub
    ) -> None:
        self.controller = controller
        self.knowledge = knowledge
        self.store = store
        self.hub = hub
        self._latest: dict[str, tuple[ScreenPop, str]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._topics: dict[str, str] = {}

    def __call__(self, event: Event) -> None:
        if not isinstance(event, CallOffered):
            return
        trace = self.controller.trace(event.call_id)
        if trace is None:
            return
        task = asyncio.get_running_loop().create_task(
            self._pop(event, trace, time.monotonic()), name=f"screen-pop-{event.call_id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def topic_of(self, call_id: str) -> str | None:
        """The topic of a call offered lately (marks made in wrap-up need it)."""
        return self._topics.get(call_id)

    def latest(self, agent: str) -> tuple[ScreenPop, str] | None:
        """The agent's last screen-pop, with the caller's full number."""
        return self._latest.get(agent)

    async def _pop(self, offer: CallOffered, trace: CallTrace, started: float) -> None:
        # The agent's phone rings for a second or more: the offer's Dial goes first.
        with contextlib.suppress(TimeoutError):
            dialled = self.controller.dialled(offer.call_id)
            await asyncio.wait_for(asyncio.shield(dialled), DIAL_WAIT_S)
        try:
            previous, entries, ready = await asyncio.to_thread(self._facts, trace)
            orders = await asyncio.to_thread(self._orders, trace)
        except Exception:
            log.exception("call %s: no screen-pop for agent %s", offer.call_id, offer.agent)
            return
        pop = ScreenPop(
            at=offer.at, agent=offer.agent, call_id=offer.call_id, seat=offer.seat,
            caller_number=mask_number(trace.caller_number), masked_id=trace.masked_id,
            queue=trace.queue or "", ivr_topic=trace.topic or "", ivr_path=_ivr_path(trace),
            previous_calls=previous, entries=entries, kb_ready=ready, offered_at=offer.at,
            assembled_ms=0.0, work_orders=orders,
        )  # fmt: skip
        assembled_ms = round((time.monotonic() - started) * 1000, 1)
        pop = replace(pop, at=self.controller.clock.wall(), assembled_ms=assembled_ms)
        self._latest[offer.agent] = (pop, trace.caller_number)
        self._topics[offer.call_id] = pop.ivr_topic or "general"
        while len(self._topics) > REMEMBERED_CALLS:
            self._topics.pop(next(iter(self._topics)))
        self.hub.publish(pop)

    def _facts(
        self, trace: CallTrace
    ) -> tuple[tuple[PreviousCall, ...], tuple[PoppedEntry, ...], bool]:
        try:
            records = self.store.calls_from(trace.caller_number, trace.arrived_at, PREVIOUS_CALLS)
        except StorageError as exc:
            log.warning("call %s: screen-pop without previous calls: %s", trace.uniqueid, exc)
            records = []
        try:
            found = self.knowledge.topic_entries(trace.topic, ENTRIES)
        except KnowledgeBaseNotReady as exc:
            log.info("call %s: screen-pop without entries: %s", trace.uniqueid, exc)
            return tuple(_previous(r) for r in records), (), False
        entries = tuple(
            PoppedEntry(e.id, e.law_title, e.article_no, e.category, e.excerpt, e.hit_rate)
            for e in found
        )
        return tuple(_previous(r) for r in records), entries, True

    def _orders(self, trace: CallTrace) -> tuple[PoppedOrder, ...]:
        """The caller's work orders not yet closed: what they were told, and where it stands."""
        try:
            records = self.store.work_orders_of(trace.caller_number, WORK_ORDERS)
        except StorageError as exc:
            log.warning("call %s: screen-pop without work orders: %s", trace.uniqueid, exc)
            return ()
        return tuple(_popped_order(r) for r in records)


def _popped_order(record: WorkOrderRecord) -> PoppedOrder:
    due = record.follow_up_due_at
    return PoppedOrder(
        number=record.number, order_type=record.order_type, status=record.status,
        office=record.office, deadline_at=record.deadline_at.isoformat(),
        follow_up_due_at=due.isoformat() if due is not None else "",
    )  # fmt: skip


def _previous(record: CallRecord) -> PreviousCall:
    return PreviousCall(
        at=record.arrived_at.isoformat(), queue=record.queue or "",
        outcome=record.outcome.value, agent=record.agent_code or "",
        disposition=record.disposition or "",
    )  # fmt: skip


def _ivr_path(trace: CallTrace) -> tuple[str, ...]:
    return tuple(str(s.detail.get("node", "")) for s in trace.steps if s.kind is StepKind.IVR_NODE)
