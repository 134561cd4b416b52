"""Who answered each caller last: the window, the bound, and seeding from the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hotline.repeat_callers import RepeatCallers

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_the_latest_answer_within_the_window_names_the_agent() -> None:
    repeat = RepeatCallers(window_s=3600)
    repeat.seed([("13800138000", "A2", at(100)), ("13800138000", "A1", at(50))])

    assert repeat.agent_for("13800138000", at(3700)) == "A2"
    assert repeat.agent_for("13800138000", at(3701)) is None
    assert repeat.agent_for("13900139000", at(200)) is None


def test_the_least_recently_seen_callers_are_forgotten_first() -> None:
    repeat = RepeatCallers(window_s=3600, capacity=2)
    for n, number in enumerate(("13800000001", "13800000002", "13800000003")):
        repeat.remember(number, f"A{n}", at(n))

    assert len(repeat) == 2
    assert repeat.agent_for("13800000001", at(10)) is None
    assert repeat.agent_for("13800000003", at(10)) == "A2"


def test_a_zero_window_remembers_nobody() -> None:
    repeat = RepeatCallers(window_s=0)
    repeat.remember("13800138000", "A1", at(0))
    assert len(repeat) == 0
