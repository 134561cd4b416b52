"""Back into hotline routing with the case: a caller whose window connection failed after the
agent hung up (the machine's ``returned_to_queue``).

The window desk redirects the caller to the transfer script (``hotline-transfer`` in the
dialplan, shared with blind transfers); the call flow asks ``route_for`` where they go: their
own queue and topic, in their original place (their first arrival, not the time they came
back). When an agent is offered the caller, ``HandoffOffered`` (kind ``window_return``) gives
that agent the case: the summary, the window tried and why it failed, the previous agent.
Without the controller (restarted since), the dialplan's fallback queue takes the caller::

    window desk ──expect──▶ WindowReturns ◀──route_for── call flow (FastAGI ``transfer``)
                                 │ CallOffered (event hub)
                                 ▼
                            HandoffOffered on hotline/v1/transfers/{case_id}/offered
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from hotline.events import CallEnded, CallOffered
from hotline.events import Event as HotlineEvent
from ivr.interpreter import Route
from transfers.events import HandoffOffered
from transfers.machine import WindowTransfer

if TYPE_CHECKING:
    from hotline.controller import Controller

log = logging.getLogger("hotline.window_returns")
KIND = "window_return"


@dataclass(frozen=True)
class Returning:
    """What the next agent needs of the case (the transfer itself is forgotten soon after)."""

    case_id: str
    summary: str
    office: str
    reason: str
    previous_agent: str

    @property
    def note(self) -> str:
        return f"{self.summary}（转{self.office}未成：{self.reason}）"


def original_arrival(mono_now: float, wall_now: datetime, queued_at: datetime | None) -> float:
    """The caller's first arrival in the queue on the routing core's clock: they keep their
    place among those who came after them. Never later than now."""
    if queued_at is None:
        return mono_now
    return mono_now - max(0.0, (wall_now - queued_at).total_seconds())


class WindowReturns:
    def __init__(
        self, controller: Controller, publish: Callable[[HotlineEvent], None], *, queue: str
    ) -> None:
        self.controller, self.publish, self.queue = controller, publish, queue
        self._expected: dict[str, Returning] = {}
        """Caller uniqueid -> case, while the caller is on the way to the transfer script."""
        self._waiting: dict[str, Returning] = {}
        """Caller uniqueid -> case, while the caller waits for (or rings) the next agent."""

    def expect(self, transfer: WindowTransfer) -> None:
        self._expected[transfer.case.call_id] = Returning(
            transfer.case.case_id, transfer.case.summary, transfer.office.name,
            transfer.reason, transfer.agent_id,
        )  # fmt: skip

    def route_for(self, uniqueid: str) -> Route | None:
        """Where the returning caller goes (None: not one of ours), in their original place.
        The call flow queues them once their wait exists (a caller queued here could be offered
        before anyone waits for the offer, and would lose their place)."""
        returning = self._expected.pop(uniqueid, None)
        trace = self.controller.trace(uniqueid)
        if returning is None or trace is None:
            return None
        clock, router = self.controller.clock, self.controller.router
        queue = trace.queue or self.queue
        arrival = original_arrival(clock.mono(), clock.wall(), trace.queued_at)
        self.controller.free_agent_of(uniqueid, KIND)  # never held by the agent who hung up
        router.remove(uniqueid)
        self._waiting[uniqueid] = returning
        log.info("call %s: back from transfer %s into %s, in the place of their first arrival",
                 uniqueid, returning.case_id, queue)  # fmt: skip
        return Route(queue, trace.topic or queue, node=KIND, waiting_since=arrival)

    def __call__(self, event: HotlineEvent) -> None:
        """The event hub's sink: the returning caller offered to an agent, or gone."""
        if isinstance(event, CallOffered) and event.call_id in self._waiting:
            returning = self._waiting[event.call_id]
            trace = self.controller.trace(event.call_id)
            self.publish(
                HandoffOffered(
                    event.at, returning.case_id, event.call_id, KIND, event.agent,
                    returning.previous_agent, returning.note, (trace and trace.topic) or "",
                )
            )  # fmt: skip
        elif isinstance(event, CallEnded):
            self._waiting.pop(event.call_id, None)
            self._expected.pop(event.call_id, None)
