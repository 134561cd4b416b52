"""The foundation's real call path: SIPp callers → Asterisk → FastAGI → Mandarin menu → DTMF →
the controller picks a free agent while the caller hears music → SIPp agent → stored path and
MQTT events."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import aiomqtt
import pytest

from hotline.settings import Settings
from hotline.setup import Prepared
from hotline.sipp.runner import CallerPath
from hotline.storage import CallRecord, Outcome, StepKind, Store
from tests.integration import lab
from tests.integration.lab import ControllerProcess

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]

PATHS = [
    CallerPath("1"),
    CallerPath("2"),
    CallerPath("0"),
    CallerPath("91", between_keys_ms=4500),  # a wrong key, then pension
]
EXPECTED = {  # path index -> (digits pressed in order, topic)
    0: (["1"], "pension"),
    1: (["2"], "medical_insurance"),
    2: (["0"], "general"),
    3: (["9", "1"], "pension"),
}
CALLS = 20
AGENTS = 5


async def collect_mqtt(topic: str, into: list[dict[str, object]], ready: asyncio.Event) -> None:
    async with aiomqtt.Client("127.0.0.1", 1883, identifier="hotline-test") as client:
        await client.subscribe(topic, qos=1)
        ready.set()
        async for message in client.messages:
            into.append(json.loads(bytes(message.payload)))  # type: ignore[arg-type]


def path_index(record: CallRecord) -> int:
    return int(record.caller_number[-4:]) % len(PATHS)


def check_record(record: CallRecord) -> None:
    kinds = [step.kind for step in record.steps]
    # A wrong key is an ivr_invalid step, a chosen one an ivr_input step: together, in order.
    digits_pressed = [
        str(s.detail.get("digits", s.detail.get("key")))
        for s in record.steps
        if s.kind in {StepKind.IVR_INPUT, StepKind.IVR_INVALID}
    ]
    expected_digits, topic = EXPECTED[path_index(record)]
    assert record.outcome is Outcome.ANSWERED, (record.uniqueid, kinds)
    assert kinds[0] is StepKind.ARRIVAL
    assert kinds[-2:] == [StepKind.HANGUP, StepKind.END]
    assert digits_pressed == expected_digits
    queue_steps = [s for s in record.steps if s.kind is StepKind.QUEUE_ENTER]
    assert queue_steps and queue_steps[0].detail["topic"] == topic
    for earlier, later in (
        (StepKind.ARRIVAL, StepKind.IVR_INPUT),
        (StepKind.IVR_INPUT, StepKind.QUEUE_ENTER),
        (StepKind.QUEUE_ENTER, StepKind.OFFER),
        (StepKind.OFFER, StepKind.ANSWER),
        (StepKind.ANSWER, StepKind.END),
    ):
        assert kinds.index(earlier) < kinds.index(later), (earlier, later, kinds)
    times = [step.at for step in record.steps]
    assert times == sorted(times), "steps must be in time order"
    assert record.answered_at is not None and record.ended_at is not None
    assert record.arrived_at <= record.answered_at <= record.ended_at
    assert record.agent_code in {f"A{n:03d}" for n in range(1, AGENTS + 1)}
    assert record.seat == f"seat{record.agent_code[1:]}"
    assert record.wait_ms is not None and record.wait_ms >= 0
    assert record.talk_ms is not None and record.talk_ms > 1000
    assert record.dialed == "12333"
    assert not record.fallback


async def test_given_five_agents_when_twenty_callers_press_keys_then_all_answered_and_recorded(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    for n in range(1, AGENTS + 1):
        controller.api("POST", f"/api/v1/agents/A{n:03d}/login", {"seat": f"seat{n:03d}"})
    ended_events: list[dict[str, object]] = []
    subscribed = asyncio.Event()
    topic = "hotline/v1/calls/+/ended"
    listener = asyncio.create_task(collect_mqtt(topic, ended_events, subscribed))
    await asyncio.wait_for(subscribed.wait(), 10)
    agents = lab.agents(tmp_path, talk_ms=3000)
    await agents.start()
    try:
        callers = lab.callers(lab_settings, tmp_path, PATHS, CALLS, rate=2.0)
        await callers.start()
        stats = await callers.wait(timeout=240)
        assert stats.failed == 0, callers.errors()
        assert stats.successful == CALLS
        records = await lab.ended_records(store, CALLS)
    finally:
        await agents.stop()
    assert len(records) == CALLS
    for record in records:
        check_record(record)
    assert {path_index(r) for r in records} == set(EXPECTED)
    async with asyncio.timeout(10):
        while len(ended_events) < CALLS:
            await asyncio.sleep(0.2)
    listener.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await listener
    assert {e["outcome"] for e in ended_events} == {"answered"}
    assert {e["call_id"] for e in ended_events} == {r.uniqueid for r in records}
