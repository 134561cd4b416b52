"""The routing core: which free agent takes which waiting caller. Pure: facts in, decisions out.

Every method takes the time it needs as ``now`` (monotonic seconds); nothing reads a clock,
awaits or does I/O. ``decide(now)`` is run on every event and returns offers, agent state
changes (wrap-ups that ended) and call actions (relax rules with an action that came due).

How ``decide`` chooses:

1. A call whose *preferred agent* (a repeat caller's last agent) is free gets that agent.
2. The other calls are taken in routing order across all queues: (effective priority,
   enqueued_at, seq), where effective priority = priority - minutes waited x the queue's
   priority_aging_per_min. Each takes the best free agent eligible for it by its queue's
   strategy; eligible means meeting the call's requirements as relaxed by the queue's rules whose
   after_s has passed. A call with no eligible free agent is passed over, so an agent no earlier
   call can use goes to a later one (no head-of-line blocking). A call still within its
   preferred agent's wait (preferred_agent_wait_s, while that agent is logged in and not paused)
   takes nobody else.

Free means: available, seat not busy in Asterisk (ringing, on a call or unreachable), and not
resting after a failed offer. Offered, on-call, wrap-up and paused agents are never free.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from queues.agent_states import AgentState
from queues.records import AgentChange, AgentSlot, CallAction, Decision, Offer, RoutingError
from queues.roster import MISSED_OFFERS, Roster
from queues.skills import (
    OFFER_CALLBACK,
    QueuePolicy,
    RelaxRule,
    Requirements,
    RoutingPolicy,
    overflow_target,
    parse_requirements,
)
from queues.strategies import FreeAgents, Ranked, pick, rank
from queues.waiting import CallBook, WaitingCall

__all__ = [
    "MISSED_OFFERS",
    "AgentChange",
    "AgentSlot",
    "CallAction",
    "Decision",
    "Offer",
    "Router",
    "RoutingError",
    "WaitingCall",
]

S = AgentState
DEFAULT_POLICY = RoutingPolicy()


class Router(Roster):
    """The routing core: the agents (see Roster), the waiting calls and the decisions."""

    def __init__(
        self, policy: RoutingPolicy = DEFAULT_POLICY, failed_offer_rest_s: float = 5.0
    ) -> None:
        super().__init__(policy, failed_offer_rest_s)
        self._book = CallBook(policy)
        self._last_offered: dict[str, str] = {}
        # The requirements of each kind of call (see CallBook.kinds) at each relax stage.
        self._relaxed: dict[tuple[int, int], Requirements] = {}
        self._seq = 0
        self.callback_capacity: int | None = None
        """How many callback calls may be offered now (each one dials an outbound leg);
        None: no limit. The controller sets it from the legs in use."""

    @property
    def calls(self) -> dict[str, WaitingCall]:
        """The waiting calls by id (read only: change them through the methods)."""
        return self._book.calls

    # ---- callers ------------------------------------------------------------------------
    def enqueue(
        self,
        call_id: str,
        queue: str,
        now: float,
        *,
        priority: int = 5,
        requirements: Iterable[tuple[str, int]] = (),
        preferred_agent: str | None = None,
        callback: bool = False,
    ) -> int:
        """Add a caller; returns its position in its queue (1 is next). Lower priority first."""
        self._not_held(call_id)
        self._seq += 1
        needs = parse_requirements(requirements)
        call = WaitingCall(
            call_id, queue, priority, now, self._seq, needs, preferred_agent, callback
        )
        self._book.add(call)
        return self.position(call_id)

    def requeue(self, call: WaitingCall) -> int:
        """Put back a caller whose offer failed, in its original place (the head, usually)."""
        self._not_held(call.call_id)
        self._book.add(call)
        return self.position(call.call_id)

    def remove(self, call_id: str) -> WaitingCall | None:
        return self._book.discard(call_id)

    def as_callback(self, call: WaitingCall, callback_id: str) -> int:
        """Put back a caller (taken out with ``remove``) as a callback under a new id, in the
        same place: same priority, arrival and sequence."""
        self._not_held(callback_id)
        moved = replace(call, call_id=callback_id, callback=True, preferred_agent=None)
        self._book.add(moved)
        return self.position(callback_id)

    def restore(self, call: WaitingCall) -> int:
        """Add a call kept outside the router (a callback after a restart or between
        attempts), in the place its arrival gives it; it gets a fresh sequence number."""
        self._not_held(call.call_id)
        self._seq += 1
        self._book.add(replace(call, seq=self._seq))
        return self.position(call.call_id)

    def position(self, call_id: str) -> int:
        if call_id not in self._book.calls:
            raise RoutingError(f"call {call_id} is not waiting")
        return self._book.position(call_id)

    def overall_position(self, call_id: str, now: float) -> int:
        """The call's place among all waiting calls of every queue (1 is next), in routing
        order: what decides when agents shared by the queues reach it."""
        if call_id not in self._book.calls:
            raise RoutingError(f"call {call_id} is not waiting")
        return self._book.overall_position(call_id, now)

    def waiting(self, queue: str) -> list[WaitingCall]:
        """The calls waiting in ``queue``, next first."""
        return self._book.waiting(queue)

    # ---- decisions ----------------------------------------------------------------------
    def decide(self, now: float) -> Decision:
        decision = Decision()
        self._end_wrapups(now, decision.changes)
        self._pass_marks(now, decision.actions)
        if self._book.calls:
            free = self._free_agents(now)
            if free:
                self._match(now, FreeAgents(free), decision)
        return decision

    def next_wake(self, now: float) -> float | None:
        """The earliest time at which decide() could decide differently with no new facts:
        a rest or a wrap-up ending, a relax rule or rule action coming due, a preferred-agent
        wait running out. None if nothing is pending. (Earlier than ``now`` only when decide()
        has not been run since that time came.)"""
        times = (self._next_rest_end(now), self._next_wrapup_end(), self._book.next_mark())
        return min((t for t in times if t is not None), default=None)

    next_rest_end = next_wake

    # ---- matching -----------------------------------------------------------------------
    def _match(self, now: float, free: FreeAgents, decision: Decision) -> None:
        taken = self._match_preferred(now, free.agents, decision)
        left = len(free) - len(taken)
        calls, kinds = self._book.calls, self._book.kinds
        # Per kind of call: could any free agent take one at all (fully relaxed)? A True may go
        # stale as agents are taken (then the pick below finds nobody); a False stays true.
        hopeful: dict[int, bool] = {}
        ranked_for: dict[tuple[int, int], Ranked] = {}
        legs = self.callback_capacity
        for _key, enqueued_at, _seq, call_id, kind_id in self._book.in_order(now):
            if left == 0:
                break
            if legs is not None and legs <= 0 and calls[call_id].callback:
                continue  # no outbound line for it now; it keeps its place
            hope = hopeful.get(kind_id)
            if hope is None:
                hope = hopeful[kind_id] = free.any_eligible(kinds[kind_id].loosest)
            if not hope:
                continue
            call, kind = calls[call_id], kinds[kind_id]
            if call.preferred_agent is not None and self._holds(call, kind.policy, now, taken):
                continue
            stage = kind.policy.stage(now - enqueued_at)
            ranked = ranked_for.get((kind_id, stage))
            if ranked is None:
                ranked = ranked_for[kind_id, stage] = self._ranked(kind_id, stage, free)
            slot = pick(kind.policy.strategy, ranked, self._last_offered.get(kind.queue))
            if slot is not None:
                self._offer(slot, call, kind.policy, decision)
                taken.add(call_id)
                left -= 1
                if legs is not None and call.callback:
                    legs -= 1
            elif stage == len(kind.policy.relax):
                hopeful[kind_id] = False
        for call_id in taken:
            self._book.discard(call_id)

    def _match_preferred(self, now: float, free: list[AgentSlot], decision: Decision) -> set[str]:
        taken: set[str] = set()
        for slot in free:
            wanting = self._book.preferring(slot.code)
            if not wanting:
                continue
            call = min((self.calls[c] for c in wanting), key=lambda c: self._order(c, now))
            self._offer(slot, call, self.policy.for_queue(call.queue), decision)
            taken.add(call.call_id)
        return taken

    def _holds(self, call: WaitingCall, policy: QueuePolicy, now: float, taken: set[str]) -> bool:
        """True while the call waits for its preferred agent rather than take anyone else."""
        if call.call_id in taken:
            return True
        if now >= call.enqueued_at + policy.preferred_agent_wait_s:
            return False
        preferred = self.agents.get(call.preferred_agent or "")
        return preferred is not None and preferred.state is not S.PAUSED

    def _ranked(self, kind_id: int, stage: int, free: FreeAgents) -> Ranked:
        kind = self._book.kinds[kind_id]
        needs = self._relaxed.get((kind_id, stage))
        if needs is None:
            needs = self._relaxed[kind_id, stage] = kind.policy.relaxed(kind.requirements, stage)
        return rank(kind.policy.strategy, kind.requirements, free.eligible(needs))

    def _offer(
        self, slot: AgentSlot, call: WaitingCall, policy: QueuePolicy, decision: Decision
    ) -> None:
        decision.changes.append(self._hand(slot, call.call_id, call.queue))
        self._last_offered[call.queue] = slot.code
        offer = Offer(call.call_id, slot.code, slot.seat, policy.offer_timeout_s)
        decision.offers.append((offer, call))

    def _order(self, call: WaitingCall, now: float) -> tuple[float, float, int]:
        rate = self.policy.for_queue(call.queue).priority_aging_per_min
        return (call.effective_priority(now, rate), call.enqueued_at, call.seq)

    # ---- time: relax rules and wrap-ups --------------------------------------------------
    def _pass_marks(self, now: float, actions: list[CallAction]) -> None:
        for call_id in self._book.due(now):
            self._pass_rules(self.calls[call_id], now, actions)

    def _pass_rules(self, call: WaitingCall, now: float, actions: list[CallAction]) -> None:
        """Emit the actions of the rules that came due, once each; an overflow moves the call."""
        policy = self.policy.for_queue(call.queue)
        stage = policy.stage(now - call.enqueued_at)
        for rule in policy.relax[call.rules_done : stage]:
            if _acts(rule, call):
                actions.append(CallAction(call.call_id, rule.action or ""))
            target = overflow_target(rule.action or "")
            if target is not None and target != call.queue:
                self._overflow(call, target, now)
                return
        call = replace(call, rules_done=stage)
        self._book.update(call)
        self._book.schedule(call, after=now)

    def _overflow(self, call: WaitingCall, queue: str, now: float) -> None:
        """Move the call to ``queue``, keeping its arrival (so its wait and its place by age);
        rules of the new queue already past its wait count as passed, without actions."""
        stage = self.policy.for_queue(queue).stage(now - call.enqueued_at)
        self._book.discard(call.call_id)
        self._book.add(replace(call, queue=queue, rules_done=stage), after=now)

    def _not_held(self, call_id: str) -> None:
        holder = self._holding.get(call_id)
        if holder is not None:
            raise RoutingError(f"call {call_id} is with agent {holder}; end that offer first")


def _acts(rule: RelaxRule, call: WaitingCall) -> bool:
    """A rule's action applies, except offering a callback to a call that is one already."""
    return rule.action is not None and not (rule.action == OFFER_CALLBACK and call.callback)
