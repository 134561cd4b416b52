"""Hit rates: how often an entry is the one that answered calls of a topic, recent calls
counting more (exponential decay), so the order follows what callers ask now.

Pure: marks come in with their time; nothing here reads a clock.

A mark made at time t weighs 2 ** ((t - epoch) / half_life). A topic's rate for an entry is its
share of the topic's weight; since every weight decays by the same factor as time passes, the
shares need no update when time moves on, and each mark costs O(1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

DEFAULT_HALF_LIFE = timedelta(days=30)
"""A month-old mark counts half as much as today's: 12333's order follows the season's
questions (contribution bases in July, unemployment after the spring festival)."""
RENORMALISE_EXPONENT = 500.0
"""Weights grow as 2 ** (age in half-lives); rescale well before floats overflow (2 ** 1024)."""


@dataclass
class HitRates:
    half_life: timedelta = DEFAULT_HALF_LIFE
    _epoch: datetime | None = None
    _weights: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    _totals: dict[str, float] = field(default_factory=lambda: defaultdict(float))

    def __post_init__(self) -> None:
        if self.half_life <= timedelta(0):
            raise ValueError(f"a half-life must be positive, not {self.half_life}")

    def add(self, topic: str, provision_id: str, at: datetime) -> None:
        """One more call of this topic answered by this entry."""
        weight = self._weight(at)
        entries = self._weights[topic]
        entries[provision_id] = entries.get(provision_id, 0.0) + weight
        self._totals[topic] += weight

    def rates(self, topic: str) -> dict[str, float]:
        """Each marked entry's share (0..1) of the topic's recent answers."""
        total = self._totals.get(topic, 0.0)
        if total <= 0.0:
            return {}
        return {pid: weight / total for pid, weight in self._weights[topic].items()}

    def ranked(self, topic: str, top: int) -> list[tuple[str, float]]:
        return ranked(self.rates(topic), top)

    def topics(self) -> list[str]:
        return sorted(topic for topic, total in self._totals.items() if total > 0.0)

    def _weight(self, at: datetime) -> float:
        if self._epoch is None:
            self._epoch = at
        exponent = (at - self._epoch) / self.half_life
        if exponent > RENORMALISE_EXPONENT:
            self._rescale(at)
            exponent = 0.0
        return float(2.0**exponent)

    def _rescale(self, new_epoch: datetime) -> None:
        assert self._epoch is not None
        factor = 2.0 ** -((new_epoch - self._epoch) / self.half_life)
        for topic, entries in self._weights.items():
            for pid in entries:
                entries[pid] *= factor
            self._totals[topic] *= factor
        self._epoch = new_epoch


def ranked(shares: Mapping[str, float], top: int) -> list[tuple[str, float]]:
    """The most used entries, best first (ties by id, for a stable order)."""
    return sorted(shares.items(), key=lambda item: (-item[1], item[0]))[:top]
