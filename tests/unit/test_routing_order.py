"""Who goes first: priority, priority aging, fairness across queues, preferred agents, and no
head-of-line blocking."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from queues.router import Router
from queues.skills import QueuePolicy, RoutingPolicy

GENERAL = {"pension": 3, "medical_insurance": 3, "wages": 3, "mandarin": 5}


def offered(router: Router, now: float) -> list[tuple[str, str]]:
    return [(offer.call_id, offer.agent) for offer, _call in router.decide(now).offers]


def serve_one(router: Router, agent: str, now: float) -> str | None:
    """Free ``agent`` (end its call) and return the call it is offered next, if any."""
    router.call_ended(agent, now)
    router.wrapup_done(agent, now)
    offers = router.decide(now).offers
    assert [offer.agent for offer, _ in offers] in ([], [agent])
    if not offers:
        return None
    router.answered(agent)
    return offers[0][0].call_id


def test_given_a_waiting_caller_when_a_more_urgent_one_arrives_then_it_overtakes() -> None:
    router = Router()
    router.enqueue("normal", "wages", 0.0, priority=5)
    router.enqueue("urgent", "wages", 10.0, priority=1)
    assert router.position("urgent") == 1
    router.login("A1", "seat001", 11.0)
    assert offered(router, 11.0) == [("urgent", "A1")]


def test_given_priority_aging_when_new_urgent_calls_keep_coming_then_the_old_call_is_served() -> (
    None
):
    def first_served_minute(aging: float) -> int | None:
        policy = RoutingPolicy(default=QueuePolicy("default", priority_aging_per_min=aging))
        router = Router(policy)
        router.enqueue("old", "general", 0.0, priority=9)
        router.login("A1", "seat001", 0.0)
        for minute in range(1, 30):
            router.enqueue(f"new{minute}", "general", 60.0 * minute + 7, priority=5)
            if serve_one(router, "A1", 60.0 * minute + 30) == "old":
                return minute
        return None

    assert first_served_minute(0.0) is None  # without aging the old call starves
    # At 4:30 the old call's 9 - 4.5 beats the new call's 5 - 23/60; at 3:30, 9 - 3.5 does not.
    assert first_served_minute(1.0) == 4


def test_given_calls_in_several_queues_when_one_agent_serves_them_then_oldest_first() -> None:
    router = Router()
    arrivals = [("p1", "pension", 1.0), ("m1", "medical", 2.0), ("w1", "wages", 3.0)]
    arrivals += [("m2", "medical", 4.0), ("p2", "pension", 5.0)]
    for call, queue, at in reversed(arrivals):
        skill = "medical_insurance" if queue == "medical" else queue
        router.enqueue(call, queue, at, requirements=((skill, 1),))
    router.login("A1", "seat001", 0.0, GENERAL)
    router.decide(10.0)
    router.answered("A1")
    served = [router.agents["A1"].call_id]
    served += [serve_one(router, "A1", 10.0 + n) for n in range(4)]
    assert served == ["p1", "m1", "w1", "m2", "p2"]


@settings(deadline=None, max_examples=50)
@given(
    st.lists(
        st.tuples(st.sampled_from(["pension", "wages", "employment"]), st.integers(0, 1000)),
        min_size=1,
        max_size=15,
        unique_by=lambda a: a[1],
    )
)
def test_given_random_arrivals_across_queues_when_served_then_in_order_of_arrival(
    arrivals: list[tuple[str, int]],
) -> None:
    router = Router()
    for n, (queue, at) in enumerate(arrivals):
        router.enqueue(f"c{n}", queue, float(at), requirements=((queue, 2),))
    router.login("A1", "seat001", 0.0, {"pension": 2, "wages": 2, "employment": 2})
    expected = [f"c{n}" for n, _ in sorted(enumerate(arrivals), key=lambda x: x[1][1])]
    served = []
    now = 2000.0
    for _ in arrivals:
        [(offer, _call)] = router.decide(now).offers
        served.append(offer.call_id)
        router.answered("A1")
        router.call_ended("A1", now)
    assert served == expected


# ---- no head-of-line blocking -------------------------------------------------------------------


def test_given_head_caller_needs_english_when_a_mandarin_agent_frees_then_next_caller_goes() -> (
    None
):
    router = Router()
    router.enqueue("english", "pension", 0.0, requirements=(("pension", 1), ("english", 1)))
    router.enqueue("mandarin", "pension", 5.0, requirements=(("pension", 1), ("mandarin", 1)))
    router.login("A1", "seat001", 10.0, {"pension": 4, "mandarin": 5})
    assert offered(router, 10.0) == [("mandarin", "A1")]
    assert router.position("english") == 1


def test_given_agent_eligible_for_nobody_when_deciding_then_it_stays_free() -> None:
    router = Router()
    router.enqueue("c1", "pension", 0.0, requirements=(("pension", 1),))
    router.login("A1", "seat001", 1.0, {"wages": 5})
    decision = router.decide(1.0)
    assert (decision.offers, decision.changes) == ([], [])
    assert router.agents["A1"].state == "available"


# ---- preferred agent (repeat callers) -----------------------------------------------------------


def test_given_repeat_caller_when_the_last_agent_is_free_then_that_agent_is_chosen() -> None:
    router = Router()
    router.login("A1", "seat001", 0.0)
    router.login("LAST", "seat002", 50.0)
    router.enqueue("first", "general", 60.0)
    router.enqueue("repeat", "general", 61.0, preferred_agent="LAST")
    assert offered(router, 61.0) == [("repeat", "LAST"), ("first", "A1")]


def test_given_repeat_caller_when_last_agent_is_busy_then_it_waits_for_them_within_limit() -> None:
    router = Router()
    router.login("LAST", "seat001", 0.0)
    router.login("OTHER", "seat002", 0.0)
    router.set_seat_busy("seat002", busy=True)
    router.enqueue("earlier", "general", 0.0)
    assert offered(router, 0.0) == [("earlier", "LAST")]
    router.answered("LAST")
    router.set_seat_busy("seat002", busy=False)
    router.enqueue("repeat", "general", 100.0, preferred_agent="LAST")
    assert offered(router, 100.0) == []
    assert router.next_wake(100.0) == 120.0
    router.call_ended("LAST", 110.0)
    assert offered(router, 110.0) == [("repeat", "LAST")]


def test_given_repeat_caller_when_the_wait_runs_out_then_anyone_takes_the_call() -> None:
    router = Router()
    router.login("LAST", "seat001", 0.0)
    router.login("OTHER", "seat002", 5.0)
    router.set_seat_busy("seat002", busy=True)
    router.enqueue("earlier", "general", 0.0)
    assert offered(router, 0.0) == [("earlier", "LAST")]
    router.set_seat_busy("seat002", busy=False)
    router.enqueue("repeat", "general", 100.0, preferred_agent="LAST")
    assert offered(router, 119.9) == []
    assert offered(router, 120.0) == [("repeat", "OTHER")]


def test_given_repeat_caller_when_last_agent_is_paused_or_gone_then_no_wait() -> None:
    router = Router()
    router.login("LAST", "seat001", 0.0)
    router.login("OTHER", "seat002", 5.0)
    router.pause("LAST", "lunch", 1.0)
    router.enqueue("repeat", "general", 100.0, preferred_agent="LAST")
    router.enqueue("gone", "general", 101.0, preferred_agent="NOBODY")
    router.login("THIRD", "seat003", 6.0)
    assert offered(router, 101.0) == [("repeat", "OTHER"), ("gone", "THIRD")]
