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
from hotline.flow_library import parse_flow
from hotline.load import probes, report, summary, traffic
from hotline.load.options import LoadOptions
from hotline.load.tally import HotlineTally, NativeTally, RawTimings, Tally
from hotline.prompts import prompt_stem
from hotline.settings import Settings
from hotline.setup import Prepared, prepare
from hotline.sipp import runner
from ivr.flow import MenuNode
from ivr.prompt import Prompt
from ivr.shipped_flows import ONE_MENU_FLOW

if TYPE_CHECKING:
    from hotline.wiring import ControllerApp

NATIVE_NUMBER = "12399"
NATIVE_QUEUE = "hotline-native"
STATS_BEFORE_END_S = 3.0
SETTLE_S = 30.0


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
    seen: tuple[summary.Samples, summary.Meters] | None = None
    """What the monitor has seen so far: an interrupted run still reports it."""


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
            # Every load phone streams or echoes audio: a leg silent for 30 s is one whose
            # SIPp gave up on its BYE under overload, and would hold the run to its bound.
            "rtp_timeout_s": 30,
            # Load runs never write into the real database: their agents and calls are not real.
            "database_url": f"sqlite:///{workdir / 'load.db'}",
            # One menu, the same as the native engine's: the figures measure routing, not IVR depth.
            "ivr_flow": ONE_MENU_FLOW,
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
        result = await _drive(lab, options, groups)
    except asyncio.CancelledError:
        _say("load: interrupted; stopping SIPp and hanging up the run's calls")
        partial = _partial_summary(lab, options)
        await _stop(lab, options, interrupted=True)
        if partial is not None:
            partial["duration_s"] = round(time.monotonic() - started, 1)
            _print_summary(partial, options.json)
        return 130
    await _stop(lab, options, interrupted=False)
    result["duration_s"] = round(time.monotonic() - started, 1)
    result["workdir"] = str(workdir)
    _print_summary(report.ordered(result), options.json)
    return 0 if result["failed"] == 0 and result["calls"] > 0 else 1


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
    labels = app.flows.current.skill_labels
    skills = dict.fromkeys(labels, 3)
    await asyncio.to_thread(app.store.ensure_skills, labels)
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
    prompt = f"{lab.prepared.layout.dirs.prompts}/{prompt_stem(welcome_prompt())}"
    await asyncio.to_thread(_native_config, asterisk, seats, prompt, True)


def welcome_prompt() -> Prompt:
    """The first prompt of the one-menu flow: what native callers hear before their key."""
    flow = parse_flow(ONE_MENU_FLOW.read_text(encoding="utf-8"), str(ONE_MENU_FLOW))
    node = flow.node(flow.start)
    assert isinstance(node, MenuNode), "the one-menu flow starts with its menu"
    return node.prompt


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
        timeout_s=bound_s,
    )  # fmt: skip
    lab.sipps.append(callers)
    asterisk_pid = lab.prepared.asterisk.pid()
    await callers.start()
    meters = summary.Meters(
        asterisk=probes.CpuMeter(asterisk_pid or -1),
        controller=probes.CpuMeter(os.getpid()),
        callers=probes.CpuMeter(_pid(callers)),
        agents=[probes.CpuMeter(_pid(agent)) for agent in agents],
    )
    meters.start()
    lab.seen = (summary.Samples(loadavg_start=os.getloadavg()), meters)
    watches = [
        asyncio.ensure_future(lab.seen[0].loop_lag.run()),
        asyncio.ensure_future(lab.seen[0].stalls.run()),
    ]
    try:
        samples = await _monitor(lab, options, callers, meters=meters, bound_s=bound_s)
    finally:
        for watch in watches:
            watch.cancel()
    stats = callers.stats(callers.process.returncode if callers.process else None)
    await _settle(lab.tally, stats.successful + stats.failed)
    return summary.build(_outcome(lab, options, callers, stats), samples, meters)


async def _monitor(
    lab: Lab,
    options: LoadOptions,
    callers: runner.SippInstance,
    *,
    meters: summary.Meters,
    bound_s: int,
) -> summary.Samples:
    samples = lab.seen[0] if lab.seen else summary.Samples(loadavg_start=os.getloadavg())
    assert callers.process is not None
    start = time.monotonic()
    quit_sent = False
    while callers.process.returncode is None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(callers.process.wait()), 1.0)
        elapsed = time.monotonic() - start
        if samples.rtp_at_s is None and elapsed >= options.duration_s - STATS_BEFORE_END_S:
            await _sample_rtp(lab, samples, elapsed)
            samples.loadavg_end = os.getloadavg()
        if not quit_sent and elapsed >= options.duration_s:
            callers.quit_softly()
            quit_sent = True
        if elapsed > bound_s:
            await callers.stop()
        count = await asyncio.to_thread(lab.prepared.asterisk.rx, "core show channels count")
        _sample(samples, callers, count)
        _progress(lab, options, samples, callers, meters=meters, elapsed=elapsed)
    sys.stderr.write("\n")
    return samples


async def _sample_rtp(lab: Lab, samples: summary.Samples, elapsed: float) -> None:
    """Asterisk's RTP counters of every channel, kept raw in the run's files as well."""
    text = await asyncio.to_thread(lab.prepared.asterisk.rx, "pjsip show channelstats", 30)
    (lab.workdir / "channelstats.txt").write_text(text, encoding="utf-8")
    samples.rtp_legs, samples.rtp_at_s = probes.parse_channelstats(text), elapsed


def _progress(
    lab: Lab,
    options: LoadOptions,
    samples: summary.Samples,
    callers: runner.SippInstance,
    *,
    meters: summary.Meters,
    elapsed: float,
) -> None:
    live = callers.live()
    agents_pct = sum(meter.sample() for meter in meters.agents)
    progress = report.Progress(
        elapsed, samples.placed, _int(live, "CurrentCall"), lab.tally.answered,
        _int(live, "FailedCall(C)"), samples.last_channels,
        meters.asterisk.sample(), meters.controller.sample(), meters.callers.sample(), agents_pct,
    )  # fmt: skip
    sys.stderr.write(progress.line(options.engine))
    sys.stderr.flush()


def _sample(samples: summary.Samples, callers: runner.SippInstance, count_text: str) -> None:
    live = callers.live()
    samples.placed = max(samples.placed, _int(live, "TotalCallCreated"))
    samples.max_callers = max(samples.max_callers, _int(live, "CurrentCall"))
    counted = probes.parse_channel_count(count_text)
    if counted is not None:
        samples.max_channels = max(samples.max_channels, counted[0])
        samples.max_calls = max(samples.max_calls, counted[1])
        samples.last_channels = counted[0]


def _partial_summary(lab: Lab, options: LoadOptions) -> dict[str, Any] | None:
    """The summary of a run stopped before its end (marked ``interrupted``), if it got going."""
    if lab.seen is None or not lab.sipps:
        return None
    samples, meters = lab.seen
    callers = lab.sipps[-1]
    samples.loadavg_end = os.getloadavg()
    outcome = _outcome(lab, options, callers, callers.stats(None))
    result = summary.build(outcome, samples, meters)
    return result | {"interrupted": True, "workdir": str(lab.workdir)}


def _outcome(
    lab: Lab, options: LoadOptions, callers: runner.SippInstance, stats: runner.SippStats
) -> summary.Outcome:
    return summary.Outcome(
        options=options,
        tally=lab.tally,
        timings=lab.timings,
        registry=lab.app.metrics.registry if lab.app is not None else None,
        callers=callers,
        stats=stats,
        rss=probes.rss_mb(os.getpid()),
        asterisk_pid=lab.prepared.asterisk.pid(),
    )


def _pid(instance: runner.SippInstance) -> int:
    return instance.process.pid if instance.process is not None else -1


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


def _raise_fd_limit() -> None:
    # SIPp (a child: it inherits the limit) keeps a socket or two per call; so does the
    # controller's FastAGI server.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
