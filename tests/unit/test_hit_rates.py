"""Hit rates per topic with time decay: the order follows what callers ask now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kb.hit_rates import HitRates

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def test_given_no_marks_then_no_rates() -> None:
    assert HitRates().rates("pension") == {}
    assert HitRates().ranked("pension", 5) == []


def test_rates_are_shares_of_the_topic_and_topics_are_apart() -> None:
    rates = HitRates()
    for _ in range(3):
        rates.add("pension", "A", T0)
    rates.add("pension", "B", T0)
    rates.add("medical", "C", T0)
    assert rates.rates("pension") == pytest.approx({"A": 0.75, "B": 0.25})
    assert rates.rates("medical") == {"C": 1.0}
    assert rates.topics() == ["medical", "pension"]


def test_given_old_marks_for_a_and_new_for_b_then_b_overtakes() -> None:
    rates = HitRates(half_life=timedelta(days=30))
    for day in range(4):
        rates.add("wages", "A", T0 + day * DAY)
    for day in range(2):
        rates.add("wages", "B", T0 + (120 + day) * DAY)
    # Four marks 4 months ago weigh about 4/16 of two marks today.
    assert [pid for pid, _ in rates.ranked("wages", 2)] == ["B", "A"]


def test_a_mark_one_half_life_older_counts_half() -> None:
    rates = HitRates(half_life=timedelta(days=10))
    rates.add("t", "old", T0)
    rates.add("t", "new", T0 + 10 * DAY)
    assert rates.rates("t") == pytest.approx({"old": 1 / 3, "new": 2 / 3})


def test_ties_rank_by_id_and_top_limits() -> None:
    rates = HitRates()
    for pid in ["C", "A", "B"]:
        rates.add("t", pid, T0)
    assert [pid for pid, _ in rates.ranked("t", 2)] == ["A", "B"]


def test_decades_of_marks_never_overflow() -> None:
    rates = HitRates(half_life=timedelta(days=1))
    rates.add("t", "A", T0)
    rates.add("t", "B", T0 + 2000 * DAY)
    rates.add("t", "B", T0 + 4000 * DAY)
    shares = rates.rates("t")
    assert shares["B"] == pytest.approx(1.0) and shares["A"] >= 0.0


def test_a_half_life_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        HitRates(half_life=timedelta(0))
