"""Skills routing, agent states and the caller's wait on the real Asterisk with SIPp."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.settings import Settings
from hotline.setup import Prepared
from hotline.sipp.runner import CallerPath
from hotline.storage import Outcome, StepKind, Store
from tests.integration import lab
from tests.integration.lab import ControllerProcess

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


def agent_states(controller: ControllerProcess) -> dict[str, tuple[str, str | None]]:
    return {
        a["agent"]: (a["state"], a.get("pause_reason"))
        for a in controller.api("GET", "/api/v1/agents")
    }


async def test_given_pension_and_medical_agents_free_when_medical_caller_then_medical_agent(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    await asyncio.to_thread(store.upsert_agent, "P001", "养老专员", {"pension": 5})
    await asyncio.to_thread(store.upsert_agent, "M001", "医保专员", {"medical_insurance": 4})
    # The pension-only agent logs in first: longest idle, yet not eligible for medical callers.
    controller.api("POST", "/api/v1/agents/P001/login", {"seat": "seat001"})
    await asyncio.sleep(0.3)
    controller.api("POST", "/api/v1/agents/M001/login", {"seat": "seat002"})
    await lab.answered_calls(lab_settings, tmp_path, [CallerPath("2")], 1)
    (record,) = await lab.ended_records(store, 1)
    assert record.outcome is Outcome.ANSWERED
    assert record.agent_code == "M001"
    assert record.queue == "medical_insurance"


async def test_given_an_agent_in_wrapup_when_disposition_posted_then_stored_and_agent_available(
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
        callers = lab.callers(lab_settings, tmp_path, [CallerPath("1")], 1)
        await callers.start()
        await lab.wait_until(lambda: agent_states(controller)["A001"][0] == "wrap_up", 30)
        answered = controller.api(
            "POST", "/api/v1/agents/A001/wrapup", {"disposition": "pension.query"}
        )
        assert answered["state"] == "available"
        stats = await callers.wait(timeout=60)
    finally:
        await agents.stop()
    assert stats.successful == 1, callers.errors()
    (record,) = await lab.ended_records(store, 1)
    await lab.wait_until(lambda: store.get_call(record.uniqueid).disposition is not None, 10)  # type: ignore[union-attr]
    assert store.get_call(record.uniqueid).disposition == "pension.query"  # type: ignore[union-attr]
    controller.api("POST", "/api/v1/agents/A001/pause", {"reason": "lunch"})
    assert agent_states(controller) == {"A001": ("paused", "lunch")}
    metrics = controller.api_text("/metrics")
    assert 'hotline_agents{reason="lunch",state="paused"} 1.0' in metrics
    changes = await asyncio.to_thread(store.list_agent_changes, "A001")
    states = [c.state for c in changes]
    assert states[:5] == ["available", "offered", "on_call", "wrap_up", "available"]
    assert changes[-1].state == "paused"
    assert changes[-1].reason.endswith("lunch")


async def test_given_agents_busy_when_caller_waits_then_position_is_announced(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    controller.api("POST", "/api/v1/agents/A001/login", {"seat": "seat001"})
    await lab.answered_calls(lab_settings, tmp_path, [CallerPath("0")], 2, rate=1.0, talk_ms=8000)
    records = await lab.ended_records(store, 2)
    second = max(records, key=lambda r: r.arrived_at)
    announcements = [
        s.detail for s in second.steps
        if s.kind is StepKind.IVR_PROMPT and s.detail.get("prompt") == "queue_position"
    ]  # fmt: skip
    assert announcements, [s.kind for s in second.steps]
    assert announcements[0]["position"] == 1
    assert all(r.outcome is Outcome.ANSWERED for r in records)


async def test_given_an_agent_missing_offers_when_limit_reached_then_paused_for_missed_offers(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    # seat007 rings for 30 s, past the 10 s offer timeout; the lab pauses after 2 misses.
    controller.api("POST", "/api/v1/agents/A007/login", {"seat": "seat007"})
    slow = lab.agents(tmp_path, ring_ms=30_000, slow=True)
    quick = lab.agents(tmp_path, talk_ms=1000)
    await slow.start()
    await quick.start()
    try:
        callers = lab.callers(lab_settings, tmp_path, [CallerPath("0")], 1)
        await callers.start()
        await lab.wait_until(lambda: agent_states(controller)["A007"][0] == "paused", 60)
        assert agent_states(controller)["A007"] == ("paused", "missed offers")
        # The caller is not stranded: another agent logs in and answers.
        controller.api("POST", "/api/v1/agents/A001/login", {"seat": "seat001"})
        stats = await callers.wait(timeout=60)
    finally:
        await quick.stop()
        await slow.stop()
    assert stats.successful == 1, callers.errors()
    (record,) = await lab.ended_records(store, 1)
    offers = [s.detail.get("agent") for s in record.steps if s.kind is StepKind.OFFER]
    assert offers == ["A007", "A007", "A001"]
    assert record.agent_code == "A001"


async def test_given_a_repeat_caller_when_their_last_agent_is_free_then_routed_to_that_agent(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    controller.api("POST", "/api/v1/agents/A001/login", {"seat": "seat001"})
    await asyncio.sleep(0.3)
    controller.api("POST", "/api/v1/agents/A002/login", {"seat": "seat002"})
    # First call: A001, the longest idle, answers it.
    await lab.answered_calls(lab_settings, tmp_path / "first", [CallerPath("0")], 1)
    await lab.wait_until(lambda: agent_states(controller)["A001"][0] == "available", 30)
    # Now A002 has been idle longer; the same number calls again and still gets A001.
    await lab.answered_calls(lab_settings, tmp_path / "again", [CallerPath("0")], 1)
    records = sorted(await lab.ended_records(store, 2), key=lambda r: r.arrived_at)
    assert records[0].caller_number == records[1].caller_number
    assert [r.agent_code for r in records] == ["A001", "A001"]
