"""Opening hours with China's statutory holidays and make-up working days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.hours import (
    DayKind,
    Schedule,
    calendar_covers,
    day_kind,
    is_open,
    next_opening,
    opening_periods,
    parse_schedule,
)

SH = ZoneInfo("Asia/Shanghai")
OFFICE = parse_schedule("office", {"days": "mon-fri", "open": ["09:00-12:00", "13:00-17:00"]})
HOTLINE = parse_schedule("hotline", {"days": "mon-sun", "open": ["08:00-20:00"]})
PLAIN = parse_schedule("plain", {"open": ["09:00-17:00"], "statutory_calendar": False})
WINDOW = parse_schedule("window", {"days": "tue-sat", "open": ["09:00-17:00"]})
WEEKENDS_SHORTER = parse_schedule(
    "weekends", {"days": "mon-sun", "open": ["08:00-20:00"], "weekend_open": ["09:00-17:00"]}
)
HOLIDAY_DUTY = parse_schedule(
    "duty", {"days": "mon-fri", "open": ["08:00-20:00"], "holiday_open": ["09:00-12:00"]}
)
ALWAYS = parse_schedule("always", {"always_open": True})


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SH)  # type: ignore[misc]


def test_the_calendar_facts_these_tests_rely_on() -> None:
    assert chinese_calendar.get_holiday_detail(date(2026, 10, 1)) == (True, "National Day")
    assert chinese_calendar.get_holiday_detail(date(2026, 1, 4)) == (False, "New Year's Day")
    assert date(2026, 1, 4).weekday() == 6
    assert chinese_calendar.get_holiday_detail(date(2026, 2, 14)) == (False, "Spring Festival")
    holiday = [date(2026, 2, 15) + timedelta(days=n) for n in range(9)]
    assert all(chinese_calendar.is_holiday(day) for day in holiday)  # 15-23 February
    assert chinese_calendar.is_workday(date(2026, 2, 24))


@pytest.mark.parametrize(
    ("schedule", "when", "expected"),
    [
        (OFFICE, at(2026, 11, 25, 10, 0), True),  # Wednesday morning
        (OFFICE, at(2026, 11, 25, 12, 30), False),  # lunch
        (OFFICE, at(2026, 11, 25, 17, 0), False),  # closes at 17:00 sharp
        (OFFICE, at(2026, 11, 28, 10, 0), False),  # an ordinary Saturday
        (OFFICE, at(2026, 1, 4, 10, 0), True),  # a make-up working Sunday (New Year)
        (OFFICE, at(2026, 2, 14, 10, 0), True),  # a make-up working Saturday (Spring Festival)
        (OFFICE, at(2026, 10, 1, 10, 0), False),  # National Day
        (OFFICE, at(2026, 11, 27, 16, 59, 59), True),  # Friday
        (HOTLINE, at(2026, 11, 27, 19, 59), True),  # Friday 19:59
        (HOTLINE, at(2026, 11, 27, 20, 0), False),  # Friday 20:00
        (HOTLINE, at(2026, 11, 28, 10, 0), True),  # the hotline works weekends
        (HOTLINE, at(2026, 10, 1, 10, 0), False),  # but not statutory holidays
        (HOTLINE, at(2026, 10, 3, 10, 0), False),  # a Saturday inside the holiday
        (HOTLINE, datetime(2026, 11, 25, 11, 59, tzinfo=UTC), True),  # 19:59 in Shanghai
        (HOTLINE, datetime(2026, 11, 25, 12, 0, tzinfo=UTC), False),  # 20:00 in Shanghai
        (HOTLINE, datetime(2026, 11, 25, 0, 0, tzinfo=UTC), True),  # 08:00 in Shanghai
        (PLAIN, at(2026, 10, 1, 10, 0), True),  # no calendar: a Thursday is a Thursday
        (PLAIN, at(2026, 1, 4, 10, 0), False),  # and a Sunday a Sunday
        (WINDOW, at(2026, 11, 30, 10, 0), False),  # a Monday is not a make-up day
        (WINDOW, at(2026, 11, 28, 10, 0), True),  # its Saturday
        (WEEKENDS_SHORTER, at(2026, 11, 28, 8, 30), False),  # weekend hours start at 09:00
        (WEEKENDS_SHORTER, at(2026, 11, 28, 9, 0), True),
        (WEEKENDS_SHORTER, at(2026, 2, 14, 8, 30), True),  # make-up Saturday: working hours
        (HOLIDAY_DUTY, at(2026, 10, 1, 10, 0), True),  # holiday duty hours
        (HOLIDAY_DUTY, at(2026, 10, 1, 13, 0), False),
        (HOLIDAY_DUTY, at(2026, 11, 28, 10, 0), False),  # an ordinary Saturday stays closed
        (ALWAYS, at(2026, 10, 1, 3, 0), True),
        (ALWAYS, at(2026, 2, 17, 23, 59, 59), True),
    ],
)
def test_given_a_schedule_when_asked_at_a_moment_then_open_or_closed(
    schedule: Schedule, when: datetime, expected: bool
) -> None:
    assert is_open(schedule, when) is expected


@pytest.mark.parametrize(
    ("schedule", "day", "kind"),
    [
        (OFFICE, date(2026, 10, 1), DayKind.STATUTORY_HOLIDAY),
        (OFFICE, date(2026, 1, 4), DayKind.MAKEUP_WORKDAY),
        (OFFICE, date(2026, 2, 14), DayKind.MAKEUP_WORKDAY),
        (HOTLINE, date(2026, 2, 14), DayKind.MAKEUP_WORKDAY),
        (OFFICE, date(2026, 11, 28), DayKind.WEEKEND),
        (OFFICE, date(2026, 11, 27), DayKind.WORKDAY),
        (HOTLINE, date(2026, 11, 28), DayKind.WORKDAY),
        (WINDOW, date(2026, 11, 30), DayKind.WEEKEND),  # Monday: outside tue-sat
        (PLAIN, date(2026, 10, 1), DayKind.WORKDAY),
        (OFFICE, date(2099, 10, 1), DayKind.WORKDAY),  # no data: the weekly rule
    ],
)
def test_given_a_day_then_its_kind_says_why(schedule: Schedule, day: date, kind: DayKind) -> None:
    assert day_kind(schedule, day) is kind


def test_given_the_national_day_holiday_then_next_opening_is_after_it() -> None:
    assert next_opening(HOTLINE, at(2026, 10, 1, 10, 0)) == at(2026, 10, 8, 8, 0)
    assert next_opening(HOTLINE, at(2026, 11, 25, 10, 0)) == at(2026, 11, 25, 10, 0)


def test_given_the_spring_festival_then_next_opening_is_the_first_working_day() -> None:
    assert next_opening(OFFICE, at(2026, 2, 14, 17, 30)) == at(2026, 2, 24, 9, 0)
    assert next_opening(OFFICE, at(2026, 2, 16, 10, 0)) == at(2026, 2, 24, 9, 0)


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (at(2026, 11, 25, 7, 0), at(2026, 11, 25, 9, 0)),  # before opening
        (at(2026, 11, 25, 12, 0), at(2026, 11, 25, 13, 0)),  # lunch
        (at(2026, 11, 27, 17, 0), at(2026, 11, 30, 9, 0)),  # Friday evening: Monday
        (datetime(2026, 11, 27, 9, 0, tzinfo=UTC), at(2026, 11, 30, 9, 0)),  # 17:00 Shanghai
    ],
)
def test_given_a_closed_moment_then_next_opening(when: datetime, expected: datetime) -> None:
    opening = next_opening(OFFICE, when)
    assert opening == expected
    assert opening is not None
    assert is_open(OFFICE, opening)


def test_given_no_opening_within_the_search_then_none() -> None:
    closed = parse_schedule(
        "closed", {"open": ["09:00-17:00"], "days": "mon",
                   "closed_dates": [f"2026-12-{d:02d}" for d in (7, 14, 21, 28)] + ["2027-01-04"]},
    )  # fmt: skip
    assert next_opening(closed, at(2026, 12, 1, 10, 0)) is None


def test_given_local_dates_then_they_override_the_calendar() -> None:
    local = parse_schedule(
        "x", {"days": "mon-fri", "open": ["09:00-17:00"],
              "closed_dates": ["2026-11-25"], "open_dates": ["2026-11-28", "2026-10-01"]},
    )  # fmt: skip
    assert not is_open(local, at(2026, 11, 25, 10, 0))
    assert is_open(local, at(2026, 11, 28, 10, 0))
    assert is_open(local, at(2026, 10, 1, 10, 0))
    assert day_kind(local, date(2026, 10, 1)) is DayKind.LOCAL_OPEN
    assert day_kind(local, date(2026, 11, 25)) is DayKind.LOCAL_CLOSED


def test_given_a_year_without_calendar_data_then_the_weekly_rule() -> None:
    assert calendar_covers(2026)
    assert not calendar_covers(2099)
    assert not calendar_covers(10_000)
    assert is_open(OFFICE, at(2099, 10, 1, 10, 0))  # a Thursday; no holiday data that far
    assert next_opening(OFFICE, at(2099, 10, 3, 10, 0)) == at(2099, 10, 5, 9, 0)


def test_given_a_period_to_midnight_then_open_until_the_end_of_the_day() -> None:
    late = parse_schedule("late", {"days": "mon-sun", "open": ["20:00-24:00", "00:00-08:00"],
                                   "statutory_calendar": False})  # fmt: skip
    assert is_open(late, at(2026, 11, 25, 23, 59, 59, 999_998))
    assert is_open(late, at(2026, 11, 26, 0, 0))
    assert not is_open(late, at(2026, 11, 26, 8, 0))
    assert opening_periods(late, date(2026, 11, 25))[0] == (time(20, 0), time.max)


def test_given_a_naive_moment_then_value_error() -> None:
    with pytest.raises(ValueError, match="time zone"):
        is_open(OFFICE, datetime(2026, 11, 25, 10, 0))


@given(st.datetimes(min_value=datetime(2004, 1, 1), max_value=datetime(2030, 12, 31),
                    timezones=st.just(UTC)))  # fmt: skip
def test_next_opening_is_open_and_not_before(when: datetime) -> None:
    opening = next_opening(OFFICE, when)
    assert opening is not None
    assert opening >= when
    assert is_open(OFFICE, opening)
    assert not is_open(OFFICE, opening - timedelta(microseconds=1)) or opening == when


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"days": "someday", "open": ["09:00-17:00"]}, "days"),
        ({"open": ["9-5"]}, "open"),
        ({"open": ["17:00-09:00"]}, "ends before"),
        ({"open": ["25:00-26:00"]}, "impossible"),
        ({"open": []}, "at least one"),
        ({}, "open"),
        ({"open": 830}, "open"),
        ({"open": ["09:00-17:00"], "closed_dates": ["tomorrow"]}, "closed_dates"),
        ({"open": ["09:00-17:00"], "open_dates": "2026-12-31"}, "open_dates"),
        (
            {"open": ["09:00-17:00"], "closed_dates": ["2026-12-31"], "open_dates": ["2026-12-31"]},
            "both list 2026-12-31",
        ),
        ({"open": ["09:00-17:00"], "color": "red"}, "unknown field"),
        ({"open": ["09:00-17:00"], "timezone": "Mars/Base"}, "timezone"),
        ({"open": ["09:00-17:00"], "statutory_calendar": "yes please"}, "statutory_calendar"),
        ({"open": ["09:00-17:00"], "always_open": 1}, "always_open"),
        ({"open": ["09:00-17:00"], "weekend_open": ["09:00-12:00"]}, "Saturday or Sunday"),
        ({"open": ["09:00-17:00"], "days": "mon-sun", "weekend_open": []}, "weekend_open"),
        (
            {"open": ["09:00-17:00"], "holiday_open": ["09:00-12:00"], "statutory_calendar": False},
            "holiday_open",
        ),
    ],
)
def test_given_a_bad_schedule_then_value_error_names_the_field(
    raw: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        parse_schedule("bad", raw)


def test_given_yaml_shaped_data_then_a_schedule() -> None:
    schedule = parse_schedule(
        "office",
        {"days": "mon-fri", "open": ["08:30-12:00", "13:00-17:30"], "statutory_calendar": True,
         "closed_dates": [date(2026, 12, 31)], "open_dates": ["2026-12-26"]},
    )  # fmt: skip
    assert schedule == Schedule(
        "office",
        ((time(8, 30), time(12, 0)), (time(13, 0), time(17, 30))),
        frozenset(range(5)),
        closed_dates=frozenset({date(2026, 12, 31)}),
        open_dates=frozenset({date(2026, 12, 26)}),
    )
    assert parse_schedule("x", {"days": ["sat", "sun"], "open": "9:00-12:00"}) == Schedule(
        "x", ((time(9, 0), time(12, 0)),), frozenset({5, 6})
    )
    assert parse_schedule("x", {"days": "fri-mon", "open": ["09:00-10:00"]}).days == {4, 5, 6, 0}


def test_given_an_impossible_schedule_then_the_dataclass_refuses_it() -> None:
    with pytest.raises(ValueError, match="ends before"):
        Schedule("x", ((time(17, 0), time(9, 0)),))
    with pytest.raises(ValueError, match="time zone"):
        Schedule("x", (), timezone="Nowhere/Else")
    with pytest.raises(ValueError, match="days"):
        Schedule("x", (), days=frozenset({7}))
