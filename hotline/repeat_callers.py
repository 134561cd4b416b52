"""Who answered each caller last: a caller who rings again soon is offered to the same agent
first (preferred-agent routing), who already knows the case.

Kept in memory (bounded, least recently seen forgotten first) and seeded from the store's
answered calls at start, so a controller restart does not forget today's callers.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime, timedelta

MIN_NUMBER_DIGITS = 5
"""Shorter caller IDs (none, 'anonymous', internal extensions) are not people to recognise."""


class RepeatCallers:
    def __init__(self, window_s: float, capacity: int = 200_000) -> None:
        self.window = timedelta(seconds=window_s)
        self.capacity = capacity
        self._last: OrderedDict[str, tuple[str, datetime]] = OrderedDict()

    def remember(self, number: str, agent: str, at: datetime) -> None:
        if len(number) < MIN_NUMBER_DIGITS or self.window <= timedelta(0):
            return
        self._last[number] = (agent, at)
        self._last.move_to_end(number)
        while len(self._last) > self.capacity:
            self._last.popitem(last=False)

    def seed(self, answered: Iterable[tuple[str, str, datetime]]) -> None:
        """(number, agent, answered_at) of past calls, in any order: the latest wins."""
        for number, agent, at in sorted(answered, key=lambda row: row[2]):
            self.remember(number, agent, at)

    def agent_for(self, number: str, at: datetime) -> str | None:
        """The agent who last answered ``number``, if that was within the window."""
        last = self._last.get(number)
        if last is None or at - last[1] > self.window:
            return None
        return last[0]

    def __len__(self) -> int:
        return len(self._last)
