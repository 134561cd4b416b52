"""The 12333 flow on the real Asterisk, with SIPp callers keying RFC 2833 DTMF.

The controller runs in this process so that each test sets the IVR's clock (a holiday, a
make-up working Saturday). Keys are timed from the prompts the interpreter plays before them
(hotline/flow_calls.py): a SIPp caller cannot hear.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
import yaml

from hotline.demo import DemoClock, Tally, place_plan
from hotline.demo_plan import DEMO_ID_NUMBER, Phase, Plan, judge, plan
from hotline.events import Event
from hotline.flow_calls import Script, ScriptedPath, script_inputs
from hotline.settings import Settings
from hotline.setup import Prepared
from hotline.sipp import runner
from hotline.sipp.runner import Caller, CallerPath
from hotline.storage import CallRecord, Outcome, StepKind
from hotline.wiring import ControllerApp
from ivr.flow import Flow
from ivr.flow_paths import VALID_ID
from ivr.hours import Schedule, is_open
from ivr.shipped_flows import DEFAULT_FLOW
from tests.integration import lab

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAY_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=SHANGHAI)  # a Wednesday
NATIONAL_DAY = datetime(2026, 10, 1, 10, 0, tzinfo=SHANGHAI)
LAB_AGENT_SEATS = 6
"""Seats 1-6 ring the lab's answering SIPp agents (7 and 8 are the slow ones)."""
TALKED_MS = 10_000
"""From the route to an agent until a caller who is not asked about the survey hangs up: a free
agent is offered the call at once, rings 300 ms and talks 2 s; the rest is margin for a busy
machine. The caller leaves during the survey's 15 s prompt (the survey waits up to ~40 s in
all, which only the survey test needs)."""
SHORT_WELCOME = {"prompt": "欢迎致电。", "timeout_ms": 3000}
"""Instead of the shipped welcome (31 s of speech, 5 s for a key) where a caller stays silent at
the welcome menu: they hear it three times, and its length is not what such a test is about."""


@dataclass
class IvrLab:
    app: ControllerApp
    clock: DemoClock
    tally: Tally
    events: list[Event]
    workdir: Path
    callers_placed: int = 0

    @property
    def flow(self):  # type: ignore[no-untyped-def]
        return self.app.flows.current

    def script(self, inputs: list[str], *, hangup_after_ms: int = 0) -> Script:
        at = self.clock()
        open_now = frozenset(
            name for name, schedule in self.flow.schedules.items() if is_open(schedule, at)
        )
        return script_inputs(
            self.flow, inputs, self.app.prompt_seconds, today=at.date(),
            open_schedules=open_now, valid_id=DEMO_ID_NUMBER, hangup_after_ms=hangup_after_ms,
        )  # fmt: skip

    def answered_then_gone(self, inputs: list[str]) -> Script:
        """The script of a caller who is routed to an agent, talks, and hangs up."""
        script = self.script(inputs)
        return replace(script, caller=gone_after_talk(script.caller, script.ivr_ms))

    async def call(self, scripts: list[Script], name: str) -> list[CallRecord]:
        """Place one call per script; their stored records, in the same order."""
        first = self.callers_placed
        self.callers_placed += len(scripts)
        people = [Caller(f"1370000{first + n:04d}", f"ivr {n}", n) for n in range(len(scripts))]
        callers = runner.callers(
            self.workdir, target="127.0.0.1:5060", service="12333", local_port=5080,
            people=people, paths=[s.caller for s in scripts], rate_per_s=2, limit=len(scripts),
            timeout_s=240, name=name,
        )  # fmt: skip
        await callers.start()
        stats = await callers.wait(timeout=300)
        assert stats.failed == 0, callers.errors()
        await lab.wait_until(lambda: not self.tally.in_progress(), 60, step=0.2)
        await self.app.recorder.flush(timeout=10)
        records = {
            r.caller_number: r
            for r in await asyncio.to_thread(self.app.store.list_calls, None, 1000)
        }
        return [records[p.number] for p in people]


@pytest.fixture
async def ivr_lab(
    asterisk: Prepared, lab_settings: Settings, tmp_path: Path
) -> AsyncIterator[IvrLab]:
    async with running_ivr_lab(asterisk, lab_settings, tmp_path, DEFAULT_FLOW) as ivr:
        yield ivr


@pytest.fixture
async def short_welcome_lab(
    asterisk: Prepared, lab_settings: Settings, tmp_path: Path
) -> AsyncIterator[IvrLab]:
    """The default flow with SHORT_WELCOME's prompt and timeout at the welcome menu."""
    source = yaml.safe_load(DEFAULT_FLOW.read_text(encoding="utf-8"))
    source["nodes"]["welcome"].update(SHORT_WELCOME)
    flow = tmp_path / "12333_short_welcome.yaml"
    flow.write_text(yaml.safe_dump(source, allow_unicode=True, sort_keys=False), encoding="utf-8")
    async with running_ivr_lab(asterisk, lab_settings, tmp_path, flow) as ivr:
        yield ivr


@contextlib.asynccontextmanager
async def running_ivr_lab(
    asterisk: Prepared, lab_settings: Settings, tmp_path: Path, flow: Path
) -> AsyncIterator[IvrLab]:
    """A controller in this process serving ``flow``, with SIPp agents on seats 1-6."""
    settings = lab_settings.model_copy(update={
        "ivr_flow": flow,
        "database_url": f"sqlite:///{tmp_path / 'ivr.db'}",
    })  # fmt: skip
    tally, events, clock = Tally(), [], DemoClock(WEEKDAY_MORNING)
    app = ControllerApp(
        settings, asterisk.layout, asterisk.secrets, extra_sinks=[tally, events.append],
        serve_http=False, ivr_clock=clock,
    )  # fmt: skip
    phones = lab.agents(tmp_path, talk_ms=2000, ring_ms=300)
    try:
        # Inside the try: a start that fails half-way (a port still taken by another
        # controller) must not leave the app's loops running, or the test run hangs.
        await app.start()
        labels = app.flows.current.skill_labels
        await asyncio.to_thread(app.store.ensure_skills, labels)
        for n in range(1, LAB_AGENT_SEATS + 1):
            code, skills = f"I{n:03d}", dict.fromkeys(labels, 3)
            await asyncio.to_thread(app.store.upsert_agent, code, f"坐席{n}", skills)
            app.controller.login(code, f"seat{n:03d}", skills)
        await app.ami.wait_connected(timeout=15)
        await phones.start()
        yield IvrLab(app, clock, tally, events, tmp_path)
    finally:
        await phones.stop()
        await app.stop()


def fewest_phases(demo: Plan, flow: Flow) -> Plan:
    """The demo's calls in as few phases as their paths allow, each phase as short as it can be.

    A phase waits for its last call to end before the clock moves on. A path that several of
    the demo's clocks suit (most only need the hotline open) joins the clock whose own calls are
    longest, where it adds no wait; in a phase with a free agent for every answered call, those
    callers hang up once the agent has talked (the survey after it is another test's)."""
    calls = [(c, p.scripts[c.path]) for p in demo.phases for c in p.callers]
    clocks = sorted({p.at for p in demo.phases})
    suited = {c.number: [at for at in clocks if suits(at, s, flow)] for c, s in calls}
    longest_own: dict[datetime, int] = {}
    for caller, script in calls:
        if len(suited[caller.number]) == 1:
            at = suited[caller.number][0]
            longest_own[at] = max(longest_own.get(at, 0), script.ivr_ms)
    groups: dict[datetime, list[tuple[Caller, ScriptedPath]]] = {}
    for caller, script in calls:
        at = max(suited[caller.number], key=lambda at: (at in longest_own, longest_own.get(at, 0)))
        groups.setdefault(at, []).append((caller, script))
    phases = tuple(phase_of(at, group) for at, group in groups.items())
    fewer = replace(demo, phases=phases)
    assert outcomes(fewer) == outcomes(demo)
    return fewer


def suits(at: datetime, script: ScriptedPath, flow: Flow) -> bool:
    return all(
        isinstance(schedule := flow.schedules.get(name), Schedule)
        and is_open(schedule, at) == wanted
        for name, wanted in script.path.schedules.items()
    )


def phase_of(at: datetime, calls: list[tuple[Caller, ScriptedPath]]) -> Phase:
    answered = sum(1 for _, script in calls if script.outcome == "answered")
    scripts = tuple(
        replace(script, caller=gone_after_talk(script.caller, script.ivr_ms))
        if script.outcome == "answered" and answered <= LAB_AGENT_SEATS
        else script
        for _, script in calls
    )
    callers = tuple(replace(caller, path=index) for index, (caller, _) in enumerate(calls))
    return Phase(at, scripts, callers)


def outcomes(demo: Plan) -> dict[str, tuple[str, str]]:
    return {n: (s.path.key, s.outcome) for n, s in demo.expected().items()}


def gone_after_talk(caller: CallerPath, ivr_ms: int) -> CallerPath:
    """``caller`` hanging up TALKED_MS after the route to an agent (the hang-up timer starts
    at the last key, or at the first if there is none)."""
    last_key_ms = caller.first_key_ms + (caller.key_times_ms or (0,))[-1]
    return replace(caller, hangup_after_ms=ivr_ms - last_key_ms + TALKED_MS)


def nodes(record: CallRecord) -> list[str]:
    return [str(s.detail["node"]) for s in record.steps if s.kind is StepKind.IVR_NODE]


def details(record: CallRecord, kind: StepKind) -> list[dict[str, object]]:
    return [dict(s.detail) for s in record.steps if s.kind is kind]


async def test_every_path_of_the_default_flow_ends_where_the_flow_says(
    ivr_lab: IvrLab, no_leaked_channels: None
) -> None:
    demo = plan(ivr_lab.flow, 0, ivr_lab.app.prompt_seconds, WEEKDAY_MORNING)
    assert not demo.unplaceable
    assert demo.paths_total >= 40  # languages, topics, self-service, ID entry, hours
    demo = fewest_phases(demo, ivr_lab.flow)
    stats = await place_plan(
        ivr_lab.app, demo, ivr_lab.workdir, tally=ivr_lab.tally, clock=ivr_lab.clock, rate=3
    )
    assert sum(s.failed for s in stats) == 0
    await ivr_lab.app.recorder.flush(timeout=30)
    records = await asyncio.to_thread(ivr_lab.app.store.list_calls, None, 1000)
    verdict = judge(demo, records)
    assert verdict.wrong == ()
    assert verdict.covered == demo.paths_total


async def test_wrong_keys_silence_and_hang_ups_are_recorded_with_their_node(
    short_welcome_lab: IvrLab, no_leaked_channels: None
) -> None:
    ivr_lab = short_welcome_lab
    wrong_then_hang_up = ivr_lab.script(["7", "1"], hangup_after_ms=2500)
    deep_hang_up = ivr_lab.script(["6", "1"], hangup_after_ms=1500)
    # Silent through the menu, answered, then gone once the agent has talked.
    silent = ivr_lab.answered_then_gone(["", "", ""])
    wrong, deep, quiet = await ivr_lab.call([wrong_then_hang_up, deep_hang_up, silent], "hangups")
    assert wrong.outcome is Outcome.IVR_HANGUP
    assert details(wrong, StepKind.IVR_INVALID) == [{"node": "welcome", "key": "7"}]
    assert nodes(wrong)[-1] == "social_insurance"
    assert deep.outcome is Outcome.IVR_HANGUP
    assert nodes(deep)[-1] == "wage_arrears"
    assert details(quiet, StepKind.IVR_TIMEOUT) == [{"node": "welcome"}] * 3
    assert quiet.outcome is Outcome.ANSWERED
    assert quiet.queue == "general"


async def test_on_a_holiday_the_out_of_hours_path_books_a_callback_for_the_next_opening(
    ivr_lab: IvrLab, no_leaked_channels: None
) -> None:
    ivr_lab.clock.at = NATIONAL_DAY
    (record,) = await ivr_lab.call([ivr_lab.script(["1"])], "holiday")
    assert nodes(record) == ["opening_hours", "closed", "closed_callback", "goodbye"]
    assert record.outcome is Outcome.CALLBACK_REQUESTED
    (callback,) = await asyncio.to_thread(ivr_lab.app.store.list_callbacks)
    assert callback.due_at is not None
    assert callback.due_at > NATIONAL_DAY
    assert not chinese_calendar.is_holiday(callback.due_at.astimezone(SHANGHAI).date())


def makeup_saturday(after: date, *, ordinary: bool = False) -> date:
    """The first Saturday from ``after`` that is a make-up working day (or, with ordinary=True,
    a plain weekend day: neither a working day nor part of a statutory holiday)."""
    for offset in range(366):
        day = after + timedelta(days=offset)
        if day.weekday() != 5:
            continue
        plain = chinese_calendar.get_holiday_detail(day) == (True, None)
        if plain if ordinary else chinese_calendar.is_workday(day):
            return day
    raise AssertionError(f"no such Saturday in the year from {after}")


async def test_a_make_up_working_saturday_opens_the_weekday_office(
    ivr_lab: IvrLab, no_leaked_channels: None
) -> None:
    saturday = makeup_saturday(date(2026, 1, 1))
    ivr_lab.clock.at = datetime.combine(saturday, datetime.min.time(), SHANGHAI).replace(hour=10)
    (open_call,) = await ivr_lab.call([ivr_lab.answered_then_gone(["5", "0"])], "makeup")
    assert nodes(open_call)[-1] == "residence_permit_agent"
    assert open_call.outcome is Outcome.ANSWERED
    ordinary = makeup_saturday(saturday, ordinary=True)
    ivr_lab.clock.at = datetime.combine(ordinary, datetime.min.time(), SHANGHAI).replace(hour=10)
    (closed_call,) = await ivr_lab.call([ivr_lab.script(["5", "0", "2"])], "weekend")
    assert nodes(closed_call)[-3:] == ["residence_permit_closed", "closed", "goodbye"]


async def test_an_invalid_id_number_is_refused_and_a_valid_one_is_only_ever_masked(
    ivr_lab: IvrLab, no_leaked_channels: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = DEMO_ID_NUMBER[:17] + "1"  # the right check character is X
    script = ivr_lab.answered_then_gone(["1", "1", "2", wrong + "#", VALID_ID])
    (record,) = await ivr_lab.call([script], "id_numbers")
    assert record.outcome is Outcome.ANSWERED
    assert record.queue == "pension"
    assert [d["node"] for d in details(record, StepKind.IVR_INVALID)] == ["pension_id"]
    everything = repr(record) + repr(ivr_lab.events) + caplog.text
    for secret in (DEMO_ID_NUMBER, DEMO_ID_NUMBER[:17], wrong):
        assert secret not in everything
    keyed = [d["digits"] for d in details(record, StepKind.IVR_INPUT) if d["node"] == "pension_id"]
    assert len(keyed) == 1
    assert "*" in str(keyed[0])


async def test_the_survey_rating_keyed_after_the_agent_leaves_is_stored_with_the_call(
    ivr_lab: IvrLab, no_leaked_channels: None
) -> None:
    script = ivr_lab.script(["0"])
    # After the key: the queue (free agents: an offer at once), 300 ms of ringing, 2 s of
    # talk, then the survey prompt; the rating is keyed 4 s into it.
    rate_at = script.ivr_ms - script.caller.first_key_ms + 300 + 2000 + 4000
    keys = script.caller.keys + "4"
    times = (*script.caller.key_times_ms, rate_at)
    rating = Script(
        runner.CallerPath(keys, first_key_ms=script.caller.first_key_ms, key_times_ms=times),
        script.ivr_ms, False, script.nodes,
    )  # fmt: skip
    (record,) = await ivr_lab.call([rating], "survey")
    assert record.outcome is Outcome.ANSWERED
    (step,) = details(record, StepKind.SURVEY)
    assert step == {"rating": 4, "agent": record.agent_code}
    since = datetime.now(UTC) - timedelta(hours=1)
    (stored,) = await asyncio.to_thread(ivr_lab.app.store.list_surveys, since, datetime.now(UTC))
    assert (stored.call_uniqueid, stored.rating, stored.agent_code) == (
        record.uniqueid,
        4,
        record.agent_code,
    )


async def test_a_changed_prompt_is_regenerated_and_is_what_asterisk_plays_until_reverted(
    ivr_lab: IvrLab, no_leaked_channels: None
) -> None:
    flows = ivr_lab.app.flows
    source = DEFAULT_FLOW.read_text(encoding="utf-8")
    # A text never voiced before on this machine (prompt audio is cached across runs).
    fresh = f"欢迎致电12333，新版本提示音，编号{time.time_ns() % 10**9}。"
    changed = source.replace("欢迎致电12333劳动保障咨询服务热线。", fresh)
    assert changed != source
    change = await flows.change(changed, "test-admin", "new welcome")
    assert change.version.version == 2
    assert change.prompts_generated >= 1
    (after,) = await ivr_lab.call([ivr_lab.answered_then_gone(["0"])], "changed")
    played = [d["file"] for d in details(after, StepKind.IVR_PROMPT) if d["node"] == "welcome"]
    new_prompt = flows.current.node("welcome").prompt  # type: ignore[union-attr]
    assert "新版本" in new_prompt.text
    expected_file, _ = ivr_lab.app.prompt_files.file(new_prompt)
    assert played == [expected_file]
    assert (ivr_lab.app.layout.host(expected_file + ".wav")).is_file()
    reverted = await flows.revert(1, "test-admin")
    assert reverted.version.version == 3
    assert reverted.version.reverted_from == 1
    (back,) = await ivr_lab.call([ivr_lab.answered_then_gone(["0"])], "reverted")
    played_back = [d["file"] for d in details(back, StepKind.IVR_PROMPT) if d["node"] == "welcome"]
    assert played_back != played
    assert "新版本" not in flows.current.node("welcome").prompt.text  # type: ignore[union-attr]
