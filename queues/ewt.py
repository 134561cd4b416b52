"""Estimated wait time, for "您前面还有两位，预计等待约两分钟". Pure: fed observations, asked for
estimates; the caller supplies positions and agent counts.

Two exponentially weighted moving averages (weight ``alpha`` for each new observation):

- the handle time of a call (talk + wrap-up), from ``observe_handle``;
- the wait of answered callers (the ASA), from ``observe_answer``; reported by ``asa()``.

The estimate for a caller at ``position`` (1 = next, counted across every queue the same agents
serve) while ``serving_agents`` agents take calls is

    EWT = position x mean handle time / max(1, serving_agents)

that is, the calls ahead (and this one's own turn) are shared among the agents, each freeing up
once per handle time. It is None until ``min_observations`` handle times have been seen (or a
mean from history is given to ``seed``). It
deliberately ignores where in their calls the agents are and how often callers abandon: it is
an announcement, not a promise, and is read out rounded to the minute.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Ewma:
    alpha: float
    value: float | None = None
    count: int = 0

    def observe(self, x: float) -> None:
        if x < 0:
            raise ValueError(f"a duration cannot be negative: {x}")
        self.value = x if self.value is None else self.alpha * x + (1 - self.alpha) * self.value
        self.count += 1


@dataclass
class WaitEstimator:
    alpha: float = 0.1
    min_observations: int = 5

    def __post_init__(self) -> None:
        if not 0 < self.alpha <= 1:
            raise ValueError(f"alpha must be in (0, 1], not {self.alpha}")
        self.handle = Ewma(self.alpha)
        self.answer = Ewma(self.alpha)

    def observe_handle(self, seconds: float) -> None:
        """A call finished: its talk plus wrap-up time."""
        self.handle.observe(seconds)

    def seed(self, handle_seconds: float) -> None:
        """Start from a known mean handle time (from history) instead of from nothing."""
        self.handle.observe(handle_seconds)
        self.handle.count = max(self.handle.count, self.min_observations)

    def observe_answer(self, wait_seconds: float) -> None:
        """A caller was answered after waiting this long."""
        self.answer.observe(wait_seconds)

    def estimate(self, position: int, serving_agents: int) -> float | None:
        """Seconds until the caller at ``position`` (1 = next) is likely answered."""
        if position < 1:
            raise ValueError(f"positions start at 1, not {position}")
        if self.handle.value is None or self.handle.count < self.min_observations:
            return None
        return position * self.handle.value / max(1, serving_agents)

    def asa(self) -> float | None:
        """The recent average speed of answer, once there are enough answers."""
        if self.answer.value is None or self.answer.count < self.min_observations:
            return None
        return self.answer.value
