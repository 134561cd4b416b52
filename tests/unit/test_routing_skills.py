"""Skills routing: who is eligible for which call, how requirements relax with the wait, what
each strategy prefers, and the rule actions (callback offer, overflow)."""

from __future__ import annotations

import pytest

from queues.router import CallAction, Router
from queues.skills import (
    QueuePolicy,
    RelaxRule,
    Requirement,
    RoutingPolicy,
    meets,
    parse_requirements,
)

MEDICAL = (("medical_insurance", 4), ("mandarin", 1))
RELAX = (
    RelaxRule(30, min_proficiency=2),
    RelaxRule(90, min_proficiency=1),
    RelaxRule(180, action="offer_callback"),
)
POLICY = RoutingPolicy(
    queues=(
        QueuePolicy("medical", strategy="best_skill", relax=RELAX),
        QueuePolicy("pension", strategy="longest_idle", relax=RELAX),
        QueuePolicy("rr", strategy="round_robin"),
    )
)


def router_with(*agents: tuple[str, float, dict[str, int]]) -> Router:
    router = Router(POLICY)
    for n, (code, idle_since, skills) in enumerate(agents, start=1):
        router.login(code, f"seat{n:03d}", idle_since, skills)
    return router


def offered(router: Router, now: float) -> list[tuple[str, str]]:
    return [(offer.call_id, offer.agent) for offer, _call in router.decide(now).offers]


# ---- eligibility ------------------------------------------------------------------------------


def test_given_medical_and_pension_agents_free_when_medical_caller_waits_then_medical_agent() -> (
    None
):
    router = router_with(
        ("PENSION", 0.0, {"pension": 5, "mandarin": 5}),
        ("MEDICAL", 50.0, {"medical_insurance": 4, "mandarin": 5}),
    )
    router.enqueue("c1", "medical", 60.0, requirements=MEDICAL)
    assert offered(router, 60.0) == [("c1", "MEDICAL")]


@pytest.mark.parametrize(
    ("skills", "needs", "ok"),
    [
        ({"pension": 3}, (), True),
        ({"pension": 3}, (("pension", 3),), True),
        ({"pension": 3}, (("pension", 4),), False),
        ({"pension": 3}, (("medical_insurance", 1),), False),
        ({"pension": 5, "english": 2}, (("pension", 2), ("english", 2)), True),
        ({"pension": 5}, (("pension", 2), ("english", 1)), False),
    ],
)
def test_given_agent_skills_when_checking_requirements_then_every_one_must_be_met(
    skills: dict[str, int], needs: tuple[tuple[str, int], ...], ok: bool
) -> None:
    assert meets(skills, parse_requirements(needs)) is ok


@pytest.mark.parametrize(
    ("proficiency", "offered_at"),
    [(5, 0.0), (4, 0.0), (3, 30.0), (2, 30.0), (1, 90.0), (0, None)],
)
def test_given_only_a_weaker_agent_when_the_caller_waits_then_rules_relax_on_schedule(
    proficiency: int, offered_at: float | None
) -> None:
    skills = {"mandarin": 5} | ({"medical_insurance": proficiency} if proficiency else {})
    router = router_with(("A1", 0.0, skills))
    router.enqueue("c1", "medical", 0.0, requirements=MEDICAL)
    now: float | None = 0.0
    when = None
    wakes = []
    while now is not None and now <= 400:
        if offered(router, now):
            when = now
            break
        now = router.next_wake(now)
        wakes.append(now)
    assert when == offered_at
    if offered_at is None:
        assert wakes == [30.0, 90.0, 180.0, None]


def test_given_a_caller_when_it_waits_180s_then_a_callback_is_offered_once() -> None:
    router = router_with()
    router.enqueue("c1", "medical", 0.0, requirements=MEDICAL)
    router.enqueue("cb", "medical", 0.0, requirements=MEDICAL, callback=True)
    assert router.decide(179.0).actions == []
    assert router.decide(180.0).actions == [CallAction("c1", "offer_callback")]
    assert router.decide(500.0).actions == []
    assert router.next_wake(500.0) is None


def test_given_an_offered_caller_when_requeued_then_its_actions_are_not_repeated() -> None:
    router = router_with(("A1", 0.0, {"pension": 1}))
    router.set_seat_busy("seat001", busy=True)
    router.enqueue("c1", "pension", 0.0, requirements=(("pension", 1),))
    assert router.decide(200.0).actions == [CallAction("c1", "offer_callback")]
    router.set_seat_busy("seat001", busy=False)
    [(_offer, call)] = router.decide(201.0).offers
    assert call.rules_done == 3
    router.offer_failed("A1", 202.0, "NOANSWER")
    router.requeue(call)
    assert router.decide(203.0).actions == []


def test_given_overflow_rule_when_it_comes_due_then_the_call_moves_and_keeps_its_age() -> None:
    policy = RoutingPolicy(
        queues=(
            QueuePolicy("wages", relax=(RelaxRule(60, action="overflow:inspection"),)),
            QueuePolicy("inspection"),
        )
    )
    router = Router(policy)
    router.enqueue("old", "inspection", 0.0)
    router.enqueue("c1", "wages", 10.0, requirements=(("wages", 3),))
    router.enqueue("new", "inspection", 30.0)
    assert router.next_wake(10.0) == 70.0
    decision = router.decide(70.0)
    assert decision.actions == [CallAction("c1", "overflow:inspection")]
    assert router.calls["c1"].queue == "inspection"
    assert [c.call_id for c in router.waiting("inspection")] == ["old", "c1", "new"]
    assert router.waiting("wages") == []
    assert router.position("c1") == 2


def test_given_drop_skills_rule_when_due_then_the_language_is_no_longer_required() -> None:
    policy = RoutingPolicy(
        default=QueuePolicy("default", relax=(RelaxRule(60, drop_skills=("shanghainese",)),))
    )
    router = Router(policy)
    router.login("A1", "seat001", 0.0, {"pension": 3, "mandarin": 5})
    router.enqueue("c1", "pension", 0.0, requirements=(("pension", 2), ("shanghainese", 1)))
    assert router.decide(59.0).offers == []
    assert [o.agent for o, _ in router.decide(60.0).offers] == ["A1"]


# ---- strategies ---------------------------------------------------------------------------------


def test_given_best_skill_when_several_are_eligible_then_highest_proficiency_then_idle() -> None:
    router = router_with(
        ("OK", 0.0, {"medical_insurance": 4, "mandarin": 5}),
        ("BEST_LATE", 20.0, {"medical_insurance": 5, "mandarin": 3}),
        ("BEST_EARLY", 10.0, {"medical_insurance": 5, "mandarin": 3}),
    )
    router.enqueue("c1", "medical", 30.0, requirements=MEDICAL)
    router.enqueue("c2", "medical", 31.0, requirements=MEDICAL)
    router.enqueue("c3", "medical", 32.0, requirements=MEDICAL)
    assert offered(router, 40.0) == [("c1", "BEST_EARLY"), ("c2", "BEST_LATE"), ("c3", "OK")]


def test_given_longest_idle_when_several_are_eligible_then_proficiency_does_not_matter() -> None:
    router = router_with(
        ("EXPERT", 10.0, {"pension": 5}),
        ("NOVICE", 0.0, {"pension": 2}),
    )
    router.enqueue("c1", "pension", 30.0, requirements=(("pension", 2),))
    assert offered(router, 30.0) == [("c1", "NOVICE")]


def test_given_round_robin_when_agents_free_up_then_they_take_turns_by_code() -> None:
    router = router_with(("A", 0.0, {}), ("B", 0.0, {}), ("C", 0.0, {}))
    picks = []
    for n in range(5):
        router.enqueue(f"c{n}", "rr", float(n))
        [(offer, _call)] = router.decide(float(n)).offers
        picks.append(offer.agent)
        router.call_ended(offer.agent, float(n))
    assert picks == ["A", "B", "C", "A", "B"]


def test_given_busy_seat_when_its_agent_is_the_best_then_another_is_offered() -> None:
    router = router_with(
        ("BEST", 0.0, {"medical_insurance": 5, "mandarin": 5}),
        ("OTHER", 0.0, {"medical_insurance": 4, "mandarin": 5}),
    )
    router.set_seat_busy("seat001", busy=True)
    router.enqueue("c1", "medical", 1.0, requirements=MEDICAL)
    assert offered(router, 1.0) == [("c1", "OTHER")]


def test_given_queue_policy_when_offered_then_the_offer_carries_its_timeout() -> None:
    policy = RoutingPolicy(default=QueuePolicy("default", offer_timeout_s=12.5))
    router = Router(policy)
    router.login("A1", "seat001", 0.0)
    router.enqueue("c1", "general", 0.0)
    [(offer, _call)] = router.decide(0.0).offers
    assert offer.timeout_s == 12.5


# ---- policy as data ------------------------------------------------------------------------------


def test_given_rules_out_of_order_when_the_policy_is_made_then_they_are_sorted() -> None:
    policy = QueuePolicy("q", relax=(RelaxRule(90, min_proficiency=1), RelaxRule(30, 2)))
    assert policy.thresholds == (30, 90)
    needs = parse_requirements(MEDICAL)
    assert policy.relaxed(needs, policy.stage(29.9)) == needs
    assert policy.relaxed(needs, policy.stage(30)) == (
        Requirement("medical_insurance", 2),
        Requirement("mandarin", 1),
    )
    assert policy.relaxed(needs, policy.stage(1000))[0] == Requirement("medical_insurance", 1)


@pytest.mark.parametrize(
    "make",
    [
        lambda: QueuePolicy("q", strategy="random"),  # type: ignore[arg-type]
        lambda: QueuePolicy("q", max_misses=0),
        lambda: QueuePolicy("q", wrapup_s=-1),
        lambda: QueuePolicy("q", priority_aging_per_min=-1),
        lambda: RelaxRule(-1),
        lambda: RelaxRule(10, min_proficiency=0),
        lambda: RelaxRule(10, action="hang_up"),
        lambda: RelaxRule(10, action="overflow:"),
        lambda: RoutingPolicy(queues=(QueuePolicy("q"), QueuePolicy("q"))),
        lambda: parse_requirements((("pension", 6),)),
        lambda: parse_requirements((("pension", 2), ("pension", 3))),
    ],
)
def test_given_bad_policy_data_when_made_then_value_error(make: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        make()  # type: ignore[operator]


def test_given_bad_agent_skills_when_logging_in_then_value_error() -> None:
    with pytest.raises(ValueError, match="1-5"):
        Router().login("A1", "seat001", 0.0, {"pension": 9})
