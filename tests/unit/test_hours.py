"""Opening hours with China's statutory holidays and make-up working days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from ivr.hours import DayKind, calendar_covers, day_kind, is_open, next_opening, parse_schedule

SH = ZoneInfo("Asia/Shanghai")
OFFICE = parse_schedule("office", {"days": "mon-fri", "open": ["09:00-12:00", "13:00-17:00"]})
HOTLINE = parse_schedule("hotline", {"days": "mon-sun", "open": ["08:00-20:00"]})


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SH)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("schedule", "when", "expected"),
    [
        (OFFICE, at(2026, 11, 25, 10, 0), True),  # Wednesday morning
        (OFFICE, at(2026, 11, 25, 12, 30), False),  # lunch
        (OFFICE, at(2026, 11, 25, 17, 0), False),  # closes at 17:00 sharp
        (OFFICE, at(2026, 11, 28, 10, 0), False),  # an ordinary Saturday
        (OFFICE, at(2026, 2, 14, 10, 0), True),  # a make-up working Saturday (Spring Festival)
        (OFFICE, at(2026, 10, 1, 10, 0), False),  # National Day
        (HOTLINE, at(2026, 11, 28, 10, 0), True),  # the hotline works weekends
        (HOTLINE, at(2026, 10, 1, 10, 0), False),  # but not statutory holidays
        (HOTLINE, datetime(2026, 11, 25, 11, 59, tzinfo=UTC), True),  # 19:59 in Shanghai
        (HOTLINE, datetime(2026, 11, 25, 12, 0, tzinfo=UTC), False),  # 20:00 in Shanghai
    ],
)
def test_is_open(schedule: object, when: datetime, expected: bool) -> None:
    assert is_open(schedule, when) is expected  # type: ignore[arg-type]


def test_day_kinds() -> None:
    assert day_kind(OFFICE, date(2026, 10, 1)) is DayKind.STATUTORY_HOLIDAY
    assert day_kind(OFFICE, date(2026, 2, 14)) is DayKind.MAKEUP_WORKDAY
    assert day_kind(OFFICE, date(2026, 11, 28)) is DayKind.WEEKEND
    assert day_kind(OFFICE, date(2026, 11, 27)) is DayKind.WORKDAY


def test_next_opening_skips_the_national_day_holiday() -> None:
    opening = next_opening(HOTLINE, at(2026, 10, 1, 10, 0))
    assert opening is not None
    assert opening.date() > date(2026, 10, 1)
    assert is_open(HOTLINE, opening)
    assert next_opening(HOTLINE, at(2026, 11, 25, 10, 0)) == at(2026, 11, 25, 10, 0)


def test_local_dates_override_the_calendar() -> None:
    local = parse_schedule(
        "x", {"days": "mon-fri", "open": ["09:00-17:00"], "closed_dates": ["2026-11-25"],
              "open_dates": ["2026-11-28"]},
    )  # fmt: skip
    assert not is_open(local, at(2026, 11, 25, 10, 0))
    assert is_open(local, at(2026, 11, 28, 10, 0))


def test_a_year_without_calendar_data_follows_the_weekly_rule() -> None:
    assert not calendar_covers(2099)
    assert is_open(OFFICE, at(2099, 10, 1, 10, 0))  # a Thursday; no holiday data that far


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"days": "someday", "open": ["09:00-17:00"]}, "days"),
        ({"open": ["9-5"]}, "open"),
        ({"open": ["17:00-09:00"]}, "ends before"),
        ({"open": ["25:00-26:00"]}, "impossible"),
        ({"open": []}, "at least one"),
        ({"open": ["09:00-17:00"], "closed_dates": ["tomorrow"]}, "closed_dates"),
        ({"open": ["09:00-17:00"], "color": "red"}, "unknown field"),
        ({"open": ["09:00-17:00"], "timezone": "Mars/Base"}, "timezone"),
    ],
)
def test_bad_schedules_name_the_field(raw: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_schedule("bad", raw)
