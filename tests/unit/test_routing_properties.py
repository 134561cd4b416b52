"""Random traffic against the router, checked against the rules in plain words: no agent is
offered twice, only free and eligible agents are offered, no free agent is left idle while a
call it could take waits, calls go in routing order, and the books stay consistent."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from queues.agent_states import HOLDING_A_CALL, AgentState
from queues.router import AgentSlot, Offer, Router, WaitingCall
from queues.skills import QueuePolicy, RelaxRule, RoutingPolicy, meets

S = AgentState
AGENTS = ("A1", "A2", "A3", "A4", "A5")
QUEUES = ("pension", "wages", "general")
SKILL_NAMES = ("pension", "wages", "mandarin", "english")
POLICY = RoutingPolicy(
    queues=(
        QueuePolicy(
            "pension",
            strategy="best_skill",
            wrapup_s=10.0,
            max_misses=2,
            relax=(
                RelaxRule(30, min_proficiency=1),
                RelaxRule(60, drop_skills=("english",)),
                RelaxRule(90, action="offer_callback"),
            ),
        ),
        QueuePolicy(
            "wages",
            strategy="longest_idle",
            priority_aging_per_min=3.0,
            preferred_agent_wait_s=15.0,
            relax=(RelaxRule(45, action="overflow:pension"),),
        ),
    ),
    default=QueuePolicy("default", strategy="round_robin", wrapup_s=5.0),
)

skills_st = st.dictionaries(st.sampled_from(SKILL_NAMES), st.integers(1, 5), max_size=4)
needs_st = st.lists(
    st.tuples(st.sampled_from(SKILL_NAMES), st.integers(1, 5)), max_size=2, unique_by=lambda r: r[0]
)


class RoutingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.router = Router(POLICY, failed_offer_rest_s=3.0)
        self.now = 0.0
        self.next_call = 0
        self.offered: dict[str, WaitingCall] = {}
        self.actions: set[tuple[str, str]] = set()

    # ---- facts ----------------------------------------------------------------------------
    @rule(dt=st.floats(min_value=0.0, max_value=40.0))
    def advance(self, dt: float) -> None:
        self.now += dt

    @rule(
        queue=st.sampled_from(QUEUES),
        priority=st.integers(1, 9),
        needs=needs_st,
        preferred=st.none() | st.sampled_from(AGENTS),
        callback=st.booleans(),
    )
    def enqueue(
        self,
        queue: str,
        priority: int,
        needs: list[tuple[str, int]],
        preferred: str | None,
        callback: bool,
    ) -> None:
        self.next_call += 1
        call_id = f"c{self.next_call}"
        position = self.router.enqueue(
            call_id,
            queue,
            self.now,
            priority=priority,
            requirements=needs,
            preferred_agent=preferred,
            callback=callback,
        )
        assert 1 <= position <= len(self.router.waiting(queue))

    @rule(agent=st.sampled_from(AGENTS), skills=skills_st)
    def login(self, agent: str, skills: dict[str, int]) -> None:
        slot = self.router.agents.get(agent)
        if slot is None or slot.state is S.AVAILABLE:
            self.router.login(agent, f"seat-{agent}", self.now, skills)

    @rule(agent=st.sampled_from(AGENTS))
    def logout(self, agent: str) -> None:
        slot = self.router.agents.get(agent)
        if slot is not None:
            if slot.call_id is not None:
                self.offered.pop(slot.call_id, None)
            self.router.logout(agent)

    @rule(agent=st.sampled_from(AGENTS), reason=st.sampled_from(["lunch", "training"]))
    def pause(self, agent: str, reason: str) -> None:
        if agent in self.router.agents:
            self.router.pause(agent, reason, self.now)

    @rule(agent=st.sampled_from(AGENTS))
    def unpause(self, agent: str) -> None:
        if agent in self.router.agents:
            self.router.unpause(agent, self.now)

    @rule(agent=st.sampled_from(AGENTS), busy=st.booleans())
    def seat_state(self, agent: str, busy: bool) -> None:
        self.router.set_seat_busy(f"seat-{agent}", busy)

    @rule(agent=st.sampled_from(AGENTS))
    def answered(self, agent: str) -> None:
        slot = self.router.agents.get(agent)
        was_offered = slot is not None and slot.state is S.OFFERED
        assert (self.router.answered(agent) is not None) == was_offered

    @rule(agent=st.sampled_from(AGENTS))
    def call_ended(self, agent: str) -> None:
        slot = self.router.agents.get(agent)
        call_id = slot.call_id if slot else None
        change = self.router.call_ended(agent, self.now)
        assert (change is not None) == (call_id is not None)
        if call_id is not None:
            self.offered.pop(call_id)

    @rule(agent=st.sampled_from(AGENTS), requeue=st.booleans())
    def offer_failed(self, agent: str, requeue: bool) -> None:
        slot = self.router.agents.get(agent)
        call_id = slot.call_id if slot and slot.state is S.OFFERED else None
        change = self.router.offer_failed(agent, self.now, "NOANSWER")
        assert (change is not None) == (call_id is not None)
        if call_id is not None:
            call = self.offered.pop(call_id)
            if requeue:
                self.router.requeue(call)
                assert call_id in self.router.calls

    @rule(agent=st.sampled_from(AGENTS), disposition=st.none() | st.just("DONE"))
    def wrapup_done(self, agent: str, disposition: str | None) -> None:
        slot = self.router.agents.get(agent)
        in_wrapup = slot is not None and slot.state is S.WRAP_UP
        change = self.router.wrapup_done(agent, self.now, disposition)
        assert (change is not None) == in_wrapup

    @precondition(lambda self: bool(self.router.calls))
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        call_id = data.draw(st.sampled_from(sorted(self.router.calls)))
        assert self.router.remove(call_id) is not None
        assert self.router.remove(call_id) is None

    # ---- the decision ---------------------------------------------------------------------
    @rule()
    def decide(self) -> None:
        now, router = self.now, self.router
        free_before = {code for code, slot in router.agents.items() if self._free(slot)}
        decision = router.decide(now)
        free_before |= {c.agent for c in decision.changes if c.state is S.AVAILABLE}
        agents = [offer.agent for offer, _call in decision.offers]
        assert len(set(agents)) == len(agents), "an agent was offered two calls"
        for offer, call in decision.offers:
            slot = router.agents[offer.agent]
            assert offer.agent in free_before
            assert offer.seat not in router.busy_seats
            assert (slot.state, slot.call_id) == (S.OFFERED, call.call_id)
            assert call.call_id not in router.calls
            if call.preferred_agent != offer.agent:
                assert self._eligible(slot.skills, call)
            self.offered[call.call_id] = call
        for action in decision.actions:
            pair = (action.call_id, action.action)
            assert pair not in self.actions, "a rule action was emitted twice"
            self.actions.add(pair)
            if action.action == "offer_callback":
                # The call may also have been offered an agent in this very decision.
                acted_on = router.calls.get(action.call_id) or self.offered[action.call_id]
                assert not acted_on.callback
        self._no_free_agent_left_for_a_waiting_call()
        self._offers_follow_routing_order(decision.offers)
        wake = router.next_wake(now)
        assert wake is None or wake > now

    def _no_free_agent_left_for_a_waiting_call(self) -> None:
        free = [slot for slot in self.router.agents.values() if self._free(slot)]
        for call in self.router.calls.values():
            if not self._holds(call):
                assert not any(self._eligible(a.skills, call) for a in free), call

    def _offers_follow_routing_order(self, offers: list[tuple[Offer, WaitingCall]]) -> None:
        for offer, call in offers:
            agent = self.router.agents[offer.agent]
            if call.preferred_agent == agent.code:
                continue
            for waiting in self.router.calls.values():
                if self._before(waiting, call) and not self._holds(waiting):
                    assert not self._eligible(agent.skills, waiting), (waiting, call)

    # ---- the rules in plain words -----------------------------------------------------------
    def _free(self, slot: AgentSlot) -> bool:
        return (
            slot.state is S.AVAILABLE
            and slot.seat not in self.router.busy_seats
            and slot.rest_until <= self.now
        )

    def _eligible(self, skills: dict[str, int], call: WaitingCall) -> bool:
        policy = POLICY.for_queue(call.queue)
        waited = self.now - call.enqueued_at
        needs = call.requirements
        for relax in policy.relax:
            if relax.after_s <= waited:
                needs = relax.relax(needs)
        return meets(skills, needs)

    def _holds(self, call: WaitingCall) -> bool:
        policy = POLICY.for_queue(call.queue)
        preferred = self.router.agents.get(call.preferred_agent or "")
        return (
            preferred is not None
            and preferred.state is not S.PAUSED
            and self.now < call.enqueued_at + policy.preferred_agent_wait_s
        )

    def _before(self, a: WaitingCall, b: WaitingCall) -> bool:
        """``a`` certainly comes before ``b`` (near-ties of effective priority are skipped)."""

        def effective(c: WaitingCall) -> float:
            rate = POLICY.for_queue(c.queue).priority_aging_per_min
            return c.effective_priority(self.now, rate)

        ea, eb = effective(a), effective(b)
        if abs(ea - eb) <= 1e-9:
            return (a.enqueued_at, a.seq) < (b.enqueued_at, b.seq)
        return ea < eb - 1e-6

    # ---- standing invariants ----------------------------------------------------------------
    @invariant()
    def a_call_is_never_both_waiting_and_with_an_agent(self) -> None:
        held = [a.call_id for a in self.router.agents.values() if a.call_id is not None]
        assert len(held) == len(set(held))
        assert not set(held) & set(self.router.calls)
        for call_id in held:
            slot = self.router.agent_for_call(call_id)
            assert slot is not None
            assert slot.call_id == call_id

    @invariant()
    def states_and_their_facts_agree(self) -> None:
        for slot in self.router.agents.values():
            assert (slot.call_id is not None) == (slot.state in HOLDING_A_CALL)
            assert (slot.pause_reason is not None) == (slot.state is S.PAUSED)
            assert (slot.wrapup_until is not None) == (slot.state is S.WRAP_UP)
            if slot.pending_pause is not None:
                assert slot.state in HOLDING_A_CALL | {S.WRAP_UP}
            assert self.router.agent_for_seat(slot.seat) is slot

    @invariant()
    def positions_are_a_permutation_per_queue(self) -> None:
        total = 0
        for queue in QUEUES:
            waiting = self.router.waiting(queue)
            assert [self.router.position(c.call_id) for c in waiting] == list(
                range(1, len(waiting) + 1)
            )
            assert all(c.queue == queue for c in waiting)
            total += len(waiting)
        assert total == len(self.router.calls)


RoutingMachine.TestCase.settings = settings(
    database=None, deadline=None, max_examples=150, stateful_step_count=60
)
test_given_random_traffic_when_routing_then_the_rules_hold = RoutingMachine.TestCase
