"""Blind and warm transfers on the real Asterisk (SIPp caller and agents): a caller handed to
another queue reaches the only agent with its skill while the first agent goes to wrap-up; a
warm transfer completed leaves the caller with the consulted agent; one the target does not
answer brings the caller back to the first agent."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from hotline.settings import Settings
from hotline.setup import Prepared
from hotline.sipp.runner import CallerPath
from hotline.storage import Role, Store
from tests.integration import lab
from tests.integration import windows_lab as wl
from tests.integration.lab import ControllerProcess
from tests.integration.test_screen_pop import send

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]

CALLER = "PJSIP/trunk-"
ANSWER_S = 5
NOTE = "退休人员医保报销比例咨询，养老部分已答复"
Messages = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def handoff_controller(
    asterisk: Prepared, lab_env: dict[str, str], store: Store, database_url: str, tmp_path: Path
) -> Iterator[ControllerProcess]:
    token = store.create_token("handoff-admin", Role.ADMIN)
    env = {**lab_env, "HOTLINE_DATABASE_URL": database_url,
           "HOTLINE_TRANSFER_ANSWER_S": str(ANSWER_S)}  # fmt: skip
    process = ControllerProcess(env=env, token=token, log_path=tmp_path / "controller.log")
    process.start()
    yield process
    process.stop()


async def listen(into: Messages, ready: asyncio.Event) -> None:
    async with aiomqtt.Client("127.0.0.1", 1883, identifier="handoffs-test") as client:
        await client.subscribe("hotline/v1/transfers/#", qos=1)
        ready.set()
        async for message in client.messages:
            into.append((str(message.topic), json.loads(bytes(message.payload))))  # type: ignore[arg-type, unused-ignore]


def agents_now(controller: ControllerProcess) -> dict[str, dict[str, Any]]:
    return {a["agent"]: a for a in controller.api("GET", "/api/v1/agents")}


def transfer(token: str, call_id: str, **body: str) -> dict[str, Any]:
    status, shown = send(f"/api/v1/calls/{call_id}/transfer", token, {**body, "note": NOTE}, "POST")
    assert status == 200, shown
    return dict(shown)


def shown(token: str, case_id: str) -> dict[str, Any]:
    status, found = send(f"/api/v1/handoffs/{case_id}", token)
    assert status == 200, found
    return dict(found)


def state_of(token: str, case_id: str) -> str | None:
    """The stored state (None until the first step is written)."""
    status, found = send(f"/api/v1/handoffs/{case_id}", token)
    return str(found["state"]) if status == 200 else None


def steps_of(token: str, case_id: str) -> list[str]:
    return [f"{s['from']} -[{s['event']}]-> {s['to']}" for s in shown(token, case_id)["steps"]]


async def login(controller: ControllerProcess, *seats: tuple[str, str]) -> None:
    """Agents log in one after the other: the first has been idle longest and is offered first."""
    for agent, seat in seats:
        controller.api("POST", f"/api/v1/agents/{agent}/login", {"seat": seat})
        await asyncio.sleep(0.3)


async def test_given_a_pension_call_when_handed_blind_to_medical_then_the_medical_agent_answers(
    asterisk: Prepared, handoff_controller: ControllerProcess, store: Store,
    lab_settings: Settings, tmp_path: Path, no_leaked_channels: None,
) -> None:  # fmt: skip
    started = time.monotonic()
    await asyncio.to_thread(store.upsert_agent, "P001", "养老专员", {"pension": 5})
    await asyncio.to_thread(store.upsert_agent, "M001", "医保专员", {"medical_insurance": 4})
    token = await asyncio.to_thread(store.create_token, "handoff-p", Role.AGENT, "P001")
    await login(handoff_controller, ("P001", "seat001"), ("M001", "seat002"))
    messages: Messages = []
    ready = asyncio.Event()
    listener = asyncio.create_task(listen(messages, ready))
    phones = lab.agents(tmp_path, talk_ms=9_000)
    await phones.start()
    try:
        await asyncio.wait_for(ready.wait(), 10)
        caller = lab.callers(lab_settings, tmp_path, [CallerPath("1")], 1)
        await caller.start()
        call_id = await wl.call_with_agent(handoff_controller, "P001")
        handoff = transfer(token, call_id, kind="blind", queue="medical_insurance")
        assert handoff["state"] == "requested" and handoff["agent"] == "P001"
        await lab.wait_until(
            lambda: agents_now(handoff_controller)["M001"]["call_id"] == call_id, 20, step=0.3
        )
        answered_s = time.monotonic() - started
        assert agents_now(handoff_controller)["P001"]["state"] == "wrap_up"
        stats = await caller.wait(timeout=60)
        assert stats.successful == 1, caller.errors()
    finally:
        listener.cancel()
        await phones.stop()
    case_id = handoff["transfer_id"]
    assert steps_of(token, case_id) == [
        " -[blind_requested]-> requested", "requested -[delivered]-> completed",
    ]  # fmt: skip
    stored = shown(token, case_id)
    assert (stored["received_by"], stored["note"], stored["finished"]) == ("M001", NOTE, True)
    topics = [topic for topic, _ in messages]
    assert f"hotline/v1/transfers/{case_id}/completed" in topics
    offered = next(p for t, p in messages if t == f"hotline/v1/transfers/{case_id}/offered")
    assert (offered["agent"], offered["previous_agent"], offered["note"]) == ("M001", "P001", NOTE)
    print(f"blind transfer: M001 answered {answered_s:.1f} s after the start, "
          f"{time.monotonic() - started:.1f} s in all")  # fmt: skip


async def warm_call(
    controller: ControllerProcess, store: Store, lab_settings: Settings, tmp_path: Path,
    target: tuple[str, str], *, talk_ms: int = 11_000,
) -> tuple[str, str, Any, Any]:  # fmt: skip
    """A caller answered by A001 at seat001 (the target logged in too): token, call id, SIPp."""
    token = await asyncio.to_thread(store.create_token, "handoff-a", Role.AGENT, "A001")
    await login(controller, ("A001", "seat001"), target)
    phones = lab.agents(tmp_path, talk_ms=talk_ms)
    await phones.start()
    caller = lab.callers(lab_settings, tmp_path, [CallerPath("1")], 1)
    await caller.start()
    return token, await wl.call_with_agent(controller, "A001"), phones, caller


async def test_given_a_warm_transfer_when_the_target_answers_and_it_completes_then_caller_with_b(
    asterisk: Prepared, handoff_controller: ControllerProcess, store: Store,
    lab_settings: Settings, tmp_path: Path, no_leaked_channels: None,
) -> None:  # fmt: skip
    token, call_id, phones, caller = await warm_call(
        handoff_controller, store, lab_settings, tmp_path, ("A002", "seat002"), talk_ms=10_000
    )
    try:
        handoff = transfer(token, call_id, kind="warm", agent="A002")
        case_id = handoff["transfer_id"]
        room = f"handoff-{case_id}"
        await lab.wait_until(lambda: state_of(token, case_id) == "consulted", 20, step=0.3)
        assert wl.is_in_room(asterisk, room, "PJSIP/seat001-", "PJSIP/seat002-")
        assert not wl.is_in_room(asterisk, room, CALLER)  # the caller hears music meanwhile
        status, done = send(f"/api/v1/transfers/{case_id}/complete", token, {}, "POST")
        assert status == 200 and done["state"] == "completed", done
        await lab.wait_until(lambda: wl.is_in_room(asterisk, room, CALLER, "PJSIP/seat002-"), 10)
        await lab.wait_until(lambda: len(wl.room_members(asterisk, room)) == 2, 10)
        assert agents_now(handoff_controller)["A001"]["state"] == "wrap_up"
        stats = await caller.wait(timeout=60)
        assert stats.successful == 1, caller.errors()
    finally:
        await phones.stop()
    assert steps_of(token, case_id) == [
        " -[warm_requested]-> requested", "requested -[hold_started]-> caller_on_hold",
        "caller_on_hold -[target_answered]-> consulted", "consulted -[agent_completes]-> completed",
    ]  # fmt: skip


async def test_given_a_warm_transfer_the_target_does_not_answer_then_the_caller_is_back_with_a(
    asterisk: Prepared, handoff_controller: ControllerProcess, store: Store,
    lab_settings: Settings, tmp_path: Path, no_leaked_channels: None,
) -> None:  # fmt: skip
    ringing = lab.agents(tmp_path, ring_ms=60_000, talk_ms=1000, slow=True)
    await ringing.start()
    token, call_id, phones, caller = await warm_call(
        handoff_controller, store, lab_settings, tmp_path, ("A007", "seat007")
    )
    try:
        asked = time.monotonic()
        case_id = transfer(token, call_id, kind="warm", agent="A007")["transfer_id"]
        room = f"handoff-{case_id}"
        await lab.wait_until(
            lambda: wl.is_in_room(asterisk, room, CALLER, "PJSIP/seat001-"), ANSWER_S + 10
        )
        back_s = time.monotonic() - asked
        assert not wl.is_in_room(asterisk, room, "PJSIP/seat007-")
        stats = await caller.wait(timeout=60)  # A001 hangs up after the talk: caller to the end
        assert stats.successful == 1, caller.errors()
    finally:
        await phones.stop()
        await ringing.stop()
    steps = steps_of(token, case_id)
    assert steps[:2] == [" -[warm_requested]-> requested",
                         "requested -[hold_started]-> caller_on_hold"]  # fmt: skip
    assert steps[2] in (
        "caller_on_hold -[target_no_answer]-> returned_to_agent",
        "caller_on_hold -[dial_timer_expired]-> returned_to_agent",
    )
    assert ANSWER_S - 1 < back_s < ANSWER_S + 8, back_s
    print(f"warm transfer not answered: back with A001 after {back_s:.1f} s")


async def test_given_the_controller_killed_while_the_caller_is_on_hold_then_back_with_the_agent(
    asterisk: Prepared, handoff_controller: ControllerProcess, store: Store,
    lab_settings: Settings, tmp_path: Path, no_leaked_channels: None,
) -> None:  # fmt: skip
    ringing = lab.agents(tmp_path, ring_ms=60_000, talk_ms=1000, slow=True)
    await ringing.start()
    token, call_id, phones, caller = await warm_call(
        handoff_controller, store, lab_settings, tmp_path, ("A007", "seat007")
    )
    try:
        case_id = transfer(token, call_id, kind="warm", agent="A007")["transfer_id"]
        room = f"handoff-{case_id}"
        await lab.wait_until(lambda: state_of(token, case_id) == "caller_on_hold", 10, step=0.1)
        handoff_controller.kill()
        killed = time.monotonic()
        handoff_controller.start()
        await lab.wait_until(lambda: wl.is_in_room(asterisk, room, CALLER, "PJSIP/seat001-"), 20)
        settled_s = time.monotonic() - killed
        assert not wl.is_in_room(asterisk, room, "PJSIP/seat007-")
        stats = await caller.wait(timeout=60)  # A001 hangs up after the talk: caller to the end
        assert stats.successful == 1, caller.errors()
    finally:
        await phones.stop()
        await ringing.stop()
    assert steps_of(token, case_id)[-1] == (
        "caller_on_hold -[controller_restarted]-> returned_to_agent"
    )
    await lab.wait_until(lambda: shown(token, case_id)["finished"], 10, step=0.3)
    print(f"controller killed with the caller on hold: back with A001 {settled_s:.1f} s later")
