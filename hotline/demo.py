"""``hotline demo``: the main job end to end on one machine.

Provisions what is missing, starts Asterisk and the controller, logs SIPp agents in, and places
real SIP calls from SIPp callers through the Mandarin IVR (RFC 2833 DTMF) to the agents. A live
progress line goes to stderr; with --json the last line on stdout is the summary.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hotline.events import CallAnswered, CallEnded, Event
from hotline.routing_policy import SPECIALIST_SKILLS
from hotline.settings import Settings
from hotline.setup import prepare
from hotline.sipp import runner
from hotline.sipp.runner import Caller, CallerPath
from hotline.wiring import ControllerApp

AGENT_BASE_PORT = 6001
SEATS_PER_SIPP = 40
DEMO_PATHS = (
    CallerPath("1"),  # pension
    CallerPath("2"),  # medical insurance
    CallerPath("0"),  # straight to a person
    CallerPath("91", between_keys_ms=4500),  # a wrong key first, then pension
)


@dataclass(frozen=True)
class DemoOptions:
    calls: int = 20
    agents: int = 5
    rate: float = 2.0
    json: bool = False
    talk_ms: int = 4000
    ring_ms: int = 600


@dataclass
class Tally:
    """What the demo saw, from the controller's own events."""

    ended: dict[str, str] = field(default_factory=dict)
    waits_ms: list[int] = field(default_factory=list)
    answered_live: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, event: Event) -> None:
        if isinstance(event, CallEnded):
            self.ended[event.call_id] = event.outcome
            self.changed.set()
        elif isinstance(event, CallAnswered):
            self.answered_live += 1
            self.waits_ms.append(event.wait_ms)

    def count(self, *outcomes: str) -> int:
        return sum(1 for o in self.ended.values() if o in outcomes)


def lab_settings(settings: Settings, agents: int) -> Settings:
    """The same settings, with static contacts pointing the first seats at SIPp agents."""
    contacts = {
        seat: f"sip:{seat}@127.0.0.1:{AGENT_BASE_PORT + index // SEATS_PER_SIPP}"
        for index, seat in enumerate(settings.seats[:agents])
    }
    return settings.model_copy(update={"lab_seat_contacts": contacts})


async def run_demo(base: Settings, options: DemoOptions) -> int:
    settings = lab_settings(base, options.agents)
    say = _say
    prepared = await asyncio.to_thread(prepare, settings, lambda line: say(f"setup: {line}"))
    tally = Tally()
    app = ControllerApp(settings, prepared.layout, prepared.secrets, extra_sinks=[tally])
    await app.start()
    workdir = Path(tempfile.mkdtemp(prefix="hotline-demo-"))
    agents = _agent_instances(workdir, options)
    started = time.monotonic()
    try:
        await _log_in_agents(app, settings, options.agents)
        for instance in agents:
            await instance.start()
        stats = await _place_calls(app, settings, options, workdir, tally)
        await _wait_until_ended(tally, options.calls, timeout=60)
    finally:
        for instance in agents:
            await instance.stop()
        await app.stop()
    summary = _summary(options, tally, stats, time.monotonic() - started, app)
    _print_summary(summary, options.json)
    ok = summary["answered"] == options.calls and summary["failed"] == 0
    return 0 if ok else 1


async def _log_in_agents(app: ControllerApp, settings: Settings, count: int) -> None:
    for index, seat in enumerate(settings.seats[:count]):
        code = f"D{index + 1:03d}"
        skills = dict.fromkeys(SPECIALIST_SKILLS, 3)
        await asyncio.to_thread(app.store.ensure_skills, SPECIALIST_SKILLS)
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
    app: ControllerApp, settings: Settings, options: DemoOptions, workdir: Path, tally: Tally
) -> runner.SippStats:
    people = [
        Caller(f"1390000{n:04d}", f"caller {n}", n % len(DEMO_PATHS)) for n in range(options.calls)
    ]
    callers = runner.callers(
        workdir,
        target=f"127.0.0.1:{settings.sip_port}",
        service=settings.service_number,
        local_port=int(settings.trunk_match.rsplit(":", 1)[1]),
        people=people,
        paths=DEMO_PATHS,
        rate_per_s=options.rate,
        limit=max(1, options.calls),
        timeout_s=max(120, options.calls * 10),
    )
    await callers.start()
    wait = asyncio.create_task(callers.wait(timeout=max(180, options.calls * 12)))
    while not wait.done():
        _progress(app, tally, options.calls)
        await asyncio.wait({wait}, timeout=1.0)
    _progress(app, tally, options.calls)
    print(file=sys.stderr)
    stats = wait.result()
    if stats.failed:
        _say(f"SIPp reported failed calls; see {callers.errors_file}")
    return stats


async def _wait_until_ended(tally: Tally, calls: int, timeout: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            while len(tally.ended) < calls:
                await tally.changed.wait()
                tally.changed.clear()


def _progress(app: ControllerApp, tally: Tally, calls: int) -> None:
    router = app.controller.router
    on_call = sum(1 for a in router.agents.values() if a.state == "on_call")
    line = (
        f"\r[demo] ended {len(tally.ended)}/{calls} · answered {tally.answered_live} · "
        f"waiting {len(router.calls)} · agents on call {on_call}/{len(router.agents)}   "
    )
    print(line, end="", file=sys.stderr, flush=True)


def _summary(
    options: DemoOptions, tally: Tally, stats: runner.SippStats, seconds: float, app: ControllerApp
) -> dict[str, Any]:
    answered = tally.count("answered")
    abandoned = tally.count("abandoned", "fallback_abandoned", "ivr_hangup")
    # A call that ended any other way, or never ended, counts as failed.
    failed = max(stats.failed, options.calls - answered - abandoned)
    return {
        "calls": options.calls,
        "answered": answered,
        "failed": failed,
        "abandoned": abandoned,
        "fallback": tally.count("fallback_answered", "fallback_abandoned"),
        "asa_ms": round(statistics.fmean(tally.waits_ms)) if tally.waits_ms else None,
        "max_wait_ms": max(tally.waits_ms, default=None),
        "sipp_successful": stats.successful,
        "sipp_failed": stats.failed,
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
