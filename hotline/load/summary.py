"""What a load run saw, second by second, and the summary built from it (the JSON contract)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry

from hotline.load import probes, report
from hotline.load.options import LoadOptions
from hotline.load.stalls import StallWatch
from hotline.load.tally import ABANDONED, ANSWERED, LEFT_QUEUE, HotlineTally, RawTimings, Tally
from hotline.sipp import runner

AGI_HISTOGRAM = "hotline_agi_command_seconds"
SIPP_HEALTH = {
    "sipp_callers_watchdog_major": "WatchdogMajor(C)",
    "sipp_callers_watchdog_minor": "WatchdogMinor(C)",
    "sipp_callers_retransmissions": "Retransmissions(C)",
    "sipp_callers_dead_call_msgs": "DeadCallMsgs(C)",
    "sipp_callers_timeouts": "FailedTimeoutOnRecv(C)",
}
"""SIPp's own signs of overload: its 500 ms watchdog, resent requests, messages for calls it
had already forgotten, answers that never came."""


@dataclass
class Samples:
    """What the monitor saw, second by second."""

    max_callers: int = 0
    max_channels: int = 0
    max_calls: int = 0
    last_channels: int | None = None
    rtp_legs: list[probes.RtpLeg] = field(default_factory=list)
    rtp_at_s: float | None = None
    placed: int = 0
    loadavg_start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    loadavg_end: tuple[float, float, float] = (0.0, 0.0, 0.0)
    loop_lag: probes.LoopLag = field(default_factory=probes.LoopLag)
    stalls: StallWatch = field(default_factory=StallWatch)


@dataclass
class Meters:
    """CPU of every process of the run, in % of one core."""

    asterisk: probes.CpuMeter
    controller: probes.CpuMeter
    callers: probes.CpuMeter
    agents: list[probes.CpuMeter]

    def start(self) -> None:
        for meter in self.all():
            meter.start()

    def all(self) -> list[probes.CpuMeter]:
        return [self.asterisk, self.controller, self.callers, *self.agents]

    def agents_pct(self) -> float:
        return sum(meter.average_pct() for meter in self.agents)


@dataclass(frozen=True)
class Outcome:
    """The run's parts the summary reads besides the samples."""

    options: LoadOptions
    tally: Tally
    timings: RawTimings | None
    registry: CollectorRegistry | None
    callers: runner.SippInstance
    stats: runner.SippStats
    rss: float | None
    asterisk_pid: int | None


def build(outcome: Outcome, samples: Samples, meters: Meters) -> dict[str, Any]:
    """The summary: the contract's keys first (report.SUMMARY_KEYS), then the details."""
    return report.ordered(
        _calls(outcome, samples)
        | _latencies(outcome)
        | _offer_stages(outcome, samples)
        | _cpu(outcome, meters)
        | _rtp(samples)
        | _ewt(outcome.tally)
        | _sipp(outcome)
        | _shape(outcome.options, samples)
    )


def _calls(outcome: Outcome, samples: Samples) -> dict[str, Any]:
    tally, stats = outcome.tally, outcome.stats
    calls = stats.successful + stats.failed
    answered, abandoned = tally.count(ANSWERED), tally.count(ABANDONED)
    left = tally.count(LEFT_QUEUE)
    queued = tally.queued if isinstance(tally, HotlineTally) else {}
    return {
        "engine": outcome.options.engine,
        "calls": calls,
        "answered": answered,
        "failed": max(stats.failed, calls - answered - abandoned - left),
        "abandoned": abandoned,
        "max_concurrent": samples.max_callers,
        "asa_ms": report.asa(tally.waits_ms),
        "sl_15s": report.service_level(tally.waits_ms),
        "max_wait_ms": max(tally.waits_ms, default=None),
        "engine_arrivals": tally.arrived,
        "fallback": tally.count(("fallback_answered", "fallback_abandoned")),
        "messages_left": tally.count(("message_left",)),
        "callbacks_requested": tally.count(("callback_requested",)),
        "queued_by_queue": dict(sorted(queued.items())) or None,
        "asterisk_channels_max": samples.max_channels,
        "asterisk_calls_max": samples.max_calls,
    }


def _latencies(outcome: Outcome) -> dict[str, Any]:
    offers = outcome.timings.offer_s if outcome.timings else []
    routing = outcome.timings.routing_s if outcome.timings else []
    agi_p50 = agi_p99 = None
    if outcome.registry is not None:
        skip = report.LONG_AGI_COMMANDS
        agi_p99 = report.histogram_quantile(outcome.registry, AGI_HISTOGRAM, 0.99, skip)
        agi_p50 = report.histogram_quantile(outcome.registry, AGI_HISTOGRAM, 0.50, skip)
    return {
        "offer_latency_ms_p50": report.ms(report.percentile(offers, 50)),
        "offer_latency_ms_p99": report.ms(report.percentile(offers, 99)),
        "agi_rtt_ms_p99": report.ms(agi_p99),
        "agi_rtt_ms_p50": report.ms(agi_p50),
        "routing_decision_ms_p99": report.ms(report.percentile(routing, 99), 3),
    }


def _offer_stages(outcome: Outcome, samples: Samples) -> dict[str, Any]:
    """Where the offer latency goes (p50 and p99 of each part), and how late the controller's
    event loop ran: the first place to look when the offer latency is high."""
    stages = outcome.timings.stages_s if outcome.timings else {}
    seat_release = outcome.timings.seat_release_s if outcome.timings else []
    lags = samples.loop_lag.lags_s
    return {
        "offer_stage_ms_p50": {k: report.ms(report.percentile(v, 50)) for k, v in stages.items()}
        or None,
        "offer_stage_ms_p99": {k: report.ms(report.percentile(v, 99)) for k, v in stages.items()}
        or None,
        "offers_stopping_prompt": len(stages.get("stop", [])),
        "seat_release_waits": len(seat_release),
        "seat_release_ms_p50": report.ms(report.percentile(seat_release, 50)),
        "seat_release_ms_p99": report.ms(report.percentile(seat_release, 99)),
        "loop_lag_ms_p99": report.ms(report.percentile(lags, 99)),
        "loop_lag_ms_max": report.ms(max(lags, default=None)),
    } | samples.stalls.summary()


def _cpu(outcome: Outcome, meters: Meters) -> dict[str, Any]:
    hotline = outcome.options.engine == "hotline"
    own = round(meters.controller.average_pct(), 1)
    pid = outcome.asterisk_pid
    return {
        "controller_cpu_pct": own if hotline else None,
        "asterisk_cpu_pct": round(meters.asterisk.average_pct(), 1),
        "controller_rss_mb": _round(outcome.rss) if hotline else None,
        "asterisk_cpu_peak_pct": round(meters.asterisk.peak_pct, 1),
        "load_process_cpu_pct": own,
        "asterisk_rss_mb": _round(probes.rss_mb(pid) if pid else None),
        "sipp_callers_cpu_pct": round(meters.callers.average_pct(), 1),
        "sipp_callers_cpu_peak_pct": round(meters.callers.peak_pct, 1),
        "sipp_agents_cpu_pct": round(meters.agents_pct(), 1),
    }


def _rtp(samples: Samples) -> dict[str, Any]:
    every = probes.rtp_loss(samples.rtp_legs)
    callers = probes.rtp_loss(samples.rtp_legs, "trunk-")
    agents = probes.rtp_loss(samples.rtp_legs, "seat")
    return {
        "rtp_loss_pct": every.pct,
        "rtp_loss_pct_callers": callers.pct,
        "rtp_loss_pct_agents": agents.pct,
        "rtp_legs_sampled": every.legs,
        "rtp_legs_over_1pct": every.legs_over_1pct,
        "rtp_legs_negative_loss": every.legs_negative,
        "rtp_packets_sampled": every.received,
        "rtp_packets_lost": every.lost,
        "rtp_sampled_at_s": round(samples.rtp_at_s, 1) if samples.rtp_at_s else None,
    }


def _ewt(tally: Tally) -> dict[str, Any]:
    if not isinstance(tally, HotlineTally):
        return {}
    pairs = [(sample.estimated_s, sample.actual_s) for sample in tally.ewt]
    return report.ewt_accuracy(pairs) | {"ewt_unknown_on_entry": tally.ewt_unknown}


def _sipp(outcome: Outcome) -> dict[str, Any]:
    live = outcome.callers.live()
    health = {key: _int(live.get(column)) for key, column in SIPP_HEALTH.items()}
    return {"sipp_successful": outcome.stats.successful, "sipp_failed": outcome.stats.failed} | (
        health
    )


def _shape(options: LoadOptions, samples: Samples) -> dict[str, Any]:
    return {
        "concurrent": options.concurrent,
        "agents": options.agents,
        "rate": options.rate,
        "ring": str(options.ring),
        "talk": str(options.talk),
        "cpus": os.cpu_count(),
        "loadavg_start": list(samples.loadavg_start),
        "loadavg_end": list(samples.loadavg_end),
    }


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
