"""A waiting caller's choices on the real Asterisk with SIPp: a queued callback that keeps the
caller's place (dialled out on the callback trunk to a SIPp phone), and a voice message.

Keys are RFC 4733 from SIPp. The callback key is pressed while music plays (so AMI's DTMFEnd
carries it); the confirmation during the read-back of the number (FastAGI).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from hotline.settings import Settings
from hotline.setup import Prepared
from hotline.sipp.runner import CallerPath
from hotline.storage import CallRecord, MessageStatus, Outcome, StepKind, Store
from queues.callbacks import CallbackStatus
from tests.integration import lab
from tests.integration.lab import ControllerProcess
from tests.integration.voice_pcap import write_talking_caller

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]

# Timeline of the booking caller (the prompts are espeak-ng's, lengths in seconds): the menu key
# 0 at 2.5 (general queue); the place announced from ~5 to ~16 (position, then the choices);
# 1 at ~19.6, during music (AMI); the number read back from ~20 to ~40; 1 at ~36.7 confirms.
BOOKER = CallerPath("011", first_key_ms=2500, between_keys_ms=17_000)
WAITER = CallerPath("0")


def steps(record: CallRecord, kind: StepKind) -> list[dict[str, object]]:
    return [dict(step.detail) for step in record.steps if step.kind is kind]


async def records_by_outcome(
    store: Store, count: int, timeout: float
) -> dict[str, list[CallRecord]]:
    ended = await lab.ended_records(store, count, timeout)
    by_outcome: dict[str, list[CallRecord]] = {}
    for record in ended:
        by_outcome.setdefault(record.outcome.value, []).append(record)
    return by_outcome


async def callback_booked(store: Store) -> None:
    """Wait until the booking caller's callback is booked. They still hear the confirmation
    (12 s) before they hang up; the callback already waits in their place."""

    def booked() -> bool:
        return any(c.status is CallbackStatus.WAITING for c in store.list_callbacks())

    await lab.wait_until(booked, 60, step=0.3)


async def metrics_show(controller: ControllerProcess, line: str, timeout: float = 10) -> str:
    """The metrics text once it has ``line`` (the counters follow the store's writes by a
    moment), or as it stands after ``timeout``."""
    with contextlib.suppress(TimeoutError):
        await lab.wait_until(lambda: line in controller.api_text("/metrics"), timeout, step=0.3)
    return controller.api_text("/metrics")


async def test_given_a_caller_who_books_a_callback_when_an_agent_frees_then_called_back_first(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    phones, agents = lab.callback_phones(tmp_path), lab.agents(tmp_path, talk_ms=3000)
    await phones.start()
    await agents.start()
    try:
        # Caller 0 books a callback; caller 1 arrives 5 s later and just waits. No agent yet.
        callers = lab.callers(lab_settings, tmp_path, [BOOKER, WAITER], 2, rate=0.2)
        await callers.start()
        await callback_booked(store)
        waiting = 'hotline_calls_waiting{queue="general"} 2.0'  # the waiter + the callback
        assert waiting in await metrics_show(controller, waiting)
        controller.api("POST", "/api/v1/agents/A001/login", {"seat": "seat001"})
        by_outcome = await records_by_outcome(store, 3, timeout=90)
        stats = await callers.wait(timeout=60)
    finally:
        await agents.stop()
        await phones.stop()
    assert stats.successful == 2, callers.errors()

    (booker,) = by_outcome["callback_requested"]
    assert steps(booker, StepKind.CALLER_CHOICE) == [{"key": "1"}]
    (callback,) = store.list_callbacks()
    assert (callback.status, callback.attempts, callback.agent) == (
        CallbackStatus.CONNECTED, 1, "A001",
    )  # fmt: skip
    assert callback.number == booker.caller_number
    leg, waiter = sorted(by_outcome["answered"], key=lambda r: r.answered_at or r.arrived_at)
    # The callback kept the booker's place: dialled and answered before the later caller.
    assert leg.uniqueid == f"{callback.id}-1"
    assert (leg.linkedid, leg.caller_number, leg.agent_code) == (
        booker.uniqueid, booker.caller_number, "A001",
    )  # fmt: skip
    assert steps(leg, StepKind.CALLBACK) == [{"callback": callback.id, "attempt": 1}]
    assert waiter.arrived_at > booker.arrived_at
    assert waiter.agent_code == "A001"
    (listed,) = controller.api("GET", "/api/v1/callbacks")
    assert (listed["id"], listed["status"], listed["agent"]) == (callback.id, "connected", "A001")
    assert 'hotline_callbacks_total{status="connected"} 1.0' in controller.api_text("/metrics")


async def test_given_a_callback_nobody_answers_when_attempts_run_out_then_failed_and_agent_free(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    # No phone at the callback trunk's address: every attempt fails at once.
    callers = lab.callers(lab_settings, tmp_path, [BOOKER], 1)
    await callers.start()
    await callback_booked(store)
    controller.api("POST", "/api/v1/agents/A001/login", {"seat": "seat001"})
    assert (await callers.wait(timeout=60)).successful == 1, callers.errors()

    def failed() -> bool:
        return [c.status for c in store.list_callbacks()] == [CallbackStatus.FAILED]

    def booker_ended() -> bool:
        return any(r.outcome is Outcome.CALLBACK_REQUESTED for r in store.list_calls(None, 100))

    await lab.wait_until(failed, 60, step=0.3)
    await lab.wait_until(booker_ended, 30, step=0.3)
    (callback,) = store.list_callbacks()
    assert callback.attempts == 2  # HOTLINE_CALLBACK_ATTEMPTS in the lab
    # The caller not answering is no fault of the agent's: available, no missed offer.
    (agent,) = controller.api("GET", "/api/v1/agents")
    assert agent["state"] == "available"
    assert "hotline_offers_missed_total{" not in controller.api_text("/metrics")


async def test_given_a_caller_who_leaves_a_message_then_it_is_recorded_and_stored(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    # 0 for the general queue; 2 during music (~19.6 s); the message; # (~36.7 s) ends it.
    path = CallerPath("02#", first_key_ms=2500, between_keys_ms=17_000)
    callers = lab.callers(lab_settings, tmp_path, [path], 1, name="talker")
    write_talking_caller(
        tmp_path / "talker_path0.pcap", path.keys, between_keys_ms=17_000, length_ms=40_000
    )
    await callers.start()
    stats = await callers.wait(timeout=90)
    assert stats.successful == 1, callers.errors()

    (record,) = await lab.ended_records(store, 1)
    assert record.outcome is Outcome.MESSAGE_LEFT
    assert steps(record, StepKind.CALLER_CHOICE) == [{"key": "2"}]
    (message,) = store.list_messages(MessageStatus.NEW)
    assert message.call_uniqueid == record.uniqueid
    assert message.caller_number == record.caller_number
    assert 4000 <= message.duration_ms <= 15_000, message
    recorded = asterisk.layout.host(message.audio)
    assert recorded.stat().st_size > 16 * message.duration_ms * 0.9
    # Supervisors find it in the API, can listen to it and mark it handled.
    (listed,) = controller.api("GET", "/api/v1/messages?status=new")
    assert (listed["call_id"], listed["duration_ms"]) == (record.uniqueid, message.duration_ms)
    audio = controller.api_bytes(f"/api/v1/messages/{listed['id']}/audio")
    assert audio[:4] == b"RIFF" and len(audio) == recorded.stat().st_size
    handled = controller.api("POST", f"/api/v1/messages/{listed['id']}/handled")
    assert (handled["status"], handled["handled_by"]) == ("handled", "test-admin")
    assert "hotline_voice_messages_total 1.0" in controller.api_text("/metrics")
    await asyncio.to_thread(recorded.unlink)


async def test_given_the_menu_key_1_when_the_caller_then_waits_then_it_is_not_a_callback_choice(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    # AMI reports the menu key after FastAGI has, once the caller already waits in the queue:
    # it must not count as "1, call me back" (or "2, leave a message").
    paths = [CallerPath("1", hangup_after_ms=12_000), CallerPath("2", hangup_after_ms=12_000)]
    callers = lab.callers(lab_settings, tmp_path, paths, 2, rate=5, name="menu_keys")
    await callers.start()
    assert (await callers.wait(timeout=60)).successful == 2, callers.errors()
    records = await lab.ended_records(store, 2, timeout=30)
    for record in records:
        assert steps(record, StepKind.CALLER_CHOICE) == [], record.steps
        assert record.outcome is Outcome.ABANDONED
    assert store.list_callbacks() == [] and store.list_messages() == []
    assert sorted(r.queue or "" for r in records) == ["medical_insurance", "pension"]
