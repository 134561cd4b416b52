"""The routing core: which free agent takes which waiting caller. Pure: facts in, decisions out.

This is the foundation's rule (longest-waiting caller to the longest-idle free agent); the
skills-routing issue replaces ``_eligible`` and the order with skills, proficiency and priority.
A seat must be free in Asterisk (device state) as well as in our books: a seat already ringing
or on a call, for example from the fallback queue, is never offered another caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from queues.agent_states import AgentEvent, AgentState, next_state


@dataclass(frozen=True)
class WaitingCall:
    call_id: str
    queue: str
    priority: int
    enqueued_at: float
    seq: int

    @property
    def order(self) -> tuple[int, float, int]:
        # Lower priority numbers first, then arrival: OpenACD's (priority, arrival) key.
        return (self.priority, self.enqueued_at, self.seq)


@dataclass
class AgentSlot:
    code: str
    seat: str
    state: AgentState
    idle_since: float
    call_id: str | None = None
    rest_until: float = 0.0
    """After a failed offer the agent is skipped until then, so a dead seat cannot loop."""


@dataclass(frozen=True)
class Offer:
    call_id: str
    agent: str
    seat: str


@dataclass(frozen=True)
class AgentChange:
    agent: str
    seat: str
    previous: AgentState
    state: AgentState
    reason: str


class RoutingError(Exception):
    """A request the routing core cannot honour (unknown agent, seat taken, ...)."""


@dataclass
class Router:
    calls: dict[str, WaitingCall] = field(default_factory=dict)
    agents: dict[str, AgentSlot] = field(default_factory=dict)
    busy_seats: set[str] = field(default_factory=set)
    failed_offer_rest_s: float = 5.0
    _seq: int = 0

    # ---- agents -------------------------------------------------------------------------
    def login(self, agent: str, seat: str, now: float) -> AgentChange:
        holder = self._agent_at_seat(seat)
        if holder is not None and holder.code != agent:
            raise RoutingError(f"seat {seat} is already taken by agent {holder.code}")
        slot = self.agents.get(agent)
        if slot is not None and slot.state not in {AgentState.LOGGED_OUT, AgentState.AVAILABLE}:
            raise RoutingError(f"agent {agent} is {slot.state}; log in again after the call")
        previous = slot.state if slot else AgentState.LOGGED_OUT
        state = next_state(agent, previous, AgentEvent.LOGIN)
        self.agents[agent] = AgentSlot(agent, seat, state, idle_since=now)
        return AgentChange(agent, seat, previous, state, "login")

    def logout(self, agent: str) -> AgentChange:
        slot = self._slot(agent)
        change = self._apply(slot, AgentEvent.LOGOUT, "logout")
        del self.agents[agent]
        return change

    def set_seat_busy(self, seat: str, busy: bool) -> None:
        """Asterisk's device state for the seat: busy means ringing, on a call or unreachable."""
        if busy:
            self.busy_seats.add(seat)
        else:
            self.busy_seats.discard(seat)

    # ---- callers ------------------------------------------------------------------------
    def enqueue(self, call_id: str, queue: str, now: float, priority: int = 5) -> int:
        """Add a caller; returns its position (1 is next)."""
        self._seq += 1
        self.calls[call_id] = WaitingCall(call_id, queue, priority, now, self._seq)
        return self.position(call_id)

    def requeue(self, call: WaitingCall) -> int:
        """Put back a caller whose offer failed, keeping its original place (the head)."""
        self.calls[call.call_id] = call
        return self.position(call.call_id)

    def remove(self, call_id: str) -> WaitingCall | None:
        return self.calls.pop(call_id, None)

    def position(self, call_id: str) -> int:
        ordered = sorted(self.calls.values(), key=lambda c: c.order)
        return 1 + next(i for i, c in enumerate(ordered) if c.call_id == call_id)

    # ---- decisions ----------------------------------------------------------------------
    def decide(self, now: float) -> tuple[list[tuple[Offer, WaitingCall]], list[AgentChange]]:
        """Pair waiting callers with free agents, oldest caller first, longest idle first."""
        offers: list[tuple[Offer, WaitingCall]] = []
        changes: list[AgentChange] = []
        free = sorted(self._free_agents(now), key=lambda a: (a.idle_since, a.code))
        for call in sorted(self.calls.values(), key=lambda c: c.order):
            if not free:
                break
            slot = free.pop(0)
            changes.append(self._apply(slot, AgentEvent.OFFER, f"offer {call.call_id}"))
            slot.call_id = call.call_id
            del self.calls[call.call_id]
            offers.append((Offer(call.call_id, slot.code, slot.seat), call))
        return offers, changes

    def answered(self, agent: str) -> AgentChange | None:
        slot = self.agents.get(agent)
        if slot is None or slot.state is not AgentState.OFFERED:
            return None
        return self._apply(slot, AgentEvent.ANSWER, f"answered {slot.call_id}")

    def offer_failed(self, agent: str, now: float, reason: str) -> AgentChange | None:
        slot = self.agents.get(agent)
        if slot is None or slot.state is not AgentState.OFFERED:
            return None
        slot.rest_until = now + self.failed_offer_rest_s
        return self._free(slot, AgentEvent.OFFER_FAILED, now, reason)

    def call_ended(self, agent: str, now: float) -> AgentChange | None:
        slot = self.agents.get(agent)
        if slot is None or slot.state not in {AgentState.OFFERED, AgentState.ON_CALL}:
            return None
        return self._free(slot, AgentEvent.CALL_ENDED, now, f"ended {slot.call_id}")

    def agent_for_seat(self, seat: str) -> AgentSlot | None:
        return self._agent_at_seat(seat)

    def agent_for_call(self, call_id: str) -> AgentSlot | None:
        return next((a for a in self.agents.values() if a.call_id == call_id), None)

    # ---- internals ----------------------------------------------------------------------
    def next_rest_end(self, now: float) -> float | None:
        """When the next resting agent becomes offerable again (to decide again then)."""
        ends = [a.rest_until for a in self.agents.values() if a.rest_until > now]
        return min(ends) if ends else None

    def _free_agents(self, now: float) -> list[AgentSlot]:
        return [
            a
            for a in self.agents.values()
            if a.state is AgentState.AVAILABLE
            and a.seat not in self.busy_seats
            and a.rest_until <= now
        ]

    def _free(self, slot: AgentSlot, event: AgentEvent, now: float, reason: str) -> AgentChange:
        change = self._apply(slot, event, reason)
        slot.call_id = None
        slot.idle_since = now
        return change

    def _apply(self, slot: AgentSlot, event: AgentEvent, reason: str) -> AgentChange:
        previous = slot.state
        slot.state = next_state(slot.code, previous, event)
        return AgentChange(slot.code, slot.seat, previous, slot.state, reason)

    def _slot(self, agent: str) -> AgentSlot:
        try:
            return self.agents[agent]
        except KeyError:
            raise RoutingError(f"agent {agent} is not logged in") from None

    def _agent_at_seat(self, seat: str) -> AgentSlot | None:
        return next((a for a in self.agents.values() if a.seat == seat), None)
