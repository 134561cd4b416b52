"""The load run's estimated-wait accuracy: what callers were told on entry against their wait."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hotline.events import CallAnswered, CallEnded, CallQueued
from hotline.load import report
from hotline.load.tally import ABANDONED, LEFT_QUEUE, EwtSample, HotlineTally

AT = datetime(2026, 1, 1, tzinfo=UTC)


def test_given_estimates_and_waits_then_errors_bias_and_share_within_are_reported():
    pairs = [
        (60.0, 60.0),  # exact
        (60.0, 85.0),  # 25 s short: within 30 s
        (100.0, 300.0),  # 200 s short of 300: beyond 30 s and 25 % (75 s)
        (400.0, 320.0),  # 80 s over 320: within 25 % (80 s)
        (10.0, 50.0),  # 40 s short of 50: beyond both
    ]

    accuracy = report.ewt_accuracy(pairs)

    assert accuracy["ewt_samples"] == 5
    assert accuracy["ewt_abs_error_s_p50"] == 40.0  # errors 0, 25, 40, 80, 200
    assert accuracy["ewt_abs_error_s_p90"] == 200.0
    assert accuracy["ewt_bias_s"] == pytest.approx((0 - 25 - 200 + 80 - 40) / 5, abs=0.1)
    assert accuracy["ewt_within_30s_or_25pct"] == 0.6


def test_given_no_estimates_then_accuracy_is_empty_not_zero():
    accuracy = report.ewt_accuracy([])

    assert accuracy["ewt_samples"] == 0
    assert accuracy["ewt_abs_error_s_p50"] is None
    assert accuracy["ewt_within_30s_or_25pct"] is None


def test_given_queued_calls_then_the_first_entry_estimate_is_paired_with_the_answered_wait():
    tally = HotlineTally()
    tally(CallQueued(AT, "a", "pension", 3, 90.0))
    tally(CallQueued(AT, "a", "general", 1, 5.0))  # moved on by overflow: the first one counts
    tally(CallQueued(AT, "b", "general", 1, None))  # before handling times were known
    tally(CallQueued(AT, "c", "general", 2, 40.0))
    tally(CallAnswered(AT, "a", "L001", "seat001", 120_000))
    tally(CallAnswered(AT, "b", "L002", "seat002", 3_000))
    tally(CallEnded(AT, "c", "abandoned", "", 50_000, None))  # cut short: not compared

    assert tally.ewt == [EwtSample(90.0, 120.0)]
    assert tally.ewt_unknown == 1
    assert tally.queued == {"pension": 1, "general": 2}
    assert tally.waits_ms == [120_000, 3_000]


def test_given_callers_who_left_a_message_or_asked_for_a_callback_then_they_are_not_abandoned():
    tally = HotlineTally()
    tally(CallEnded(AT, "a", "message_left", "", 9_000, None))
    tally(CallEnded(AT, "b", "callback_requested", "", 4_000, None))
    tally(CallEnded(AT, "c", "abandoned", "", 50_000, None))

    assert tally.count(LEFT_QUEUE) == 2
    assert tally.count(ABANDONED) == 1
