"""The dialplan never strands a caller: without a controller, or with one killed mid-call, the
caller reaches the static fallback queue and an agent answers."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from hotline.settings import Settings
from hotline.setup import Prepared
from hotline.sipp.runner import CallerPath
from tests.integration import lab
from tests.integration.lab import ControllerProcess

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]

SILENT = CallerPath("", first_key_ms=1000)


def completed_in_fallback(prepared: Prepared) -> int:
    out = prepared.asterisk.rx("queue show hotline-fallback")
    match = re.search(r"C:(\d+)", out)
    assert match, out
    return int(match.group(1))


def callers_in_application(prepared: Prepared, application: str) -> int:
    out = prepared.asterisk.rx("core show channels concise")
    rows = [line.split("!") for line in out.splitlines() if line.startswith("PJSIP/trunk-")]
    return sum(1 for row in rows if len(row) > 5 and row[5] == application)


async def test_given_no_controller_when_callers_arrive_then_fallback_queue_agents_answer_them(
    asterisk: Prepared, lab_settings: Settings, tmp_path: Path, no_leaked_channels: None
) -> None:
    before = completed_in_fallback(asterisk)
    agents = lab.EverySeat(tmp_path, talk_ms=2000)
    await agents.start()
    try:
        callers = lab.callers(lab_settings, tmp_path, [SILENT], 4, rate=2.0)
        await callers.start()
        stats = await callers.wait(timeout=120)
    finally:
        agent_stats = await agents.stop()
    assert stats.failed == 0, callers.errors()
    assert stats.successful == 4
    assert agent_stats.successful == 4, "every caller was answered by an agent"
    assert completed_in_fallback(asterisk) - before == 4


async def test_given_caller_in_ivr_when_controller_is_killed_then_caller_reaches_fallback_within_3s(
    asterisk: Prepared,
    controller: ControllerProcess,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    controller.api("POST", "/api/v1/agents/A001/login", {"seat": "seat001"})
    agents = lab.EverySeat(tmp_path, talk_ms=2000)
    await agents.start()
    try:
        # A caller who stays silent: still listening to the welcome menu when the kill comes.
        silent = CallerPath("", first_key_ms=4000)
        callers = lab.callers(lab_settings, tmp_path, [silent], 1)
        await callers.start()
        await lab.wait_until(lambda: (controller.health() or {}).get("agi_sessions") == 1, 20)
        await asyncio.sleep(1.0)
        assert callers_in_application(asterisk, "AGI") == 1
        controller.kill()
        seconds = await lab.wait_until(lambda: callers_in_application(asterisk, "Queue") == 1, 10)
        assert seconds < 3.0, f"caller took {seconds:.2f} s to reach the fallback queue"
        stats = await callers.wait(timeout=60)
    finally:
        agent_stats = await agents.stop()
    assert stats.failed == 0, callers.errors()
    assert stats.successful == 1
    assert agent_stats.successful == 1, "the agent answered the caller from the fallback queue"


async def test_given_caller_waiting_for_agent_when_controller_is_killed_then_fallback_answers(
    asterisk: Prepared,
    controller: ControllerProcess,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    # Nobody is logged in to the controller, so the caller waits in its queue with music.
    agents = lab.EverySeat(tmp_path, talk_ms=2000)
    await agents.start()
    try:
        callers = lab.callers(lab_settings, tmp_path, [CallerPath("1")], 1)
        await callers.start()
        await lab.wait_until(lambda: callers_in_application(asterisk, "AGI") == 1, 20)
        waiting = await asyncio.to_thread(controller.api, "GET", "/healthz", auth=False)
        assert waiting["agi_sessions"] == 1
        await asyncio.sleep(4.0)  # past the menu: the caller now hears music on hold
        controller.kill()
        seconds = await lab.wait_until(lambda: callers_in_application(asterisk, "Queue") == 1, 10)
        assert seconds < 3.0
        stats = await callers.wait(timeout=60)
    finally:
        agent_stats = await agents.stop()
    assert stats.failed == 0, callers.errors()
    assert agent_stats.successful == 1
