"""What a load run does: traffic shape, agents' ring and talk time distributions (pure)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Literal

Engine = Literal["hotline", "native"]
KINDS = ("fixed", "uniform", "normal", "exp", "lognormal")


class OptionsError(ValueError):
    """A load option is invalid; the message says which and why."""


@dataclass(frozen=True)
class Distribution:
    """Seconds drawn from ``kind``: fixed:X, uniform:MIN:MAX, normal:MEAN:SD, exp:MEAN,
    lognormal:MEDIAN:SIGMA. Draws are clamped to [low, high]."""

    kind: str
    a: float
    b: float = 0.0
    low: float = 0.2
    high: float = 3600.0

    @classmethod
    def parse(cls, text: str, *, low: float = 0.2, high: float = 3600.0) -> Distribution:
        parts = text.strip().split(":")
        kind, numbers = parts[0], parts[1:]
        wanted = {"fixed": 1, "uniform": 2, "normal": 2, "exp": 1, "lognormal": 2}
        if kind not in wanted or len(numbers) != wanted[kind]:
            raise OptionsError(
                f"distribution {text!r}: use fixed:X, uniform:MIN:MAX, normal:MEAN:SD, "
                "exp:MEAN or lognormal:MEDIAN:SIGMA (seconds)"
            )
        try:
            values = [float(n) for n in numbers]
        except ValueError:
            raise OptionsError(f"distribution {text!r}: not a number") from None
        if any(v < 0 or not math.isfinite(v) for v in values):
            raise OptionsError(f"distribution {text!r}: values must be finite and >= 0")
        if kind == "uniform" and values[0] > values[1]:
            raise OptionsError(f"distribution {text!r}: MIN above MAX")
        return cls(kind, values[0], values[1] if len(values) > 1 else 0.0, low, high)

    def draw(self, rng: random.Random) -> float:
        if self.kind == "fixed":
            value = self.a
        elif self.kind == "uniform":
            value = rng.uniform(self.a, self.b)
        elif self.kind == "normal":
            value = rng.gauss(self.a, self.b)
        elif self.kind == "exp":
            value = rng.expovariate(1 / self.a) if self.a > 0 else 0.0
        else:
            value = rng.lognormvariate(math.log(max(self.a, 1e-3)), self.b)
        return min(self.high, max(self.low, value))

    def mean_estimate(self, samples: int = 4000, seed: int = 1) -> float:
        rng = random.Random(seed)
        return sum(self.draw(rng) for _ in range(samples)) / samples

    def __str__(self) -> str:
        if self.kind in {"fixed", "exp"}:
            return f"{self.kind}:{self.a:g}"
        return f"{self.kind}:{self.a:g}:{self.b:g}"


@dataclass(frozen=True)
class LoadOptions:
    concurrent: int = 600
    agents: int = 220
    rate: float = 10.0
    duration_s: int = 180
    engine: Engine = "hotline"
    json: bool = False
    ring: Distribution = field(default_factory=lambda: Distribution("uniform", 1.0, 4.0))
    talk: Distribution = field(default_factory=lambda: Distribution("uniform", 20.0, 40.0))
    keys: tuple[str, ...] = ("1", "2", "0")
    agent_instances: int = 0
    """SIPp UAS processes for the agents; 0: one per 40 seats and at least 4 (RTP echo)."""
    profiles_per_instance: int = 8
    drain_timeout_s: int = 600
    seed: int = 12333

    def check(self, seat_count: int) -> None:
        if not 1 <= self.agents <= seat_count:
            raise OptionsError(f"--agents must be 1..{seat_count} (the configured seats)")
        if self.concurrent < 1 or self.rate <= 0 or self.duration_s < 1:
            raise OptionsError("--concurrent, --rate and --duration must be positive")
        if self.concurrent > 2000:
            raise OptionsError("--concurrent above 2000 is beyond what one SIPp caller drives")

    @property
    def calls_bound(self) -> int:
        """The most calls SIPp may place (-m): the rate over the duration, rounded up."""
        return max(1, math.ceil(self.rate * self.duration_s))

    @property
    def instances(self) -> int:
        if self.agent_instances > 0:
            return min(self.agent_instances, self.agents)
        return min(self.agents, max(4, math.ceil(self.agents / 40)))
