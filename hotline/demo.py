"""``hotline demo``: the main job end to end on one machine.

Provisions what is missing, starts Asterisk and the controller, logs SIPp agents in, and places
real SIP calls from SIPp callers through the Mandarin IVR (RFC 2833 DTMF): at least one call
along every path of the flow (see demo_plan), so every menu, self-service answer, ID entry,
language and out-of-hours branch is heard by a real call. A live progress line goes to stderr;
with --json the last line on stdout is the summary.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hotline.demo_district import DistrictTally, district_contacts, run_district_phase
from hotline.demo_plan import Phase, Plan, Verdict, judge, plan
from hotline.events import CallAnswered, CallArrived, CallEnded, Event
from hotline.settings import Settings
from hotline.setup import prepare
from hotline.sipp import runner
from hotline.wiring import ControllerApp
from ivr.hours import is_open
from transfers.directory import OfficeKind

AGENT_BASE_PORT = 6001
SEATS_PER_SIPP = 40


@dataclass(frozen=True)
class DemoOptions:
    calls: int = 20
    agents: int = 8
    rate: float = 3.0
    json: bool = False
    talk_ms: int = 4000
    ring_ms: int = 600


@dataclass
class Tally:
    """What the demo saw, from the controller's own events."""

    arrived: set[str] = field(default_factory=set)
    ended: dict[str, str] = field(default_factory=dict)
    waits_ms: list[int] = field(default_factory=list)
    answered_live: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, event: Event) -> None:
        if isinstance(event, CallArrived):
            self.arrived.add(event.call_id)
        elif isinstance(event, CallEnded):
            self.ended[event.call_id] = event.outcome
            self.changed.set()
        elif isinstance(event, CallAnswered):
            self.answered_live += 1
            self.waits_ms.append(event.wait_ms)

    def in_progress(self) -> bool:
        return bool(self.arrived - set(self.ended))

    def count(self, *outcomes: str) -> int:
        return sum(1 for o in self.ended.values() if o in outcomes)


def lab_settings(settings: Settings, agents: int) -> Settings:
    """The same settings, with static contacts pointing the first seats at SIPp agents."""
    contacts = {
        seat: f"sip:{seat}@127.0.0.1:{AGENT_BASE_PORT + index // SEATS_PER_SIPP}"
        for index, seat in enumerate(settings.seats[:agents])
    }
    district = district_contacts(settings, agents)
    return settings.model_copy(update={
        "lab_seat_contacts": {**contacts, **district["lab_seat_contacts"]},
        "lab_window_contacts": district["lab_window_contacts"],
    })  # fmt: skip


async def run_demo(base: Settings, options: DemoOptions) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="hotline-demo-"))
    settings = lab_settings(base, options.agents).model_copy(
        # The demo's calls, agents and callbacks are not real: they stay out of the real database.
        update={"database_url": f"sqlite:///{workdir / 'demo.db'}"}
    )
    say = _say
    prepared = await asyncio.to_thread(prepare, settings, lambda line: say(f"setup: {line}"))
    tally, district = Tally(), DistrictTally()
    clock = DemoClock()
    app = ControllerApp(
        settings, prepared.layout, prepared.secrets, extra_sinks=[tally, district],
        ivr_clock=clock,
    )  # fmt: skip
    await app.start()
    demo = await asyncio.to_thread(
        plan, app.flows.current, options.calls, app.prompt_seconds, datetime.now(UTC)
    )
    agents = _agent_instances(workdir, options)
    started, started_wall = time.monotonic(), datetime.now(UTC)
    stats: list[runner.SippStats] = []
    try:
        await _log_in_agents(app, settings, options.agents)
        for instance in agents:
            await instance.start()
        stats = await place_plan(app, demo, workdir, tally=tally, clock=clock, rate=options.rate)
    finally:
        for instance in agents:
            await instance.stop()
    district_problems = await _district_phase(
        app, demo, workdir, clock, options=options, district=district
    )
    await app.recorder.flush(timeout=30)
    records = await asyncio.to_thread(app.store.list_calls, started_wall, demo.calls * 2 + 10)
    await app.stop()
    verdict = judge(demo, records)
    summary = _summary(
        demo, verdict, tally=tally, stats=stats, seconds=time.monotonic() - started, app=app
    )
    summary["window_connections"] = district.window_connections
    summary["work_orders"] = len(district.order_statuses)
    summary["work_orders_delivered"] = district.work_orders_delivered
    _print_summary(summary, options.json)
    for line in [*verdict.wrong[:20], *district_problems]:
        say(f"not as scripted: {line}")
    ok = verdict.as_scripted == demo.calls and verdict.covered == demo.paths_total
    ok = ok and not district_problems
    return 0 if ok else 1


async def place_plan(
    app: ControllerApp, demo: Plan, workdir: Path, *, tally: Tally, clock: DemoClock, rate: float
) -> list[runner.SippStats]:
    """Each phase in turn: set the IVR's clock, place its callers, wait until their calls end."""
    stats = []
    zone = ZoneInfo(app.settings.timezone)
    for index, phase in enumerate(demo.phases):
        clock.at = phase.at
        _say(f"phase {index + 1}/{len(demo.phases)}: {len(phase.callers)} call(s), IVR clock "
             f"{phase.at.astimezone(zone):%a %Y-%m-%d %H:%M}")  # fmt: skip
        stats.append(
            await _place_calls(app, workdir, rate=rate, tally=tally, phase=phase, index=index)
        )
        await _wait_until_ended(tally, timeout=90)
    return stats


async def _district_phase(
    app: ControllerApp, demo: Plan, workdir: Path, clock: DemoClock, *, options: DemoOptions,
    district: DistrictTally,
) -> list[str]:  # fmt: skip
    """The last phase: a caller connected to 长宁区's window, and a work order for its brigade,
    at a time of the plan when that window is open, along a path of the plan that reaches an
    agent."""
    window = app.directory.office("changning", OfficeKind.SOCIAL_INSURANCE_WINDOW)
    for phase in demo.phases:
        answered = [s for s in phase.scripts if s.outcome == "answered"]
        if answered and is_open(window.hours, phase.at):
            clock.at = phase.at
            # The caller stays on until the clerk hangs up.
            path = dataclasses.replace(answered[0].caller, hangup_after_ms=0)
            _say(f"phase {len(demo.phases) + 1}: a window connection and a work order")
            return await run_district_phase(
                app, workdir, path, agents=options.agents, tally=district, say=_say
            )
    return ["district phase: no phase of the plan has an agent path while the window is open"]


@dataclass
class DemoClock:
    """The IVR's clock during the demo: each phase sets the time its paths need."""

    at: datetime | None = None

    def __call__(self) -> datetime:
        return self.at or datetime.now(UTC)


async def _log_in_agents(app: ControllerApp, settings: Settings, count: int) -> None:
    for index, seat in enumerate(settings.seats[:count]):
        code = f"D{index + 1:03d}"
        labels = app.flows.current.skill_labels
        skills = dict.fromkeys(labels, 3)
        await asyncio.to_thread(app.store.ensure_skills, labels)
        await asyncio.to_thread(app.store.upsert_agent, code, f"演示坐席{index + 1}", skills)
        if code not in app.controller.router.agents:
            app.controller.login(code, seat, skills)
    await app.ami.wait_connected(timeout=15)


def _agent_instances(workdir: Path, options: DemoOptions) -> list[runner.SippInstance]:
    groups = (options.agents + SEATS_PER_SIPP - 1) // SEATS_PER_SIPP
    return [
        runner.agents(
            workdir,
            local_port=AGENT_BASE_PORT + i,
            ring_ms=options.ring_ms,
            talk_ms=options.talk_ms,
            timeout_s=600,
            name=f"agents{i + 1}",
            control_port=8891 + i,
            media_port=32000 + i * 2000,
        )
        for i in range(groups)
    ]


async def _place_calls(
    app: ControllerApp, workdir: Path, *, rate: float, tally: Tally, phase: Phase, index: int
) -> runner.SippStats:
    settings = app.settings
    longest_s = max(script.ivr_ms for script in phase.scripts) / 1000
    callers = runner.callers(
        workdir,
        target=f"127.0.0.1:{settings.sip_port}",
        service=settings.service_number,
        local_port=int(settings.trunk_match.rsplit(":", 1)[1]),
        people=list(phase.callers),
        paths=[script.caller for script in phase.scripts],
        rate_per_s=rate,
        limit=max(1, len(phase.callers)),
        timeout_s=round(max(180, longest_s * 3 + len(phase.callers) * 5)),
        name=f"callers{index + 1}",
        control_port=8881 + index,
    )
    await callers.start()
    wait = asyncio.create_task(
        callers.wait(timeout=max(240, longest_s * 4 + len(phase.callers) * 6))
    )
    while not wait.done():
        _progress(app, tally)
        await asyncio.wait({wait}, timeout=1.0)
    _progress(app, tally)
    print(file=sys.stderr)
    stats = wait.result()
    if stats.failed:
        _say(f"SIPp reported failed calls; see {callers.errors_file}")
    return stats


async def _wait_until_ended(tally: Tally, timeout: float) -> None:
    """Callers' SIPp has finished; give the controller a moment to close the last records."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            while tally.in_progress():
                await tally.changed.wait()
                tally.changed.clear()


def _progress(app: ControllerApp, tally: Tally) -> None:
    router = app.controller.router
    on_call = sum(1 for a in router.agents.values() if a.state == "on_call")
    line = (
        f"\r[demo] ended {len(tally.ended)} · answered {tally.answered_live} · "
        f"waiting {len(router.calls)} · agents on call {on_call}/{len(router.agents)}   "
    )
    print(line, end="", file=sys.stderr, flush=True)


def _summary(
    demo: Plan, verdict: Verdict, *, tally: Tally, stats: list[runner.SippStats], seconds: float,
    app: ControllerApp,
) -> dict[str, Any]:  # fmt: skip
    answered = tally.count("answered")
    sipp_failed = sum(s.failed for s in stats)
    return {
        "calls": demo.calls,
        "answered": answered,
        "failed": max(sipp_failed, demo.calls - verdict.as_scripted),
        "abandoned": tally.count("abandoned", "fallback_abandoned", "ivr_hangup"),
        "self_served": tally.count("self_served"),
        "callbacks_booked": tally.count("callback_requested"),
        "fallback": tally.count("fallback_answered", "fallback_abandoned"),
        "asa_ms": round(statistics.fmean(tally.waits_ms)) if tally.waits_ms else None,
        "max_wait_ms": max(tally.waits_ms, default=None),
        "ivr_paths_total": demo.paths_total,
        "ivr_paths_covered": verdict.covered,
        "as_scripted": verdict.as_scripted,
        "sipp_successful": sum(s.successful for s in stats),
        "sipp_failed": sipp_failed,
        "events_published": app.mqtt.published,
        "duration_s": round(seconds, 1),
    }


def _print_summary(summary: dict[str, Any], as_json: bool) -> None:
    text = ", ".join(f"{k} {v}" for k, v in summary.items())
    _say(f"summary: {text}")
    if as_json:
        print(json.dumps(summary))


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
