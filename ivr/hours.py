"""Opening hours with China's statutory holidays and make-up working days. Pure: time is passed in.

A schedule opens on its weekdays during its periods. With ``statutory_calendar`` the maintained
``chinesecalendar`` package decides the exceptions: a statutory holiday (国庆节, 春节...) is
closed (or open with ``holiday_periods``), and a Saturday or Sunday that the State Council made a
working day (调休) opens with the working-day hours. Local ``closed_dates`` and ``open_dates``
come first. For a year the package has no data for, the plain weekly rule applies
(``calendar_covers`` says so: warn "update the chinesecalendar package").

As data (a flow file's ``schedules:`` entry, see ``parse_schedule``)::

    days: mon-fri                       # or mon-sun, "mon-fri,sun", [mon, tue]
    open: ["08:30-12:00", "13:00-17:30"]  # "HH:MM-HH:MM", 24:00 for midnight
    weekend_open: ["09:00-12:00"]       # optional: other hours on the Saturday/Sunday of days
    holiday_open: ["09:00-17:00"]       # optional: open on statutory holidays with these hours
    statutory_calendar: true            # default true
    closed_dates: [2026-12-31]          # optional local overrides
    open_dates: []
    timezone: Asia/Shanghai             # default
    always_open: false                  # true: 24 hours, every day, nothing else applies
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
SATURDAY = 5
SEARCH_DAYS = 30
END_OF_DAY = time.max
"""How 24:00 is kept: a period ending at midnight is open until the last microsecond."""
ALL_DAY = ((time(0, 0), END_OF_DAY),)
_PERIOD = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
KNOWN_FIELDS = frozenset({
    "days", "open", "weekend_open", "holiday_open", "statutory_calendar", "closed_dates",
    "open_dates", "timezone", "always_open",
})  # fmt: skip

Period = tuple[time, time]


class DayKind(enum.StrEnum):
    """Why a day is open or closed, so that a prompt or a log can say so."""

    WORKDAY = "workday"
    """A day of the schedule's weekly rule."""
    WEEKEND = "weekend"
    """A day outside the weekly rule (for a mon-fri schedule: Saturday and Sunday)."""
    STATUTORY_HOLIDAY = "statutory_holiday"
    MAKEUP_WORKDAY = "makeup_workday"
    """A Saturday or Sunday made a working day (调休)."""
    LOCAL_CLOSED = "local_closed"
    LOCAL_OPEN = "local_open"


@dataclass(frozen=True)
class Schedule:
    name: str
    periods: tuple[Period, ...]
    """Working-day hours: (start, end), end excluded; END_OF_DAY for 24:00."""
    days: frozenset[int] = frozenset(range(5))
    """Weekdays normally open (0 Monday ... 6 Sunday)."""
    statutory_calendar: bool = True
    closed_dates: frozenset[date] = frozenset()
    open_dates: frozenset[date] = frozenset()
    timezone: str = "Asia/Shanghai"
    always_open: bool = False
    weekend_periods: tuple[Period, ...] | None = None
    """Hours on the Saturdays and Sundays of ``days``; None: the working-day hours."""
    holiday_periods: tuple[Period, ...] = ()
    """Hours on statutory holidays; empty: closed."""

    def __post_init__(self) -> None:
        for period in (*self.periods, *(self.weekend_periods or ()), *self.holiday_periods):
            if not period[0] < period[1]:
                raise ValueError(f"schedule {self.name}: period {period} ends before it starts")
        if not self.days <= frozenset(range(7)):
            raise ValueError(f"schedule {self.name}: days are 0 (Monday) to 6 (Sunday)")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"schedule {self.name}: no time zone {self.timezone!r}") from None

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def calendar_covers(year: int) -> bool:
    """Whether chinesecalendar knows the holidays of ``year``; if not, update the package."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except (NotImplementedError, ValueError):
        return False
    return True


def day_kind(schedule: Schedule, day: date) -> DayKind:
    """What ``day`` (a date in the schedule's zone) is for this schedule."""
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
    if not on_holiday and day.weekday() >= SATURDAY:
        return DayKind.MAKEUP_WORKDAY
    return usual


def opening_periods(schedule: Schedule, day: date) -> tuple[Period, ...]:
    """The periods the schedule is open on ``day`` (a local date); empty when closed."""
    if schedule.always_open:
        return ALL_DAY
    kind = day_kind(schedule, day)
    if kind is DayKind.STATUTORY_HOLIDAY:
        return schedule.holiday_periods
    if kind in (DayKind.WEEKEND, DayKind.LOCAL_CLOSED):
        return ()
    if kind is DayKind.WORKDAY and day.weekday() >= SATURDAY and schedule.weekend_periods:
        return schedule.weekend_periods
    return schedule.periods


def is_open(schedule: Schedule, at: datetime) -> bool:
    """Whether the schedule is open at ``at`` (timezone-aware; ValueError if naive)."""
    local = _local(schedule, at)
    now = local.time().replace(tzinfo=None)
    return any(start <= now < end for start, end in opening_periods(schedule, local.date()))


def next_opening(schedule: Schedule, at: datetime) -> datetime | None:
    """The first moment from ``at`` on when the schedule is open: ``at`` itself if open, else
    the next opening in the schedule's zone within SEARCH_DAYS, else None."""
    if is_open(schedule, at):
        return at
    local = _local(schedule, at)
    for offset in range(SEARCH_DAYS + 1):
        try:
            day = local.date() + timedelta(days=offset)
        except OverflowError:
            return None
        for start, _ in sorted(opening_periods(schedule, day)):
            opening = datetime.combine(day, start, schedule.zone)
            if opening > local:
                return opening
    return None


def _local(schedule: Schedule, at: datetime) -> datetime:
    if at.utcoffset() is None:
        raise ValueError(f"{at} has no time zone: pass an aware datetime")
    return at.astimezone(schedule.zone)


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
    always = _flag(raw, "always_open", default=False)
    calendar = _flag(raw, "statutory_calendar", default=True)
    periods = _periods("open", raw.get("open", [] if always else None))
    if not periods and not always:
        raise ValueError("open: give at least one period, e.g. ['08:30-17:30']")
    days = _days(raw.get("days", "mon-fri"))
    weekend = _optional_periods(raw, "weekend_open")
    if weekend is not None and not days & {5, 6}:
        raise ValueError("weekend_open: days has no Saturday or Sunday to use these hours on")
    holiday = _optional_periods(raw, "holiday_open") or ()
    if holiday and not calendar:
        raise ValueError("holiday_open: needs statutory_calendar: true to know the holidays")
    closed = _dates("closed_dates", raw.get("closed_dates", []))
    opened = _dates("open_dates", raw.get("open_dates", []))
    if closed & opened:
        both = ", ".join(sorted(str(day) for day in closed & opened))
        raise ValueError(f"closed_dates and open_dates both list {both}")
    return Schedule(
        name, periods, days, calendar, closed, opened, timezone, always, weekend, holiday
    )


def _flag(raw: Mapping[str, Any], field: str, *, default: bool) -> bool:
    value = raw.get(field, default)
    if not isinstance(value, bool):
        raise ValueError(f"{field}: write true or false, not {value!r}")
    return value


def _optional_periods(raw: Mapping[str, Any], field: str) -> tuple[Period, ...] | None:
    if field not in raw:
        return None
    periods = _periods(field, raw[field])
    if not periods:
        raise ValueError(f"{field}: give at least one period, or leave the field out")
    return periods


def _periods(field: str, raw: object) -> tuple[Period, ...]:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list):
        raise ValueError(f"{field}: a list of periods like '08:30-12:00'")
    return tuple(_period(field, item) for item in raw)


def _period(field: str, item: object) -> Period:
    match = _PERIOD.match(str(item).strip())
    if match is None:
        raise ValueError(f"{field}: {item!r} is not a period like '08:30-12:00'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        start, end = time(h1, m1), END_OF_DAY if (h2, m2) == (24, 0) else time(h2, m2)
    except ValueError:
        raise ValueError(f"{field}: {item!r} has an impossible time") from None
    if end <= start:
        raise ValueError(
            f"{field}: {item!r} ends before it starts (split a night: '20:00-24:00', '00:00-08:00')"
        )
    return start, end


def _days(raw: object) -> frozenset[int]:
    parts = [str(part) for part in raw] if isinstance(raw, list) else str(raw).split(",")
    days: set[int] = set()
    for part in (part.replace(" ", "").lower() for part in parts):
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
