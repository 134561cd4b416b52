"""Percentiles, the run's summary (the JSON contract) and the progress line (pure)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry

# Commands whose reply comes only after audio has played or digits were awaited: their
# "round trip" is the caller's time, not the link's.
LONG_AGI_COMMANDS = frozenset(
    {
        "GET DATA",
        "STREAM FILE",
        "CONTROL STREAM FILE",
        "WAIT FOR DIGIT",
        "RECORD FILE",
        "EXEC",
        "wait_for",
    }
)

SUMMARY_KEYS = (
    "engine", "calls", "answered", "failed", "abandoned", "max_concurrent", "asa_ms", "sl_15s",
    "offer_latency_ms_p50", "offer_latency_ms_p99", "agi_rtt_ms_p99", "controller_cpu_pct",
    "asterisk_cpu_pct", "controller_rss_mb", "rtp_loss_pct",
)  # fmt: skip


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def histogram_quantile(
    registry: CollectorRegistry, name: str, q: float, skip: Iterable[str] = ()
) -> float | None:
    """A quantile from a Prometheus histogram's buckets, summed over labels (as PromQL does:
    linear inside the bucket). Label sets whose ``command`` is in ``skip`` are left out."""
    skipped = set(skip)
    buckets: dict[float, float] = {}
    for metric in registry.collect():
        if metric.name != name:
            continue
        for sample in metric.samples:
            if not sample.name.endswith("_bucket") or sample.labels.get("command") in skipped:
                continue
            bound = float(sample.labels["le"])
            buckets[bound] = buckets.get(bound, 0.0) + sample.value
    if not buckets:
        return None
    bounds = sorted(buckets)
    total = buckets[bounds[-1]]
    if total <= 0:
        return None
    target = q * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= target:
            if math.isinf(bound):
                return lower
            inside = count - below
            return lower + (bound - lower) * ((target - below) / inside if inside else 1.0)
        lower, below = bound, count
    return lower


@dataclass(frozen=True)
class Progress:
    elapsed_s: float
    placed: int
    in_progress: int
    answered: int
    failed: int
    channels: int | None
    asterisk_pct: float
    controller_pct: float
    callers_pct: float
    agents_pct: float

    def line(self, engine: str) -> str:
        channels = "?" if self.channels is None else str(self.channels)
        return (
            f"\r[load {engine}] {self.elapsed_s:5.0f}s · placed {self.placed} · "
            f"up {self.in_progress} · answered {self.answered} · failed {self.failed} · "
            f"channels {channels} · asterisk {self.asterisk_pct:3.0f}% · "
            f"controller {self.controller_pct:3.0f}% · sipp callers {self.callers_pct:3.0f}% "
            f"agents {self.agents_pct:3.0f}%   "
        )


def service_level(waits_ms: Sequence[int], threshold_ms: int = 15_000) -> float | None:
    """Share of answered calls answered within the threshold (0..1)."""
    if not waits_ms:
        return None
    return round(sum(1 for w in waits_ms if w <= threshold_ms) / len(waits_ms), 4)


EWT_WITHIN_S = 30.0
EWT_WITHIN_SHARE = 0.25


def ewt_accuracy(pairs: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """How close the estimated waits (told on entry) came to the actual waits, in seconds.

    ``pairs`` are (estimated, actual). An estimate counts as within when it is off by at most
    30 s or 25 % of the actual wait, whichever is wider (a caller told "about 2 minutes" who
    waits 2:25 was told well; 40 s off on a 10-minute wait is still within). Bias is the mean
    of estimated minus actual: above 0, callers were told to expect longer than they waited.
    """
    errors = [abs(estimated - actual) for estimated, actual in pairs]
    within = sum(
        1
        for (_, actual), error in zip(pairs, errors, strict=True)
        if error <= max(EWT_WITHIN_S, EWT_WITHIN_SHARE * actual)
    )
    return {
        "ewt_samples": len(pairs),
        "ewt_abs_error_s_p50": _round(percentile(errors, 50)),
        "ewt_abs_error_s_p90": _round(percentile(errors, 90)),
        "ewt_bias_s": _round(statistics.fmean(e - a for e, a in pairs)) if pairs else None,
        "ewt_within_30s_or_25pct": round(within / len(pairs), 4) if pairs else None,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def asa(waits_ms: Sequence[int]) -> int | None:
    return round(statistics.fmean(waits_ms)) if waits_ms else None


def ms(seconds: float | None, digits: int = 2) -> float | None:
    return None if seconds is None else round(1000 * seconds, digits)


def ordered(summary: dict[str, Any]) -> dict[str, Any]:
    """The contract's keys first, in their order, then the rest."""
    head = {key: summary.get(key) for key in SUMMARY_KEYS}
    return head | {k: v for k, v in summary.items() if k not in head}
