"""One load run: Asterisk and (for the hotline engine) the controller in this process, SIPp
agents and callers, a progress line each second, the summary last.

The hotline engine routes through the controller (FastAGI + AMI), exactly as in production;
the native engine sends the same callers to another number whose dialplan plays the same
welcome prompt, reads one key and queues them in app_queue with the same seats as members. The
controller is not started for the native engine: its outcomes are counted from app_queue's AMI
events (and SIPp's own counts), by this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ami import AmiClient
from ami.messages import Event as AmiEvent
from hotline.asterisk.instance import AsteriskInstance
from hotline.load import probes, report, traffic
from hotline.load.options import LoadOptions
from hotline.load.tally import ABANDONED, ANSWERED, HotlineTally, NativeTally, RawTimings, Tally
from hotline.prompts import prompt_stem
from hotline.routing_policy import SPECIALIST_SKILLS
from hotline.settings import Settings
from hotline.setup import Prepared, prepare
from hotline.sipp import runner
from ivr.menu import WELCOME_12333

if TYPE_CHECKING:
    from hotline.wiring import ControllerApp

NATIVE_NUMBER = "12399"
NATIVE_QUEUE = "hotline-native"
STATS_BEFORE_END_S = 3.0
SETTLE_S = 30.0


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


@dataclass
class Lab:
    """Everything a run starts, so that everything is stopped."""

    prepared: Prepared
    settings: Settings
    workdir: Path
    tally: Tally
    app: ControllerApp | None = None
    timings: RawTimings | None = None
    ami: AmiClient | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    sipps: list[runner.SippInstance] = field(default_factory=list)


async def run_load(base: Settings, options: LoadOptions) -> int:
    options.check(base.seat_count)
    _raise_fd_limit()
    workdir = Path(tempfile.mkdtemp(prefix=f"hotline-load-{options.engine}-"))
    groups = traffic.plan_agents(base.seats, options)
    contacts = {seat: uri for group in groups for seat, uri in group.contacts().items()}
    settings = base.model_copy(
        update={
            "lab_seat_contacts": contacts,
            # The same agents as app_queue's (wrapuptime = 0): SIPp agents take the next call
            # as soon as they hang up.
            "wrapup_s": 0.0,
            # Load runs never write into the real database: their agents and calls are not real.
            "database_url": f"sqlite:///{workdir / 'load.db'}",
        }
    )
    _say(f"load: {options.engine} engine, {options.concurrent} lines, {options.agents} agents "
         f"in {len(groups)} SIPp UAS, {options.rate:g} calls/s for {options.duration_s} s, "
         f"ring {options.ring}, talk {options.talk}; files in {workdir}")  # fmt: skip
    prepared = await asyncio.to_thread(prepare, settings, lambda line: _say(f"setup: {line}"))
    lab = Lab(prepared, settings, workdir, HotlineTally() if options.engine == "hotline"
              else NativeTally(queue=NATIVE_QUEUE))  # fmt: skip
    started = time.monotonic()
    _stop_on_signals(asyncio.current_task())
    try:
        await _start_engine(lab, options, [s for g in groups for s in g.seats])
        summary = await _drive(lab, options, groups)
    except asyncio.CancelledError:
        _say("load: interrupted; stopping SIPp and hanging up the run's calls")
        await _stop(lab, options, interrupted=True)
        return 130
    await _stop(lab, options, interrupted=False)
    summary["duration_s"] = round(time.monotonic() - started, 1)
    summary["workdir"] = str(workdir)
    _print_summary(report.ordered(summary), options.json)
    return 0 if summary["failed"] == 0 and summary["calls"] > 0 else 1


# ---- engines ------------------------------------------------------------------------------
async def _start_engine(lab: Lab, options: LoadOptions, seats: list[str]) -> None:
    if options.engine == "hotline":
        await _start_controller(lab, seats)
    else:
        await _start_native(lab, seats)


async def _start_controller(lab: Lab, seats: list[str]) -> None:
    # Imported here: the native engine runs without the controller.
    from hotline.wiring import ControllerApp  # noqa: PLC0415

    assert isinstance(lab.tally, HotlineTally)
    app = ControllerApp(
        lab.settings, lab.prepared.layout, lab.prepared.secrets,
        extra_sinks=[lab.tally], serve_http=False,
    )  # fmt: skip
    lab.timings = RawTimings(app.metrics)
    app.controller.timings = lab.timings
    lab.app = app
    await app.start()
    # Every load agent takes every queue, as every seat is a member of the native queue.
    skills = dict.fromkeys(SPECIALIST_SKILLS, 3)
    await asyncio.to_thread(app.store.ensure_skills, SPECIALIST_SKILLS)
    for index, seat in enumerate(seats):
        code = f"L{index + 1:03d}"
        await asyncio.to_thread(app.store.upsert_agent, code, f"压测坐席{index + 1}", skills)
        if code not in app.controller.router.agents:
            app.controller.login(code, seat, skills)
    await app.ami.wait_connected(timeout=15)


async def _start_native(lab: Lab, seats: list[str]) -> None:
    assert isinstance(lab.tally, NativeTally)
    tally = lab.tally
    secrets = lab.prepared.secrets
    ami = AmiClient(
        "127.0.0.1", lab.settings.ami_port,
        username=secrets.ami_username, secret=secrets.ami_secret, events="agent",
    )  # fmt: skip
    lab.ami = ami
    subscription = ami.subscribe()

    async def count() -> None:
        async for item in subscription:
            if isinstance(item, AmiEvent):
                tally.feed(item)

    lab.tasks.append(asyncio.create_task(ami.run(), name="load-ami"))
    lab.tasks.append(asyncio.create_task(count(), name="load-ami-count"))
    await ami.wait_connected(timeout=15)
    asterisk = lab.prepared.asterisk
    prompt = f"{lab.prepared.layout.dirs.prompts}/{prompt_stem(WELCOME_12333.prompt)}"
    await asyncio.to_thread(_native_config, asterisk, seats, prompt, True)


def _native_config(asterisk: AsteriskInstance, seats: list[str], prompt: str, on: bool) -> None:
    """Open (or close) the native number and put the seats in (or out of) its queue."""
    asterisk.rx(f"dialplan set global HOTLINE_NATIVE_PROMPT {prompt if on else ''}".strip())
    asterisk.rx(f"dialplan set global HOTLINE_NATIVE {'1' if on else '0'}")
    verb = "add member PJSIP/{seat} to" if on else "remove member PJSIP/{seat} from"
    for seat in seats:
        asterisk.rx(f"queue {verb.format(seat=seat)} {NATIVE_QUEUE}")


# ---- driving the traffic ------------------------------------------------------------------
async def _drive(
    lab: Lab, options: LoadOptions, groups: list[traffic.AgentGroup]
) -> dict[str, Any]:
    bound_s = options.duration_s + options.drain_timeout_s + 60
    agents = traffic.agent_instances(lab.workdir, groups, bound_s)
    lab.sipps.extend(agents)
    for instance in agents:
        await instance.start()
    settings = lab.settings
    callers = traffic.caller_instance(
        lab.workdir, options,
        target=f"127.0.0.1:{settings.sip_port}",
        service=settings.service_number if options.engine == "hotline" else NATIVE_NUMBER,
        local_port=int(settings.trunk_match.rsplit(":", 1)[1]),
        audio_ms=min(900, options.duration_s + 180) * 1000,
        timeout_s=bound_s,
    )  # fmt: skip
    lab.sipps.append(callers)
    asterisk_pid = lab.prepared.asterisk.pid()
    ast_cpu = probes.CpuMeter(asterisk_pid or -1)
    own_cpu = probes.CpuMeter(os.getpid())
    ast_cpu.start()
    own_cpu.start()
    await callers.start()
    samples = await _monitor(
        lab, options, callers, ast_cpu=ast_cpu, own_cpu=own_cpu, bound_s=bound_s
    )
    stats = callers.stats(callers.process.returncode if callers.process else None)
    await _settle(lab.tally, stats.successful + stats.failed)
    rss = probes.rss_mb(os.getpid())
    return _summary(
        lab, options, samples, stats,
        ast_cpu=ast_cpu, own_cpu=own_cpu, rss=rss, asterisk_pid=asterisk_pid,
    )  # fmt: skip


async def _monitor(
    lab: Lab,
    options: LoadOptions,
    callers: runner.SippInstance,
    *,
    ast_cpu: probes.CpuMeter,
    own_cpu: probes.CpuMeter,
    bound_s: int,
) -> Samples:
    samples = Samples()
    asterisk = lab.prepared.asterisk
    assert callers.process is not None
    start = time.monotonic()
    quit_sent = False
    while callers.process.returncode is None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(callers.process.wait()), 1.0)
        elapsed = time.monotonic() - start
        if samples.rtp_at_s is None and elapsed >= options.duration_s - STATS_BEFORE_END_S:
            text = await asyncio.to_thread(asterisk.rx, "pjsip show channelstats", 30)
            samples.rtp_legs, samples.rtp_at_s = probes.parse_channelstats(text), elapsed
        if not quit_sent and elapsed >= options.duration_s:
            callers.quit_softly()
            quit_sent = True
        if elapsed > bound_s:
            await callers.stop()
        _sample(samples, callers, await asyncio.to_thread(asterisk.rx, "core show channels count"))
        progress = report.Progress(
            elapsed, samples.placed, _int(callers.live(), "CurrentCall"), lab.tally.answered,
            _int(callers.live(), "FailedCall(C)"), samples.last_channels,
            ast_cpu.sample(), own_cpu.sample(),
        )  # fmt: skip
        sys.stderr.write(progress.line(options.engine))
        sys.stderr.flush()
    sys.stderr.write("\n")
    return samples


def _sample(samples: Samples, callers: runner.SippInstance, count_text: str) -> None:
    live = callers.live()
    samples.placed = max(samples.placed, _int(live, "TotalCallCreated"))
    samples.max_callers = max(samples.max_callers, _int(live, "CurrentCall"))
    counted = probes.parse_channel_count(count_text)
    if counted is not None:
        samples.max_channels = max(samples.max_channels, counted[0])
        samples.max_calls = max(samples.max_calls, counted[1])
        samples.last_channels = counted[0]


async def _settle(tally: Tally, calls: int) -> None:
    """Give the engine's last events (hang-ups, records) a moment to arrive."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(SETTLE_S):
            while len(tally.ended) < calls:
                await tally.changed.wait()
                tally.changed.clear()


def _stop_on_signals(task: asyncio.Task[Any] | None) -> None:
    """SIGINT or SIGTERM cancel the run, which then stops what it started (a run started in
    the background by a script inherits an ignored SIGINT: SIGTERM works there)."""
    if task is None:
        return
    loop = asyncio.get_running_loop()

    def cancel_once() -> None:
        # A second signal (``timeout`` forwards its own) must not cut the clean-up short.
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, lambda: None)
        task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, cancel_once)


async def _stop(lab: Lab, options: LoadOptions, *, interrupted: bool) -> None:
    for instance in lab.sipps:
        await instance.stop()
    if interrupted:
        # SIPp killed mid-call sends no BYE, and with no RTP timeout Asterisk would keep its
        # channels for ever. The lab's Asterisk is ours for the run (see the README).
        await asyncio.to_thread(lab.prepared.asterisk.rx, "channel request hangup all")
    if lab.app is not None:
        await lab.app.stop()
    for task in lab.tasks:
        task.cancel()
    await asyncio.gather(*lab.tasks, return_exceptions=True)
    if options.engine == "native":
        seats = list(lab.settings.lab_seat_contacts)
        await asyncio.to_thread(_native_config, lab.prepared.asterisk, seats, "", False)


# ---- the summary --------------------------------------------------------------------------
def _summary(
    lab: Lab,
    options: LoadOptions,
    samples: Samples,
    stats: runner.SippStats,
    *,
    ast_cpu: probes.CpuMeter,
    own_cpu: probes.CpuMeter,
    rss: float | None,
    asterisk_pid: int | None,
) -> dict[str, Any]:
    tally = lab.tally
    calls = stats.successful + stats.failed
    answered, abandoned = tally.count(ANSWERED), tally.count(ABANDONED)
    failed = max(stats.failed, calls - answered - abandoned)
    offers = lab.timings.offer_s if lab.timings else []
    routing = lab.timings.routing_s if lab.timings else []
    agi_p99 = agi_p50 = None
    if lab.app is not None:
        registry = lab.app.metrics.registry
        name = "hotline_agi_command_seconds"
        agi_p99 = report.histogram_quantile(registry, name, 0.99, report.LONG_AGI_COMMANDS)
        agi_p50 = report.histogram_quantile(registry, name, 0.50, report.LONG_AGI_COMMANDS)
    all_legs = probes.rtp_loss(samples.rtp_legs)
    hotline = options.engine == "hotline"
    return {
        "engine": options.engine,
        "calls": calls,
        "answered": answered,
        "failed": failed,
        "abandoned": abandoned,
        "max_concurrent": samples.max_callers,
        "asa_ms": report.asa(tally.waits_ms),
        "sl_15s": report.service_level(tally.waits_ms),
        "offer_latency_ms_p50": report.ms(report.percentile(offers, 50)),
        "offer_latency_ms_p99": report.ms(report.percentile(offers, 99)),
        "agi_rtt_ms_p99": report.ms(agi_p99),
        "controller_cpu_pct": round(own_cpu.average_pct(), 1) if hotline else None,
        "asterisk_cpu_pct": round(ast_cpu.average_pct(), 1),
        "controller_rss_mb": round(rss, 1) if hotline and rss is not None else None,
        "rtp_loss_pct": all_legs.pct,
        "rtp_loss_pct_callers": probes.rtp_loss(samples.rtp_legs, "trunk-").pct,
        "rtp_loss_pct_agents": probes.rtp_loss(samples.rtp_legs, "seat").pct,
        "rtp_legs_sampled": all_legs.legs,
        "rtp_packets_sampled": all_legs.received,
        "rtp_sampled_at_s": round(samples.rtp_at_s, 1) if samples.rtp_at_s else None,
        "agi_rtt_ms_p50": report.ms(agi_p50),
        "routing_decision_ms_p99": report.ms(report.percentile(routing, 99), 3),
        "max_wait_ms": max(tally.waits_ms, default=None),
        "asterisk_channels_max": samples.max_channels,
        "asterisk_calls_max": samples.max_calls,
        "asterisk_cpu_peak_pct": round(ast_cpu.peak_pct, 1),
        "load_process_cpu_pct": round(own_cpu.average_pct(), 1),
        "asterisk_rss_mb": _round(probes.rss_mb(asterisk_pid) if asterisk_pid else None),
        "sipp_successful": stats.successful,
        "sipp_failed": stats.failed,
        "engine_arrivals": tally.arrived,
        "fallback": tally.count(("fallback_answered", "fallback_abandoned")),
        "concurrent": options.concurrent,
        "agents": options.agents,
        "rate": options.rate,
        "ring": str(options.ring),
        "talk": str(options.talk),
        "cpus": os.cpu_count(),
    }


def _print_summary(summary: dict[str, Any], as_json: bool) -> None:
    _say("summary: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    if as_json:
        sys.stdout.write(json.dumps(summary) + "\n")
        sys.stdout.flush()


def _int(values: dict[str, str], key: str) -> int:
    try:
        return int(values.get(key, "0") or 0)
    except ValueError:
        return 0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _raise_fd_limit() -> None:
    # SIPp (a child: it inherits the limit) keeps a socket or two per call; so does the
    # controller's FastAGI server.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
