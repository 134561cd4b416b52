"""Opening hours with China's statutory holidays and make-up working days. Pure: time is passed in.

A schedule opens on its weekdays during its periods. With ``statutory_calendar`` the maintained
``chinesecalendar`` package decides the exceptions: a statutory holiday (国庆节, 春节...) is
closed, and a weekend day that the State Council made a working day (调休) opens with the
working-day hours. Local ``closed_dates`` and ``open_dates`` come last. For a year the package
has no data for, the plain weekly rule applies (``calendar_covers`` says so, to warn).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEARCH_DAYS = 30
_PERIOD = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
KNOWN_FIELDS = frozenset(
    {"days", "open", "statutory_calendar", "closed_dates", "open_dates", "timezone", "always_open"}
)


class DayKind(enum.StrEnum):
    WORKDAY = "workday"
    WEEKEND = "weekend"
    STATUTORY_HOLIDAY = "statutory_holiday"
    MAKEUP_WORKDAY = "makeup_workday"
    LOCAL_CLOSED = "local_closed"
    LOCAL_OPEN = "local_open"


OPEN_KINDS = frozenset({DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY, DayKind.LOCAL_OPEN})


@dataclass(frozen=True)
class Schedule:
    name: str
    periods: tuple[tuple[time, time], ...]
    days: frozenset[int] = frozenset(range(5))
    """Weekdays normally open (0 Monday ... 6 Sunday)."""
    statutory_calendar: bool = True
    closed_dates: frozenset[date] = frozenset()
    open_dates: frozenset[date] = frozenset()
    timezone: str = "Asia/Shanghai"
    always_open: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def calendar_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def day_kind(schedule: Schedule, day: date) -> DayKind:
    if day in schedule.closed_dates:
        return DayKind.LOCAL_CLOSED
    if day in schedule.open_dates:
        return DayKind.LOCAL_OPEN
    usual = DayKind.WORKDAY if day.weekday() in schedule.days else DayKind.WEEKEND
    if not schedule.statutory_calendar or not calendar_covers(day.year):
        return usual
    on_holiday, holiday_name = chinese_calendar.get_holiday_detail(day)
    if on_holiday and holiday_name is not None:
        return DayKind.STATUTORY_HOLIDAY
    if not on_holiday and usual is DayKind.WEEKEND:
        return DayKind.MAKEUP_WORKDAY
    return usual


def is_open(schedule: Schedule, at: datetime) -> bool:
    if schedule.always_open:
        return True
    local = at.astimezone(schedule.zone)
    if day_kind(schedule, local.date()) not in OPEN_KINDS:
        return False
    now = local.time().replace(tzinfo=None)
    return any(start <= now < end for start, end in schedule.periods)


def next_opening(schedule: Schedule, at: datetime) -> datetime | None:
    """The first moment from ``at`` on when the schedule is open (``at`` itself if open)."""
    if is_open(schedule, at):
        return at
    local = at.astimezone(schedule.zone)
    for offset in range(SEARCH_DAYS + 1):
        day = local.date() + timedelta(days=offset)
        if day_kind(schedule, day) not in OPEN_KINDS:
            continue
        for start, _ in sorted(schedule.periods):
            opening = datetime.combine(day, start, schedule.zone)
            if opening > local:
                return opening
    return None


def parse_schedule(name: str, raw: Mapping[str, Any]) -> Schedule:
    """A schedule from a flow file's ``schedules:`` entry; ValueError naming the bad field."""
    unknown = set(raw) - KNOWN_FIELDS
    if unknown:
        raise ValueError(f"unknown field(s) {sorted(unknown)}; known: {sorted(KNOWN_FIELDS)}")
    timezone = str(raw.get("timezone", "Asia/Shanghai"))
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"timezone: {timezone!r} is not a time zone name") from None
    always = raw.get("always_open", False)
    if not isinstance(always, bool):
        raise ValueError("always_open: write true or false")
    periods = _periods(raw.get("open", [] if always else None))
    if not periods and not always:
        raise ValueError("open: give at least one period, e.g. ['08:30-17:30']")
    calendar = raw.get("statutory_calendar", True)
    if not isinstance(calendar, bool):
        raise ValueError("statutory_calendar: write true or false")
    return Schedule(
        name, periods, _days(raw.get("days", "mon-fri")), calendar,
        _dates("closed_dates", raw.get("closed_dates", [])),
        _dates("open_dates", raw.get("open_dates", [])), timezone, always,
    )  # fmt: skip


def _periods(raw: object) -> tuple[tuple[time, time], ...]:
    if not isinstance(raw, list):
        raise ValueError("open: a list of periods like '08:30-12:00'")
    periods = []
    for item in raw:
        match = _PERIOD.match(str(item))
        if match is None:
            raise ValueError(f"open: {item!r} is not a period like '08:30-12:00'")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        try:
            start, end = time(h1, m1), time(23, 59, 59) if (h2, m2) == (24, 0) else time(h2, m2)
        except ValueError:
            raise ValueError(f"open: {item!r} has an impossible time") from None
        if end <= start:
            raise ValueError(f"open: {item!r} ends before it starts")
        periods.append((start, end))
    return tuple(periods)


def _days(raw: object) -> frozenset[int]:
    days: set[int] = set()
    for part in str(raw).replace(" ", "").lower().split(","):
        first, _, last = part.partition("-")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ValueError(f"days: {raw!r}; write e.g. 'mon-fri' or 'mon-fri,sun'")
        start, end = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        days.update(range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)])
    return frozenset(days)


def _dates(field: str, raw: object) -> frozenset[date]:
    if not isinstance(raw, list):
        raise ValueError(f"{field}: a list of dates like 2026-12-31")
    found = set()
    for item in raw:
        if isinstance(item, date) and not isinstance(item, datetime):
            found.add(item)
            continue
        try:
            found.add(date.fromisoformat(str(item)))
        except ValueError:
            raise ValueError(f"{field}: {item!r} is not a date like 2026-12-31") from None
    return frozenset(found)
