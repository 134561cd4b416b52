"""What the IVR interpreter may know when a call starts, gathered from the world.

The interpreter is pure: the clock, the opening hours, the admin's hot-topic announcement and
whether the caller's number can be called back are read here, once per call, and handed in.
A database that is away costs the caller the announcement, never the call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from hotline.calls import CallTrace
from hotline.storage import HotTopic, StorageError
from ivr.flow import Flow
from ivr.hours import Schedule, is_open, next_opening
from ivr.interpreter import CallFacts
from ivr.phone_numbers import parse_callback_number
from ivr.prompt import Prompt

log = logging.getLogger("hotline.ivr")


class IvrFacts:
    def __init__(
        self,
        flow: Callable[[], Flow],
        active_hot_topic: Callable[[datetime], HotTopic | None],
        clock: Callable[[], datetime],
        zone: str,
    ) -> None:
        self.flow = flow
        self.active_hot_topic = active_hot_topic
        self.clock = clock
        self.zone = ZoneInfo(zone)

    def __call__(self, trace: CallTrace) -> CallFacts:
        """Blocking (reads the store): call through asyncio.to_thread."""
        now = self.clock()
        flow = self.flow()
        return CallFacts(
            today=now.astimezone(self.zone).date(),
            open_schedules=frozenset(
                name
                for name, schedule in flow.schedules.items()
                if isinstance(schedule, Schedule) and is_open(schedule, now)
            ),
            hot_topic=self._hot_topic(now),
            callback_possible=parse_callback_number(trace.caller_number) is not None,
        )

    def next_opening(self, schedule_name: str) -> datetime | None:
        schedule = self.flow().schedules.get(schedule_name)
        if not isinstance(schedule, Schedule):
            return None
        return next_opening(schedule, self.clock())

    def _hot_topic(self, now: datetime) -> Prompt | None:
        try:
            topic = self.active_hot_topic(now)
        except StorageError as exc:
            log.warning("no hot-topic announcement for this call: the store is away (%s)", exc)
            return None
        return None if topic is None else Prompt(f"hot_topic_{topic.id}", topic.text)
