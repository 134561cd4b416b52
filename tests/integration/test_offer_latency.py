"""An agent found while a waiting caller hears an announcement is offered at once: the
controller stops the announcement (AMI ControlPlayback on the caller's CONTROL STREAM FILE)
instead of waiting for its end on the one-command-at-a-time FastAGI session."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from pathlib import Path

import pytest

from hotline.prompts import prompt_seconds, prompt_stem
from hotline.settings import Settings
from hotline.setup import Prepared
from hotline.sipp.runner import CallerPath
from hotline.storage import CallRecord, Outcome, StepKind, Store
from ivr import queue_choices
from ivr.prompt import Prompt
from ivr.queue_announcements import position_prompt
from tests.integration import lab
from tests.integration.lab import ControllerProcess

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]

ANNOUNCE_AFTER_S = 2.0  # HOTLINE_ANNOUNCE_AFTER_S in the lab
INTO_ANNOUNCEMENT_S = 1.0
"""When the agent logs in: this long after the first announcement began."""
MAX_OFFER_LATENCY_S = 0.25
"""From the routing decision to the offer sent; the issue asks p99 <= 50 ms."""


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert match is not None, name
    return float(match.group(1))


def waiting_in(text: str, queue: str) -> bool:
    return f'hotline_calls_waiting{{queue="{queue}"}} 1.0' in text


def heard(prepared: Prepared, detail: dict[str, object]) -> tuple[Prompt, Path]:
    """The prompt of an ivr_prompt step in the queue, and its audio file."""
    if detail["prompt"] == "queue_position":
        position, estimate = detail["position"], detail["estimate_s"]
        assert isinstance(position, int) and (estimate is None or isinstance(estimate, int))
        prompt = position_prompt(position, estimate)
        return prompt, prepared.layout.prompt_dir / "dynamic" / f"{prompt_stem(prompt)}.wav"
    (prompt,) = [p for p in queue_choices.ALL if p.name == detail["prompt"]]
    return prompt, prepared.layout.prompt_dir / f"{prompt_stem(prompt)}.wav"


def offered_while_hearing(prepared: Prepared, record: CallRecord) -> str:
    """The prompt the caller was hearing when the agent was chosen (its step began before the
    offer, and its audio would have lasted beyond it)."""
    steps = record.steps
    offer = next(i for i, s in enumerate(steps) if s.kind is StepKind.OFFER)
    last = steps[offer - 1]
    assert last.kind is StepKind.IVR_PROMPT, steps
    prompt, audio = heard(prepared, dict(last.detail))
    ends = last.at + timedelta(seconds=prompt_seconds(audio))
    assert steps[offer].at < ends, (prompt.name, last.at, steps[offer].at, ends)
    return prompt.name


async def test_given_a_caller_hearing_their_place_when_an_agent_logs_in_then_offered_at_once(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    agents = lab.agents(tmp_path, talk_ms=1000)
    await agents.start()
    try:
        callers = lab.callers(lab_settings, tmp_path, [CallerPath("0")], 1, name="waiter")
        await callers.start()
        await lab.wait_until(lambda: waiting_in(controller.api_text("/metrics"), "general"), 30)
        await asyncio.sleep(ANNOUNCE_AFTER_S + INTO_ANNOUNCEMENT_S)
        controller.api("POST", "/api/v1/agents/A001/login", {"seat": "seat001"})
        stats = await callers.wait(timeout=60)
    finally:
        await agents.stop()
    assert stats.successful == 1, callers.errors()

    (record,) = await lab.ended_records(store, 1)
    assert record.outcome is Outcome.ANSWERED
    assert offered_while_hearing(asterisk, record) in {"queue_position", "queue_options"}
    text = controller.api_text("/metrics")
    assert metric(text, "hotline_offer_latency_seconds_count") == 1.0
    latency = metric(text, "hotline_offer_latency_seconds_sum")
    print(f"offer latency mid-announcement: {latency * 1000:.1f} ms")
    assert latency < MAX_OFFER_LATENCY_S
