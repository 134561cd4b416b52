"""Callers who hang up at every step are recorded with the right outcome; nothing is lost and
no channel or agent is left behind. Hostile caller names are stored cleaned, never executed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.settings import Settings
from hotline.setup import Prepared
from hotline.sipp import runner
from hotline.sipp.runner import Caller, CallerPath
from hotline.storage import Outcome, StepKind, Store
from tests.integration import lab
from tests.integration.lab import ControllerProcess

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


async def test_given_no_free_agent_when_callers_hang_up_in_menu_and_queue_then_outcomes_recorded(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    paths = [
        CallerPath("", first_key_ms=1500, hangup_after_ms=1),  # gone during the welcome menu
        CallerPath("1", first_key_ms=1500, hangup_after_ms=3000),  # gone while waiting
    ]
    callers = lab.callers(lab_settings, tmp_path, paths, 4, rate=2.0)
    await callers.start()
    stats = await callers.wait(timeout=60)
    assert stats.failed == 0, callers.errors()
    records = await lab.ended_records(store, 4)
    by_path = {int(r.caller_number[-4:]) % 2: r.outcome for r in records}
    assert by_path == {0: Outcome.IVR_HANGUP, 1: Outcome.ABANDONED}
    for record in records:
        assert record.steps[-1].kind is StepKind.END
        assert record.answered_at is None
        if record.outcome is Outcome.ABANDONED:
            assert record.wait_ms is not None
            assert 2000 <= record.wait_ms <= 6000, record.wait_ms
    health = controller.health()
    assert health is not None
    assert health["agi_sessions"] == 0


async def test_given_hostile_caller_name_when_calling_then_name_is_stored_cleaned_and_not_run(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    marker = tmp_path / "pwned"
    hostile = f"x'); EXEC System(touch {marker}) \\ VERBOSE 1"
    controller.api("POST", "/api/v1/agents/A001/login", {"seat": "seat001"})
    agents = lab.agents(tmp_path, talk_ms=1000)
    await agents.start()
    try:
        callers = runner.callers(
            tmp_path, target="127.0.0.1:5060", service=lab_settings.service_number,
            local_port=5080, people=[Caller("13800138000", hostile, 0)],
            paths=[CallerPath("1")], rate_per_s=1, limit=1, timeout_s=60,
        )  # fmt: skip
        await callers.start()
        stats = await callers.wait(timeout=60)
    finally:
        await agents.stop()
    assert stats.successful == 1, callers.errors()
    (record,) = await lab.ended_records(store, 1)
    assert record.outcome is Outcome.ANSWERED
    assert "EXEC System" in record.caller_name
    assert "\\" not in record.caller_name
    assert not marker.exists()


async def test_given_an_agent_who_does_not_answer_when_offered_then_the_caller_goes_to_the_next(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    # A007 (seat007) logs in first, so is the longest idle; its softphone rings for 30 s,
    # beyond the lab's 10 s offer timeout.
    controller.api("POST", "/api/v1/agents/A007/login", {"seat": "seat007"})
    await asyncio.sleep(0.5)
    controller.api("POST", "/api/v1/agents/A001/login", {"seat": "seat001"})
    slow = lab.agents(tmp_path, ring_ms=30_000, slow=True)
    quick = lab.agents(tmp_path, talk_ms=1500)
    await slow.start()
    await quick.start()
    try:
        callers = lab.callers(lab_settings, tmp_path, [CallerPath("1")], 1)
        await callers.start()
        stats = await callers.wait(timeout=90)
    finally:
        await quick.stop()
        await slow.stop()
    assert stats.successful == 1, callers.errors()
    (record,) = await lab.ended_records(store, 1)
    kinds = [s.kind for s in record.steps]
    offers = [s.detail.get("agent") for s in record.steps if s.kind is StepKind.OFFER]
    assert offers == ["A007", "A001"], kinds
    assert StepKind.OFFER_TIMEOUT in kinds
    assert record.outcome is Outcome.ANSWERED
    assert record.agent_code == "A001"
    states = {a["agent"]: a["state"] for a in controller.api("GET", "/api/v1/agents")}
    assert states["A007"] == "available"
    assert states["A001"] in {"wrap_up", "available"}  # the lab's wrap-up is 3 s


async def test_given_a_dtmf_flood_when_in_the_menu_then_one_choice_is_taken_and_the_call_answered(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    controller.api("POST", "/api/v1/agents/A001/login", {"seat": "seat001"})
    agents = lab.agents(tmp_path, talk_ms=1500)
    await agents.start()
    try:
        flood = CallerPath("1" * 40, between_keys_ms=20)
        callers = lab.callers(lab_settings, tmp_path, [flood], 1)
        await callers.start()
        stats = await callers.wait(timeout=90)
    finally:
        await agents.stop()
    assert stats.successful == 1, callers.errors()
    (record,) = await lab.ended_records(store, 1)
    inputs = [s.detail["digits"] for s in record.steps if s.kind is StepKind.IVR_INPUT]
    assert inputs == ["1"]
    assert record.outcome is Outcome.ANSWERED


async def test_given_caller_hangs_up_while_seat_rings_then_agent_freed_without_a_miss(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    controller.api("POST", "/api/v1/agents/A007/login", {"seat": "seat007"})
    slow = lab.agents(tmp_path, ring_ms=30_000, slow=True)
    await slow.start()
    try:
        impatient = CallerPath("0", hangup_after_ms=4000)
        callers = lab.callers(lab_settings, tmp_path, [impatient], 1)
        await callers.start()
        stats = await callers.wait(timeout=60)
    finally:
        await slow.stop()
    assert stats.successful == 1, callers.errors()
    (record,) = await lab.ended_records(store, 1)
    assert record.outcome is Outcome.ABANDONED
    assert [s.kind for s in record.steps].count(StepKind.END) == 1
    agents = controller.api("GET", "/api/v1/agents")
    assert [(a["agent"], a["state"]) for a in agents] == [("A007", "available")]
    metrics = controller.api_text("/metrics")
    assert 'hotline_offers_missed_total{agent="A007"}' not in metrics
