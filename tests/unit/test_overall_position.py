"""A caller's place across every queue (for the estimated wait): it must agree with the order in
which the routing core would actually serve them, whatever the queues' aging rates."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from queues.ewt import WaitEstimator
from queues.router import Router
from queues.skills import QueuePolicy, RoutingPolicy

POLICY = RoutingPolicy(
    queues=(
        QueuePolicy("slow", priority_aging_per_min=0.5),
        QueuePolicy("fast", priority_aging_per_min=3.0),
    ),
    default=QueuePolicy("general"),
)
QUEUES = ("slow", "fast", "general")

# Arrival times are not whole seconds: an exact tie between queues of different aging rates (a
# measure-zero event with real clocks) may be counted either way by floating-point rounding.
arrivals = st.lists(
    st.tuples(
        st.sampled_from(QUEUES),
        st.integers(1, 9),
        st.floats(0, 600, allow_nan=False).map(lambda t: t + 0.123456),
    ),
    min_size=1,
    max_size=40,
)


@given(arrivals, st.integers(600, 3000))
def test_the_overall_position_is_the_place_in_routing_order(
    calls: list[tuple[str, int, float]], now: int
) -> None:
    router = Router(POLICY)
    for n, (queue, priority, at) in enumerate(calls):
        router.enqueue(f"c{n}", queue, at, priority=priority)

    order = [entry[3] for entry in router._book.in_order(float(now))]

    assert [router.overall_position(c, float(now)) for c in order] == list(range(1, len(order) + 1))


def test_a_caller_behind_callers_of_other_queues_counts_them() -> None:
    router = Router()
    router.enqueue("pension-1", "pension", 0.0)
    router.enqueue("medical-1", "medical_insurance", 1.0)
    router.enqueue("general-1", "general", 2.0)

    assert router.position("general-1") == 1
    assert router.overall_position("general-1", 3.0) == 3


def test_a_seeded_estimator_estimates_before_any_call_ends() -> None:
    estimator = WaitEstimator()
    assert estimator.estimate(4, 2) is None
    estimator.seed(180.0)
    assert estimator.estimate(4, 2) == 360.0
