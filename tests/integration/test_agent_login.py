"""Agents log in and out from any seat's softphone with feature codes (*21 + number + #, *22),
and a logged-in agent is offered calls at that seat."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from hotline.settings import Settings
from hotline.setup import Prepared
from hotline.sipp import runner
from hotline.sipp.runner import CallerPath
from hotline.storage import Outcome, Store
from tests.integration import lab
from tests.integration.lab import LAB_SKILLS, ControllerProcess

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


def agents_at_seats(controller: ControllerProcess) -> dict[str, tuple[str, str]]:
    return {a["agent"]: (a["seat"], a["state"]) for a in controller.api("GET", "/api/v1/agents")}


async def dial_feature(
    asterisk: Prepared, tmp_path: Path, seat: str, code: str, keys: str, name: str
) -> runner.SippStats:
    call = runner.seat_call(
        tmp_path,
        target="127.0.0.1:5060",
        seat=seat,
        password=asterisk.secrets.seat_passwords[seat],
        code=code,
        keys=keys,
        local_port=6101,
        name=name,
    )
    await call.start()
    stats = await call.wait(timeout=100)
    assert stats.successful == 1, call.errors()
    return stats


async def test_given_agent_number_keyed_on_a_seat_when_star21_then_logged_in_there_and_offered(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    skills = dict.fromkeys(LAB_SKILLS, 3)
    await asyncio.to_thread(store.upsert_agent, "8001", "数字工号坐席", skills)
    await dial_feature(asterisk, tmp_path, "seat003", "*21", "8001#", "login")
    assert agents_at_seats(controller) == {"8001": ("seat003", "available")}

    await lab.answered_calls(lab_settings, tmp_path, [CallerPath("1")], 1)
    (record,) = await lab.ended_records(store, 1)
    assert record.outcome is Outcome.ANSWERED
    assert (record.agent_code, record.seat) == ("8001", "seat003")

    await dial_feature(asterisk, tmp_path, "seat003", "*22", "", "logout")
    assert agents_at_seats(controller) == {}


async def test_given_unknown_agent_number_when_star21_then_nobody_is_logged_in(
    asterisk: Prepared,
    controller: ControllerProcess,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    await dial_feature(asterisk, tmp_path, "seat004", "*21", "9999#", "bad_login")
    assert agents_at_seats(controller) == {}
