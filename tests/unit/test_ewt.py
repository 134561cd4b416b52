"""Estimated wait time: exponentially weighted handle times, position x AHT / agents."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queues.ewt import WaitEstimator


def test_given_too_few_observations_when_estimating_then_none() -> None:
    ewt = WaitEstimator(min_observations=3)
    assert ewt.estimate(1, 5) is None
    ewt.observe_handle(200)
    ewt.observe_handle(200)
    assert ewt.estimate(1, 5) is None
    ewt.observe_handle(200)
    assert ewt.estimate(1, 5) == pytest.approx(40.0)


@pytest.mark.parametrize(
    ("position", "agents", "expected"),
    [(1, 1, 180.0), (2, 1, 360.0), (3, 6, 90.0), (10, 0, 1800.0)],
)
def test_given_steady_handle_time_when_estimating_then_position_times_aht_over_agents(
    position: int, agents: int, expected: float
) -> None:
    ewt = WaitEstimator(min_observations=1)
    ewt.observe_handle(180)
    assert ewt.estimate(position, agents) == pytest.approx(expected)


def test_given_a_new_observation_when_weighted_then_it_counts_alpha() -> None:
    ewt = WaitEstimator(alpha=0.25, min_observations=1)
    ewt.observe_handle(100)
    ewt.observe_handle(200)
    assert ewt.estimate(1, 1) == pytest.approx(125.0)


def test_given_answers_when_asked_for_asa_then_weighted_mean_after_enough() -> None:
    ewt = WaitEstimator(alpha=0.5, min_observations=2)
    ewt.observe_answer(30)
    assert ewt.asa() is None
    ewt.observe_answer(10)
    assert ewt.asa() == pytest.approx(20.0)


def test_given_bad_input_when_observed_or_estimated_then_value_error() -> None:
    ewt = WaitEstimator(min_observations=1)
    with pytest.raises(ValueError, match="negative"):
        ewt.observe_handle(-1)
    ewt.observe_handle(10)
    with pytest.raises(ValueError, match="positions"):
        ewt.estimate(0, 1)
    with pytest.raises(ValueError, match="alpha"):
        WaitEstimator(alpha=0)


@given(
    st.lists(st.floats(min_value=0, max_value=3600), min_size=1, max_size=30),
    st.integers(min_value=1, max_value=600),
    st.integers(min_value=1, max_value=300),
)
def test_given_any_observations_when_estimating_then_within_the_observed_range(
    handles: list[float], position: int, agents: int
) -> None:
    ewt = WaitEstimator(min_observations=1)
    for seconds in handles:
        ewt.observe_handle(seconds)
    estimate = ewt.estimate(position, agents)
    assert estimate is not None
    scale = position / agents
    assert min(handles) * scale - 1e-6 <= estimate <= max(handles) * scale + 1e-6
    assert estimate <= (ewt.estimate(position + 1, agents) or 0.0)
