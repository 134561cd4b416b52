"""The lab's district windows: SIPp phones at the windows' static contacts (lab.py's
HOTLINE_LAB_WINDOW_CONTACTS), the controller's window settings, and what Asterisk says about a
case's conference room (read through the CLI, the same facts as AMI's ConfbridgeList)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from hotline.setup import Prepared
from hotline.sipp import runner
from tests.integration.lab import ControllerProcess

ANSWERING_PORT, RINGING_PORT = 6010, 6011
"""win-changning-si's phone answers; win-xuhui-si's only rings."""
ANSWER_S = 8
WEDNESDAY_10 = "2026-11-25T10:00:00+08:00"
SATURDAY_10 = "2026-11-28T10:00:00+08:00"
SEAT_CHANNEL = re.compile(r"^PJSIP/seat001-")


def window_env(window_time: str = WEDNESDAY_10) -> dict[str, str]:
    """Short timeouts (the whole file runs in a few minutes) and the windows' clock."""
    return {
        "HOTLINE_WINDOW_ANSWER_S": str(ANSWER_S),
        "HOTLINE_WINDOW_BRIEFING_MAX_S": "6",
        "HOTLINE_WINDOW_TIME": window_time,
    }


def window_phone(workdir: Path, *, answers: bool, talk_ms: int = 20_000) -> runner.SippInstance:
    """A window's phone: answers after half a second (echoing audio) or rings for a minute."""
    return runner.agents(
        workdir,
        local_port=ANSWERING_PORT if answers else RINGING_PORT,
        ring_ms=500 if answers else 60_000,
        talk_ms=talk_ms,
        timeout_s=300,
        name="window" if answers else "ringing_window",
        control_port=8894 if answers else 8895,
        media_port=38000 if answers else 39000,
    )


def room_members(prepared: Prepared, room: str) -> list[str]:
    """The channels Asterisk has in the conference room (none when there is no such room)."""
    out = prepared.asterisk.rx(f"confbridge list {room}")
    return [line.split()[0] for line in out.splitlines() if line.startswith("PJSIP/")]


def channels(prepared: Prepared) -> list[list[str]]:
    """``core show channels concise``: channel, context, ..., bridge id (12), uniqueid (13)."""
    out = prepared.asterisk.rx("core show channels concise")
    return [line.split("!") for line in out.splitlines() if line.startswith("PJSIP/")]


def bridged_with_seat(prepared: Prepared, call_id: str) -> bool:
    """The caller (by uniqueid) and seat001 share a bridge: still talking, outside any room."""
    rows = channels(prepared)
    caller = next((r for r in rows if len(r) > 13 and r[13] == call_id), None)
    seat = next((r for r in rows if SEAT_CHANNEL.match(r[0]) and len(r) > 12), None)
    return bool(caller and seat and caller[12] and caller[12] == seat[12])


def window_legs(prepared: Prepared) -> list[str]:
    return [r[0] for r in channels(prepared) if r[0].startswith("PJSIP/win-")]


async def call_with_agent(controller: ControllerProcess, agent: str = "A001") -> str:
    """The call id once ``agent`` has answered it."""

    async def on_call() -> str | None:
        agents = await asyncio.to_thread(controller.api, "GET", "/api/v1/agents")
        return next((a["call_id"] for a in agents if a["agent"] == agent and a["call_id"]), None)

    async with asyncio.timeout(30):
        while (call_id := await on_call()) is None:
            await asyncio.sleep(0.2)
    await asyncio.sleep(0.5)  # the answer reaches the controller just after the seat's 200 OK
    return call_id


def is_in_room(prepared: Prepared, room: str, *prefixes: str) -> bool:
    members = room_members(prepared, room)
    return all(any(m.startswith(p) for m in members) for p in prefixes)
