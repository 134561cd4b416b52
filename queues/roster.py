"""The agents' side of the routing core: who is logged in at which seat, in which state, and
the lifecycle around the state table (offers and their outcomes, wrap-up, pauses with reasons,
pending pauses, missed offers). Pure: every method takes ``now``; nothing reads a clock.

``Router`` builds on this with the waiting calls and the decisions.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping

from queues.agent_states import HOLDING_A_CALL, AgentEvent, AgentState, next_state
from queues.records import AgentChange, AgentSlot, RoutingError
from queues.skills import QueuePolicy, RoutingPolicy, skill_levels

S, E = AgentState, AgentEvent
MISSED_OFFERS = "missed offers"


class Roster:
    def __init__(self, policy: RoutingPolicy, failed_offer_rest_s: float) -> None:
        self.policy = policy
        self.failed_offer_rest_s = failed_offer_rest_s
        self.agents: dict[str, AgentSlot] = {}
        self._busy: set[str] = set()
        self._seats: dict[str, str] = {}
        self._holding: dict[str, str] = {}
        self._available: dict[str, AgentSlot] = {}
        self._wrapups: list[tuple[float, str]] = []

    @property
    def busy_seats(self) -> set[str]:
        return self._busy

    @busy_seats.setter
    def busy_seats(self, seats: Iterable[str]) -> None:
        self._busy = set(seats)

    # ---- agents -------------------------------------------------------------------------
    def login(
        self, agent: str, seat: str, now: float, skills: Mapping[str, int] | None = None
    ) -> AgentChange:
        """Log in (or, while available, move seat or change skills; None keeps them)."""
        holder = self.agent_for_seat(seat)
        if holder is not None and holder.code != agent:
            raise RoutingError(f"seat {seat} is already taken by agent {holder.code}")
        slot = self.agents.get(agent)
        if slot is not None and slot.state is not S.AVAILABLE:
            raise RoutingError(f"agent {agent} is {slot.state}; log in again when available")
        levels = skill_levels(skills) if skills is not None else dict(slot.skills if slot else {})
        previous = slot.state if slot else S.LOGGED_OUT
        state = next_state(agent, previous, E.LOGIN)
        if slot is not None:
            self._forget(slot)
        fresh = AgentSlot(agent, seat, S.LOGGED_OUT, idle_since=now, skills=levels)
        self.agents[agent] = fresh
        self._seats[seat] = agent
        self._set(fresh, state)
        return AgentChange(agent, seat, previous, state, "login")

    def logout(self, agent: str) -> AgentChange:
        slot = self._slot(agent)
        change = self._apply(slot, E.LOGOUT, "logout")
        self._forget(slot)
        return change

    def pause(self, agent: str, reason: str, now: float) -> AgentChange | None:
        """Pause with a reason; during an offer or a call the pause waits for its end (None)."""
        slot = self._slot(agent)
        if slot.state in HOLDING_A_CALL:
            slot.pending_pause = reason
            return None
        return self._pause(slot, reason, slot.state, "")

    def unpause(self, agent: str, now: float) -> AgentChange | None:
        """Back to available; a pending pause is cancelled instead (None)."""
        slot = self._slot(agent)
        if slot.pending_pause is not None:
            slot.pending_pause = None
            return None
        if slot.state is not S.PAUSED:
            return None
        change = self._apply(slot, E.UNPAUSE, "unpause")
        slot.pause_reason, slot.misses, slot.idle_since, slot.rest_until = None, 0, now, 0.0
        return change

    def set_seat_busy(self, seat: str, busy: bool) -> None:
        """Asterisk's device state for the seat: busy means ringing, on a call or unreachable."""
        if busy:
            self._busy.add(seat)
        else:
            self._busy.discard(seat)

    def answered(self, agent: str) -> AgentChange | None:
        slot = self.agents.get(agent)
        if slot is None or slot.state is not S.OFFERED:
            return None
        slot.misses = 0
        return self._apply(slot, E.ANSWER, f"answered {slot.call_id}")

    def offer_failed(self, agent: str, now: float, reason: str) -> AgentChange | None:
        """The seat did not take the offer. After the queue's max_misses in a row the agent is
        paused ("missed offers"); before that they rest failed_offer_rest_s."""
        slot = self.agents.get(agent)
        if slot is None or slot.state is not S.OFFERED:
            return None
        self._drop_call(slot)
        slot.misses += 1
        if slot.misses >= self._policy_of(slot).max_misses:
            slot.pending_pause = None
            change = self._apply(slot, E.MISSED, f"{reason}; pause: {MISSED_OFFERS}")
            slot.pause_reason = MISSED_OFFERS
            return change
        self._set(slot, next_state(agent, S.OFFERED, E.OFFER_FAILED))
        slot.idle_since, slot.rest_until = now, now + self.failed_offer_rest_s
        return self._freed(slot, S.OFFERED, reason)

    def call_ended(self, agent: str, now: float) -> AgentChange | None:
        """The agent's call is over: wrap-up after a talk, available after a ring."""
        slot = self.agents.get(agent)
        if slot is None or slot.state not in HOLDING_A_CALL:
            return None
        previous, reason = slot.state, f"ended {slot.call_id}"
        self._drop_call(slot)
        self._set(slot, next_state(agent, previous, E.CALL_ENDED))
        if previous is S.OFFERED:
            slot.idle_since = now
            return self._freed(slot, previous, reason)
        wrapup_s = self._policy_of(slot).wrapup_s
        if wrapup_s <= 0:
            return self._end_wrapup(slot, now, previous, reason)
        slot.wrapup_until = now + wrapup_s
        heapq.heappush(self._wrapups, (slot.wrapup_until, agent))
        return AgentChange(agent, slot.seat, previous, slot.state, reason)

    def wrapup_done(
        self, agent: str, now: float, disposition: str | None = None
    ) -> AgentChange | None:
        """The agent ends wrap-up early, with the call's disposition (carried in the change)."""
        slot = self.agents.get(agent)
        if slot is None or slot.state is not S.WRAP_UP:
            return None
        reason = "wrap-up done" if disposition is None else f"wrap-up done: {disposition}"
        return self._end_wrapup(slot, now, S.WRAP_UP, reason, disposition)

    def rename_call(self, old: str, new: str) -> AgentSlot | None:
        """The call an agent holds got a new id (a callback's id becomes its answered leg's)."""
        code = self._holding.pop(old, None)
        if code is None:
            return None
        slot = self.agents[code]
        slot.call_id = slot.last_call_id = new
        self._holding[new] = code
        return slot

    def agent_for_seat(self, seat: str) -> AgentSlot | None:
        code = self._seats.get(seat)
        return None if code is None else self.agents[code]

    def agent_for_call(self, call_id: str) -> AgentSlot | None:
        code = self._holding.get(call_id)
        return None if code is None else self.agents[code]

    # ---- for the router -------------------------------------------------------------------
    def _free_agents(self, now: float) -> list[AgentSlot]:
        """Available, seat not busy in Asterisk, not resting after a failed offer."""
        return [
            a for a in self._available.values() if a.rest_until <= now and a.seat not in self._busy
        ]

    def _hand(self, slot: AgentSlot, call_id: str, queue: str) -> AgentChange:
        """Offer the call to the (free) agent."""
        change = self._apply(slot, E.OFFER, f"offer {call_id}")
        slot.call_id = slot.last_call_id = call_id
        slot.queue = queue
        self._holding[call_id] = slot.code
        return change

    def _next_rest_end(self, now: float) -> float | None:
        return min(
            (a.rest_until for a in self._available.values() if a.rest_until > now), default=None
        )

    def _end_wrapups(self, now: float, changes: list[AgentChange]) -> None:
        while self._wrapups and self._wrapups[0][0] <= now:
            until, code = heapq.heappop(self._wrapups)
            slot = self.agents.get(code)
            if slot is not None and slot.state is S.WRAP_UP and slot.wrapup_until == until:
                changes.append(self._end_wrapup(slot, until, S.WRAP_UP, "wrap-up ended"))

    def _next_wrapup_end(self) -> float | None:
        while self._wrapups:
            until, code = self._wrapups[0]
            slot = self.agents.get(code)
            if slot is not None and slot.state is S.WRAP_UP and slot.wrapup_until == until:
                return until
            heapq.heappop(self._wrapups)
        return None

    # ---- agent bookkeeping ---------------------------------------------------------------
    def _end_wrapup(
        self,
        slot: AgentSlot,
        at: float,
        previous: AgentState,
        reason: str,
        disposition: str | None = None,
    ) -> AgentChange:
        slot.wrapup_until = None
        if slot.pending_pause is not None:
            return self._pause(slot, slot.pending_pause, previous, reason)
        self._set(slot, next_state(slot.code, slot.state, E.WRAP_UP_DONE))
        slot.idle_since = at
        return AgentChange(slot.code, slot.seat, previous, slot.state, reason, disposition)

    def _freed(self, slot: AgentSlot, previous: AgentState, reason: str) -> AgentChange:
        """An agent just made available: a pending pause applies now."""
        if slot.pending_pause is not None:
            return self._pause(slot, slot.pending_pause, previous, reason)
        return AgentChange(slot.code, slot.seat, previous, slot.state, reason)

    def _pause(
        self, slot: AgentSlot, pause_reason: str, previous: AgentState, prefix: str
    ) -> AgentChange:
        self._set(slot, next_state(slot.code, slot.state, E.PAUSE))
        slot.pause_reason, slot.pending_pause, slot.wrapup_until = pause_reason, None, None
        reason = f"pause: {pause_reason}" if not prefix else f"{prefix}; pause: {pause_reason}"
        return AgentChange(slot.code, slot.seat, previous, slot.state, reason)

    def _apply(self, slot: AgentSlot, event: AgentEvent, reason: str) -> AgentChange:
        previous = slot.state
        self._set(slot, next_state(slot.code, previous, event))
        return AgentChange(slot.code, slot.seat, previous, slot.state, reason)

    def _set(self, slot: AgentSlot, state: AgentState) -> None:
        slot.state = state
        if state is S.AVAILABLE:
            self._available[slot.code] = slot
        else:
            self._available.pop(slot.code, None)

    def _drop_call(self, slot: AgentSlot) -> None:
        if slot.call_id is not None:
            self._holding.pop(slot.call_id, None)
        slot.call_id = None

    def _forget(self, slot: AgentSlot) -> None:
        self._drop_call(slot)
        self._available.pop(slot.code, None)
        self._seats.pop(slot.seat, None)
        self.agents.pop(slot.code, None)

    def _policy_of(self, slot: AgentSlot) -> QueuePolicy:
        return self.policy.for_queue(slot.queue or "")

    def _slot(self, agent: str) -> AgentSlot:
        try:
            return self.agents[agent]
        except KeyError:
            raise RoutingError(f"agent {agent} is not logged in") from None
