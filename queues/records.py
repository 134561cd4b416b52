"""The routing core's records: agents as it sees them and the decisions it returns."""

from __future__ import annotations

from dataclasses import dataclass, field

from queues.agent_states import AgentState
from queues.skills import DEFAULT_OFFER_TIMEOUT_S
from queues.waiting import WaitingCall


@dataclass(eq=False)
class AgentSlot:
    code: str
    seat: str
    state: AgentState
    idle_since: float
    """Since when the agent has been available: the key of longest-idle routing."""
    call_id: str | None = None
    """The call offered to or talking with the agent (None from the end of the call on)."""
    rest_until: float = 0.0
    """After a failed offer the agent is skipped until then, so a dead seat cannot loop."""
    skills: dict[str, int] = field(default_factory=dict)
    pause_reason: str | None = None
    pending_pause: str | None = None
    """A pause asked for during an offer or a call; applied when the call and wrap-up end."""
    misses: int = 0
    """Offers missed in a row; an answered offer or an unpause resets it."""
    wrapup_until: float | None = None
    queue: str | None = None
    """The queue of the current or last call (its wrap-up time and miss limit apply)."""
    last_call_id: str | None = None


@dataclass(frozen=True)
class Offer:
    call_id: str
    agent: str
    seat: str
    timeout_s: float = DEFAULT_OFFER_TIMEOUT_S
    """How long to ring the seat (the queue's offer_timeout_s) before reporting offer_failed."""


@dataclass(frozen=True)
class AgentChange:
    agent: str
    seat: str
    previous: AgentState
    state: AgentState
    reason: str
    disposition: str | None = None


@dataclass(frozen=True)
class CallAction:
    """Something the controller should do for a waiting call: "offer_callback" (ask the caller
    whether to be called back) or "overflow:<queue>" (the router has already moved the call to
    that queue; tell the caller or the wallboard)."""

    call_id: str
    action: str


@dataclass
class Decision:
    offers: list[tuple[Offer, WaitingCall]] = field(default_factory=list)
    changes: list[AgentChange] = field(default_factory=list)
    actions: list[CallAction] = field(default_factory=list)


class RoutingError(Exception):
    """A request the routing core cannot honour (unknown agent, seat taken, ...)."""
