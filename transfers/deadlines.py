"""Work-order deadlines: working days from the office's calendar, and the defaults as data.

Working days are the days the receiving office's schedule opens (ivr/hours.py): statutory
holidays are skipped and make-up working days (调休) count. Periods are counted as Chinese law
counts them (民法典 第二百零一条): the day the order is made is not counted, so "5 working days"
ends at 23:59:59 local on the fifth working day after it.

Defaults (``DeadlinePolicy``, overridable from a mapping with ``parse_deadline_policy``):

===========================  =========================================  =====================
order                        acknowledge by                             resolve by
===========================  =========================================  =====================
inspection complaint         5 working days (劳动保障监察条例: a           60 working days
                             complaint is accepted or not within 5)      (the same 条例, 第十七条)
urgent inspection complaint  the same day, 23:59:59 local, every day     5 working days
                             (the brigade's duty officer); made at or
                             after 20:00: 12:00 the next day
employment referral          3 working days                             10 working days
generic                      1 working day                              15 working days
===========================  =========================================  =====================

Each deadline escalates twice: at the deadline (level 1), and again a working day later (an urgent
deadline: four hours later) if still not met (level 2).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from ivr.hours import Schedule, opening_periods, parse_schedule

END_OF_DAY = time(23, 59, 59)
MAX_SEARCH_DAYS = 800


class DeadlineName(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


@dataclass(frozen=True)
class Deadline:
    name: DeadlineName
    due_at: datetime
    escalate_again_at: datetime
    """Level 2: still not met by then."""


@dataclass(frozen=True)
class TypeDeadlines:
    acknowledge_working_days: int
    resolve_working_days: int


def _call_window() -> Schedule:
    return parse_schedule("follow_up_calls", {"days": "mon-sun", "open": ["09:00-20:00"]})


@dataclass(frozen=True)
class DeadlinePolicy:
    inspection: TypeDeadlines = TypeDeadlines(5, 60)
    urgent_resolve_working_days: int = 5
    urgent_cutoff: time = time(20, 0)
    """Urgent orders made at or after this time are due ``urgent_late_due`` the next day."""
    urgent_late_due: time = time(12, 0)
    urgent_escalate_again_after: timedelta = timedelta(hours=4)
    referral: TypeDeadlines = TypeDeadlines(3, 10)
    generic: TypeDeadlines = TypeDeadlines(1, 15)
    follow_up_after: timedelta = timedelta(hours=24)
    """The follow-up call (回访) after resolution: not before this, within the call window."""
    follow_up_within_working_days: int = 3
    call_window: Schedule = field(default_factory=_call_window)


class _Days(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    acknowledge_working_days: Annotated[int, Field(ge=1, le=60)]
    resolve_working_days: Annotated[int, Field(ge=1, le=250)]


class _PolicySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    inspection: _Days | None = None
    referral: _Days | None = None
    generic: _Days | None = None
    urgent_resolve_working_days: Annotated[int, Field(ge=1, le=60)] | None = None
    urgent_cutoff_hour: Annotated[int, Field(ge=12, le=23)] | None = None
    follow_up_after_hours: Annotated[int, Field(ge=1, le=240)] | None = None
    follow_up_within_working_days: Annotated[int, Field(ge=1, le=30)] | None = None


def parse_deadline_policy(raw: Mapping[str, Any]) -> DeadlinePolicy:
    """The defaults overridden by a configuration mapping; pydantic's ValidationError if wrong."""
    spec = _PolicySpec.model_validate(dict(raw))
    changes: dict[str, Any] = {}
    for kind in ("inspection", "referral", "generic"):
        days = getattr(spec, kind)
        if days is not None:
            changes[kind] = TypeDeadlines(days.acknowledge_working_days, days.resolve_working_days)
    if spec.urgent_resolve_working_days is not None:
        changes["urgent_resolve_working_days"] = spec.urgent_resolve_working_days
    if spec.urgent_cutoff_hour is not None:
        changes["urgent_cutoff"] = time(spec.urgent_cutoff_hour, 0)
    if spec.follow_up_after_hours is not None:
        changes["follow_up_after"] = timedelta(hours=spec.follow_up_after_hours)
    if spec.follow_up_within_working_days is not None:
        changes["follow_up_within_working_days"] = spec.follow_up_within_working_days
    return dataclasses.replace(DeadlinePolicy(), **changes)


def is_working_day(schedule: Schedule, day: date) -> bool:
    return bool(opening_periods(schedule, day))


def end_of_working_days(start: datetime, count: int, schedule: Schedule) -> datetime:
    """23:59:59 local on the ``count``-th working day after ``start``'s day (not counting it)."""
    if start.utcoffset() is None:
        raise ValueError(f"{start} has no time zone: pass an aware datetime")
    day = start.astimezone(schedule.zone).date()
    found = 0
    for _ in range(MAX_SEARCH_DAYS):
        day += timedelta(days=1)
        if is_working_day(schedule, day):
            found += 1
            if found == count:
                return datetime.combine(day, END_OF_DAY, schedule.zone)
    raise ValueError(f"{schedule.name}: no {count} working days within {MAX_SEARCH_DAYS} days")


def urgent_due(created_at: datetime, policy: DeadlinePolicy, schedule: Schedule) -> datetime:
    local = created_at.astimezone(schedule.zone)
    if local.time() < policy.urgent_cutoff:
        return datetime.combine(local.date(), END_OF_DAY, schedule.zone)
    return datetime.combine(local.date() + timedelta(days=1), policy.urgent_late_due, schedule.zone)


def working_day_deadline(
    name: DeadlineName, created_at: datetime, days: int, schedule: Schedule
) -> Deadline:
    due = end_of_working_days(created_at, days, schedule)
    return Deadline(name, due, end_of_working_days(due, 1, schedule))
