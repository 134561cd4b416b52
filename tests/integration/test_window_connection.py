"""Connecting a caller to a district window on the real Asterisk (SIPp caller, agent and window
phones): the conference with three members, the agent leaving, the window that does not answer or
is closed by its hours, and the controller killed in the middle of a transfer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
SEAT = "PJSIP/seat001-"
CHANGNING = "PJSIP/win-changning-si-"
SUMMARY = "养老金领取资格认证未通过，需要窗口核对社保缴费记录"


def start_controller(
    lab_env: dict[str, str], store: Store, database_url: str, tmp_path: Path, window_time: str
) -> ControllerProcess:
    token = store.create_token(f"admin-{window_time}", Role.ADMIN)
    env = {**lab_env, "HOTLINE_DATABASE_URL": database_url, **wl.window_env(window_time)}
    process = ControllerProcess(env=env, token=token, log_path=tmp_path / "controller.log")
    process.start()
    return process


@pytest.fixture
def window_controller(
    asterisk: Prepared, lab_env: dict[str, str], store: Store, database_url: str, tmp_path: Path
) -> Iterator[ControllerProcess]:
    process = start_controller(lab_env, store, database_url, tmp_path, wl.WEDNESDAY_10)
    yield process
    process.stop()


async def answered_call(
    controller: ControllerProcess, lab_settings: Settings, tmp_path: Path, *, talk_ms: int
) -> tuple[str, Any, Any]:
    """A caller answered by A001 at seat001: the call id and both SIPp instances."""
    controller.api("POST", "/api/v1/agents/A001/login", {"seat": "seat001"})
    phones = lab.agents(tmp_path, talk_ms=talk_ms)
    await phones.start()
    caller = lab.callers(lab_settings, tmp_path, [CallerPath("1")], 1)
    await caller.start()
    return await wl.call_with_agent(controller), phones, caller


def member(prepared: Prepared, room: str, prefix: str) -> str:
    return next(m for m in wl.room_members(prepared, room) if m.startswith(prefix))


def ask_window(token: str, call_id: str, district: str, kind: str) -> dict[str, Any]:
    body = {"district": district, "office_kind": kind, "summary": SUMMARY}
    status, transfer = send(f"/api/v1/calls/{call_id}/window", token, body, "POST")
    assert status == 200, transfer
    return dict(transfer)


def closed(token: str, case_id: str) -> bool:
    """Back with the agent, a transfer stays open (kept over a restart) until the caller goes."""
    return bool(send(f"/api/v1/transfers/{case_id}", token)[1]["finished"])


def steps_of(token: str, case_id: str) -> list[str]:
    status, shown = send(f"/api/v1/transfers/{case_id}", token)
    assert status == 200, shown
    return [f"{s['from']} -[{s['event']}]-> {s['to']}" for s in shown["steps"]]


async def test_given_a_call_when_the_agent_asks_for_changning_then_three_talk_and_two_stay(
    asterisk: Prepared, window_controller: ControllerProcess, store: Store,
    lab_settings: Settings, tmp_path: Path, no_leaked_channels: None,
) -> None:  # fmt: skip
    started = time.monotonic()
    agent = await asyncio.to_thread(store.create_token, "win-agent", Role.AGENT, "A001")
    window = wl.window_phone(tmp_path, answers=True, talk_ms=25_000)
    await window.start()
    try:
        call_id, phones, caller = await answered_call(
            window_controller, lab_settings, tmp_path, talk_ms=60_000
        )
        transfer = ask_window(agent, call_id, "长宁区", "social_insurance_window")
        room = transfer["conference"]
        assert transfer["office"] == "win-changning-si"
        await lab.wait_until(lambda: wl.is_in_room(asterisk, room, CALLER, SEAT, CHANGNING), 20)
        assert len(wl.room_members(asterisk, room)) == 3
        joined_s = time.monotonic() - started

        status, left = send(f"/api/v1/transfers/{transfer['transfer_id']}/leave", agent, {}, "POST")
        assert status == 200 and left["state"] == "agent_left", left
        await lab.wait_until(lambda: len(wl.room_members(asterisk, room)) == 2, 10)
        assert wl.is_in_room(asterisk, room, CALLER, CHANGNING)
        await asyncio.sleep(2)  # caller and clerk stay together
        assert len(wl.room_members(asterisk, room)) == 2

        # The window's phone hangs up after its talk time: the caller goes on to the end.
        stats = await caller.wait(timeout=60)
        assert stats.successful == 1, caller.errors()
    finally:
        await window.stop()
        await phones.stop()
    assert steps_of(agent, transfer["transfer_id"]) == [
        " -[agent_requested]-> requested",
        "requested -[hold_started]-> caller_on_hold",
        "caller_on_hold -[window_answered]-> briefing_clerk",
        steps_of(agent, transfer["transfer_id"])[3],
        "conference -[agent_leaves]-> agent_left",
        steps_of(agent, transfer["transfer_id"])[5],
    ]
    steps = steps_of(agent, transfer["transfer_id"])
    assert steps[3] in (
        "briefing_clerk -[briefing_done]-> conference",
        "briefing_clerk -[briefing_timer_expired]-> conference",
    )
    assert steps[5].startswith("agent_left -[") and steps[5].endswith("]-> completed")
    print(f"window conference: 3 members after {joined_s:.1f} s, "
          f"{time.monotonic() - started:.1f} s in all")  # fmt: skip


async def test_given_a_window_that_does_not_answer_then_the_caller_is_back_with_the_same_agent(
    asterisk: Prepared, window_controller: ControllerProcess, store: Store,
    lab_settings: Settings, tmp_path: Path, no_leaked_channels: None,
) -> None:  # fmt: skip
    agent = await asyncio.to_thread(store.create_token, "win-agent", Role.AGENT, "A001")
    window = wl.window_phone(tmp_path, answers=False)
    await window.start()
    try:
        call_id, phones, caller = await answered_call(
            window_controller, lab_settings, tmp_path, talk_ms=30_000
        )
        asked = time.monotonic()
        transfer = ask_window(agent, call_id, "徐汇区", "social_insurance_window")
        room = transfer["conference"]
        await lab.wait_until(lambda: wl.window_legs(asterisk), 5)
        await lab.wait_until(lambda: not wl.window_legs(asterisk), wl.ANSWER_S + 5)
        back_s = time.monotonic() - asked
        assert wl.is_in_room(asterisk, room, CALLER, SEAT), "caller and agent together"
        assert len(wl.room_members(asterisk, room)) == 2
        _, shown = send(f"/api/v1/transfers/{transfer['transfer_id']}", agent)
        assert (shown["state"], shown["reason"]) == ("returned_to_agent", "no_answer"), shown
        # The caller hangs up: the agent is not left alone in the room.
        asterisk.asterisk.rx(f"channel request hangup {member(asterisk, room, CALLER)}")
        await lab.wait_until(lambda: not wl.room_members(asterisk, room), 5)
        await lab.wait_until(lambda: closed(agent, transfer["transfer_id"]), 5)
        stats = await caller.wait(timeout=60)
        assert stats.successful + stats.failed == 1
    finally:
        await window.stop()
        await phones.stop()
    assert back_s < wl.ANSWER_S + 5
    print(f"unanswered window: back with the agent {back_s:.1f} s after the request")


async def test_given_a_window_closed_by_its_hours_then_the_call_never_leaves_the_agent(
    asterisk: Prepared, lab_env: dict[str, str], store: Store, database_url: str,
    lab_settings: Settings, tmp_path: Path, no_leaked_channels: None,
) -> None:  # fmt: skip
    controller = start_controller(lab_env, store, database_url, tmp_path, wl.SATURDAY_10)
    agent = await asyncio.to_thread(store.create_token, "win-agent", Role.AGENT, "A001")
    phones = None
    try:
        call_id, phones, caller = await answered_call(
            controller, lab_settings, tmp_path, talk_ms=6_000
        )
        transfer = ask_window(agent, call_id, "changning", "dispute_arbitration")
        assert (transfer["state"], transfer["reason"]) == ("returned_to_agent", "window_closed")
        await asyncio.sleep(1)
        assert wl.bridged_with_seat(asterisk, call_id), "still talking with seat001"
        assert not wl.window_legs(asterisk) and not wl.room_members(
            asterisk, transfer["conference"]
        )
        stats = await caller.wait(timeout=60)
        assert stats.successful == 1, caller.errors()
    finally:
        if phones is not None:
            await phones.stop()
        controller.stop()


async def test_given_the_controller_killed_while_the_window_rings_then_the_restart_settles_it(
    asterisk: Prepared, lab_env: dict[str, str], store: Store, database_url: str,
    lab_settings: Settings, tmp_path: Path, no_leaked_channels: None,
) -> None:  # fmt: skip
    controller = start_controller(lab_env, store, database_url, tmp_path, wl.WEDNESDAY_10)
    agent = await asyncio.to_thread(store.create_token, "win-agent", Role.AGENT, "A001")
    window = wl.window_phone(tmp_path, answers=False)
    await window.start()
    phones = None
    try:
        call_id, phones, caller = await answered_call(
            controller, lab_settings, tmp_path, talk_ms=40_000
        )
        transfer = ask_window(agent, call_id, "徐汇区", "social_insurance_window")
        room = transfer["conference"]
        await lab.wait_until(lambda: wl.window_legs(asterisk), 5)
        controller.kill()
        killed = time.monotonic()
        controller.start()
        # Restarted within the dial time: the ring runs out, then the caller is with the agent.
        await lab.wait_until(lambda: not wl.window_legs(asterisk), wl.ANSWER_S + 10)
        await lab.wait_until(lambda: wl.is_in_room(asterisk, room, CALLER, SEAT), 5)
        settled_s = time.monotonic() - killed
        _, shown = send(f"/api/v1/transfers/{transfer['transfer_id']}", agent)
        assert shown["state"] == "returned_to_agent" and not shown["finished"], shown
        assert any("reconciled" in s["event"] for s in shown["steps"]), shown["steps"]
        # The agent hangs up: the caller goes on to the end of the call, not left in the room.
        asterisk.asterisk.rx(f"channel request hangup {member(asterisk, room, SEAT)}")
        await lab.wait_until(lambda: not wl.room_members(asterisk, room), 5)
        await caller.wait(timeout=60)
        await lab.wait_until(lambda: closed(agent, transfer["transfer_id"]), 5)
    finally:
        controller.stop()
        await window.stop()
        if phones is not None:
            await phones.stop()
    print(f"controller killed while the window rang: settled {settled_s:.1f} s after the kill")


async def test_given_the_controller_killed_in_the_conference_then_the_restart_takes_it_up(
    asterisk: Prepared, lab_env: dict[str, str], store: Store, database_url: str,
    lab_settings: Settings, tmp_path: Path, no_leaked_channels: None,
) -> None:  # fmt: skip
    controller = start_controller(lab_env, store, database_url, tmp_path, wl.WEDNESDAY_10)
    agent = await asyncio.to_thread(store.create_token, "win-agent", Role.AGENT, "A001")
    window = wl.window_phone(tmp_path, answers=True, talk_ms=30_000)
    await window.start()
    phones = None
    try:
        call_id, phones, caller = await answered_call(
            controller, lab_settings, tmp_path, talk_ms=60_000
        )
        transfer = ask_window(agent, call_id, "长宁区", "social_insurance_window")
        room = transfer["conference"]
        await lab.wait_until(lambda: wl.is_in_room(asterisk, room, CALLER, SEAT, CHANGNING), 20)
        controller.kill()
        controller.start()
        await asyncio.sleep(1)
        assert len(wl.room_members(asterisk, room)) == 3, "nobody dropped by the restart"
        # The restarted controller knows the transfer: the agent can leave as before.
        status, left = send(f"/api/v1/transfers/{transfer['transfer_id']}/leave", agent, {}, "POST")
        assert status == 200 and left["state"] == "agent_left", left
        await lab.wait_until(lambda: len(wl.room_members(asterisk, room)) == 2, 10)
        assert wl.is_in_room(asterisk, room, CALLER, CHANGNING)
        asterisk.asterisk.rx(f"channel request hangup {member(asterisk, room, CHANGNING)}")
        stats = await caller.wait(timeout=60)
        assert stats.successful == 1, caller.errors()
        await lab.wait_until(lambda: closed(agent, transfer["transfer_id"]), 5)
        assert steps_of(agent, transfer["transfer_id"])[-1].endswith("]-> completed")
    finally:
        controller.stop()
        await window.stop()
        if phones is not None:
            await phones.stop()
