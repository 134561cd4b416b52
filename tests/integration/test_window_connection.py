"""Connecting a caller to a district window on the real Asterisk (SIPp caller, agent and window
phones): the conference with three members, the agent leaving, the window that does not answer or
is closed by its hours, and the controller killed in the middle of a transfer."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Iterator
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
SEAT = "PJSIP/seat001-"
CHANGNING = "PJSIP/win-changning-si-"
SUPERVISOR_SEAT = "PJSIP/seat002-"
"""The supervisor's phone: a lab seat nobody is logged in at (the agents' SIPp answers it)."""
SUMMARY = "养老金领取资格认证未通过，需要窗口核对社保缴费记录"


@contextlib.contextmanager
def controller_at(
    lab_env: dict[str, str], store: Store, database_url: str, tmp_path: Path, window_time: str
) -> Iterator[ControllerProcess]:
    """The controller running with the windows' clock at ``window_time``; stopped at the end."""
    token = store.create_token(f"admin-{window_time}", Role.ADMIN)
    env = {**lab_env, "HOTLINE_DATABASE_URL": database_url, **wl.window_env(window_time)}
    process = ControllerProcess(env=env, token=token, log_path=tmp_path / "controller.log")
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def window_controller(
    asterisk: Prepared, lab_env: dict[str, str], store: Store, database_url: str, tmp_path: Path
) -> Iterator[ControllerProcess]:
    with controller_at(lab_env, store, database_url, tmp_path, wl.WEDNESDAY_10) as process:
        yield process


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


@contextlib.asynccontextmanager
async def window_call(
    controller: ControllerProcess, store: Store, lab_settings: Settings, tmp_path: Path, *,
    talk_ms: int, window: bool | None, window_talk_ms: int = 20_000,
) -> AsyncIterator[tuple[str, str, Any]]:  # fmt: skip
    """A001's API token, a call A001 answered at seat001 and its caller's SIPp, with the
    window's phone answering (True), ringing on (False) or not started (None); the phones are
    stopped at the end."""
    agent = await asyncio.to_thread(store.create_token, "win-agent", Role.AGENT, "A001")
    phone = None if window is None else wl.window_phone(
        tmp_path, answers=window, talk_ms=window_talk_ms
    )  # fmt: skip
    if phone is not None:
        await phone.start()
    phones = None
    try:
        call_id, phones, caller = await answered_call(
            controller, lab_settings, tmp_path, talk_ms=talk_ms
        )
        yield agent, call_id, caller
    finally:
        if phone is not None:
            await phone.stop()
        if phones is not None:
            await phones.stop()


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


async def transfer_events(into: list[dict[str, Any]], ready: asyncio.Event, kind: str) -> None:
    """The transfers' MQTT events of one kind (``supervisor``, ``offered``)."""
    async with aiomqtt.Client("127.0.0.1", 1883, identifier=f"window-{kind}-test") as client:
        await client.subscribe(f"hotline/v1/transfers/+/{kind}", qos=1)
        ready.set()
        async for message in client.messages:
            into.append(json.loads(bytes(message.payload)))  # type: ignore[arg-type, unused-ignore]


async def listen_for(kind: str) -> tuple[list[dict[str, Any]], asyncio.Task[None]]:
    """Subscribed (and ready) to the transfers' MQTT events of one kind."""
    received: list[dict[str, Any]] = []
    ready = asyncio.Event()
    task = asyncio.create_task(transfer_events(received, ready, kind))
    await asyncio.wait_for(ready.wait(), 10)
    return received, task


def supervisor_row(prepared: Prepared, room: str) -> list[str]:
    """The supervisor's line of ``confbridge list``: channel, flags (E end_marked, m muted),
    user profile, bridge profile, menu, caller id."""
    out = prepared.asterisk.rx(f"confbridge list {room}")
    return next(line.split() for line in out.splitlines() if line.startswith(SUPERVISOR_SEAT))


async def test_given_a_call_when_the_agent_asks_for_changning_then_three_talk_and_two_stay(
    asterisk: Prepared, window_controller: ControllerProcess, store: Store,
    lab_settings: Settings, tmp_path: Path, no_leaked_channels: None,
) -> None:  # fmt: skip
    """With a supervisor listening in from seat002: four members, the supervisor muted."""
    started = time.monotonic()
    supervisor = await asyncio.to_thread(store.create_token, "win-supervisor", Role.SUPERVISOR)
    joined, listener = await listen_for("supervisor")
    try:
        async with window_call(
            window_controller, store, lab_settings, tmp_path,
            talk_ms=60_000, window=True, window_talk_ms=25_000,
        ) as (agent, call_id, caller):  # fmt: skip
            transfer = ask_window(agent, call_id, "长宁区", "social_insurance_window")
            room, case_id = transfer["conference"], transfer["transfer_id"]
            assert transfer["office"] == "win-changning-si"
            await lab.wait_until(lambda: wl.is_in_room(asterisk, room, CALLER, SEAT, CHANGNING), 20)
            assert len(wl.room_members(asterisk, room)) == 3
            joined_s = time.monotonic() - started

            status, watched = send(
                f"/api/v1/transfers/{case_id}/supervisor", supervisor, {"seat": "seat002"}, "POST"
            )
            assert status == 200 and watched["state"] == "conference", watched
            await lab.wait_until(lambda: len(wl.room_members(asterisk, room)) == 4, 10)
            assert wl.is_in_room(asterisk, room, CALLER, SEAT, CHANGNING, SUPERVISOR_SEAT)
            row = supervisor_row(asterisk, room)
            assert row[2] == "hotline-listener" and "m" in row[1], f"listening, muted: {row}"
            await lab.wait_until(lambda: joined, 5)
            assert joined[0]["case_id"] == case_id and joined[0]["mode"] == "listen", joined

            status, left = send(f"/api/v1/transfers/{case_id}/leave", agent, {}, "POST")
            assert status == 200 and left["state"] == "agent_left", left
            await lab.wait_until(lambda: len(wl.room_members(asterisk, room)) == 3, 10)
            assert wl.is_in_room(asterisk, room, CALLER, CHANGNING, SUPERVISOR_SEAT)
            await asyncio.sleep(2)  # caller and clerk stay together, the supervisor listening
            assert len(wl.room_members(asterisk, room)) == 3

            # The window's phone hangs up after its talk time: the caller goes on to the end, and
            # the supervisor (end_marked) is not left alone in the room.
            stats = await caller.wait(timeout=60)
            assert stats.successful == 1, caller.errors()
            await lab.wait_until(lambda: not wl.room_members(asterisk, room), 10)
    finally:
        listener.cancel()
    await lab.wait_until(lambda: closed(agent, case_id), 5)
    steps = steps_of(agent, case_id)
    assert len(steps) == 8, steps
    assert steps == [
        " -[agent_requested]-> requested",
        "requested -[hold_started]-> caller_on_hold",
        "caller_on_hold -[window_ringing]-> dialing_window",
        "dialing_window -[window_answered]-> briefing_clerk",
        steps[4],
        "conference -[supervisor_joins]-> conference",
        "conference -[agent_leaves]-> agent_left",
        steps[7],
    ]
    assert steps[4] in (
        "briefing_clerk -[briefing_done]-> conference",
        "briefing_clerk -[briefing_timer_expired]-> conference",
    )
    assert steps[7].startswith("agent_left -[") and steps[7].endswith("]-> completed")
    print(f"window conference: 3 members after {joined_s:.1f} s, "
          f"{time.monotonic() - started:.1f} s in all")  # fmt: skip


async def test_given_a_window_that_does_not_answer_then_the_caller_is_back_with_the_same_agent(
    asterisk: Prepared, window_controller: ControllerProcess, store: Store,
    lab_settings: Settings, tmp_path: Path, no_leaked_channels: None,
) -> None:  # fmt: skip
    async with window_call(
        window_controller, store, lab_settings, tmp_path, talk_ms=30_000, window=False,
    ) as (agent, call_id, caller):  # fmt: skip
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
    assert back_s < wl.ANSWER_S + 5
    print(f"unanswered window: back with the agent {back_s:.1f} s after the request")


async def test_given_the_agent_gone_when_the_window_does_not_answer_then_routed_again_with_the_case(
    asterisk: Prepared, window_controller: ControllerProcess, store: Store,
    lab_settings: Settings, tmp_path: Path, no_leaked_channels: None,
) -> None:  # fmt: skip
    """The agent hangs up while the window rings: the caller waits on (not the survey), and
    when the window does not answer goes back into hotline routing, not the fallback queue; the
    next agent is offered the caller with the case (HandoffOffered, kind window_return)."""
    started = time.monotonic()
    offered, listener = await listen_for("offered")
    try:
        async with window_call(
            window_controller, store, lab_settings, tmp_path, talk_ms=12_000, window=False,
        ) as (agent, call_id, caller):  # fmt: skip
            transfer = ask_window(agent, call_id, "徐汇区", "social_insurance_window")
            room, case_id = transfer["conference"], transfer["transfer_id"]
            await lab.wait_until(lambda: wl.window_legs(asterisk), 5)
            await lab.wait_until(lambda: wl.is_in_room(asterisk, room, CALLER, SEAT), 5)
            asterisk.asterisk.rx(f"channel request hangup {member(asterisk, room, SEAT)}")
            await asyncio.sleep(1)
            assert any(row[0].startswith(CALLER) for row in wl.channels(asterisk)), "still there"
            await lab.wait_until(lambda: offered, wl.ANSWER_S + 20)
            back_s = time.monotonic() - started
            event = offered[0]
            assert (event["case_id"], event["call_id"], event["kind"]) == (
                case_id,
                call_id,
                "window_return",
            ), event
            assert event["previous_agent"] == "A001" and SUMMARY in event["note"], event
            _, shown = send(f"/api/v1/transfers/{case_id}", agent)
            assert (shown["state"], shown["reason"]) == ("returned_to_queue", "no_answer"), shown
            fallback = [r for r in wl.channels(asterisk) if r[1] == "hotline-fallback"]
            assert not fallback, f"routed by the controller, not the fallback queue: {fallback}"
            stats = await caller.wait(timeout=90)
            assert stats.successful == 1, caller.errors()
    finally:
        listener.cancel()
    print(f"agent gone, window unanswered: offered again with the case after {back_s:.1f} s")


async def test_given_a_window_closed_by_its_hours_then_the_call_never_leaves_the_agent(
    asterisk: Prepared, lab_env: dict[str, str], store: Store, database_url: str,
    lab_settings: Settings, tmp_path: Path, no_leaked_channels: None,
) -> None:  # fmt: skip
    with controller_at(lab_env, store, database_url, tmp_path, wl.SATURDAY_10) as controller:
        async with window_call(
            controller, store, lab_settings, tmp_path, talk_ms=6_000, window=None,
        ) as (agent, call_id, caller):  # fmt: skip
            transfer = ask_window(agent, call_id, "changning", "dispute_arbitration")
            assert (transfer["state"], transfer["reason"]) == ("returned_to_agent", "window_closed")
            await asyncio.sleep(1)
            assert wl.bridged_with_seat(asterisk, call_id), "still talking with seat001"
            assert not wl.window_legs(asterisk) and not wl.room_members(
                asterisk, transfer["conference"]
            )
            stats = await caller.wait(timeout=60)
            assert stats.successful == 1, caller.errors()


async def test_given_the_controller_killed_while_the_window_rings_then_the_restart_settles_it(
    asterisk: Prepared, lab_env: dict[str, str], store: Store, database_url: str,
    lab_settings: Settings, tmp_path: Path, no_leaked_channels: None,
) -> None:  # fmt: skip
    with controller_at(lab_env, store, database_url, tmp_path, wl.WEDNESDAY_10) as controller:
        async with window_call(
            controller, store, lab_settings, tmp_path, talk_ms=40_000, window=False,
        ) as (agent, call_id, caller):  # fmt: skip
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
    print(f"controller killed while the window rang: settled {settled_s:.1f} s after the kill")


async def test_given_the_controller_killed_in_the_conference_then_the_restart_takes_it_up(
    asterisk: Prepared, lab_env: dict[str, str], store: Store, database_url: str,
    lab_settings: Settings, tmp_path: Path, no_leaked_channels: None,
) -> None:  # fmt: skip
    with controller_at(lab_env, store, database_url, tmp_path, wl.WEDNESDAY_10) as controller:
        async with window_call(
            controller, store, lab_settings, tmp_path,
            talk_ms=60_000, window=True, window_talk_ms=30_000,
        ) as (agent, call_id, caller):  # fmt: skip
            transfer = ask_window(agent, call_id, "长宁区", "social_insurance_window")
            room = transfer["conference"]
            await lab.wait_until(lambda: wl.is_in_room(asterisk, room, CALLER, SEAT, CHANGNING), 20)
            controller.kill()
            controller.start()
            await asyncio.sleep(1)
            assert len(wl.room_members(asterisk, room)) == 3, "nobody dropped by the restart"
            # The restarted controller knows the transfer: the agent can leave as before.
            status, left = send(
                f"/api/v1/transfers/{transfer['transfer_id']}/leave", agent, {}, "POST"
            )
            assert status == 200 and left["state"] == "agent_left", left
            await lab.wait_until(lambda: len(wl.room_members(asterisk, room)) == 2, 10)
            assert wl.is_in_room(asterisk, room, CALLER, CHANGNING)
            asterisk.asterisk.rx(f"channel request hangup {member(asterisk, room, CHANGNING)}")
            stats = await caller.wait(timeout=60)
            assert stats.successful == 1, caller.errors()
            await lab.wait_until(lambda: closed(agent, transfer["transfer_id"]), 5)
            assert steps_of(agent, transfer["transfer_id"])[-1].endswith("]-> completed")
