"""The window-connection API's refusals: each says what is wrong, before Asterisk is asked
anything (the AMI client here is never connected)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from ami import AmiClient
from hotline.api import build_app
from hotline.api_base import ApiContext
from hotline.bus import EventHub
from hotline.controller import Controller
from hotline.metrics import Metrics
from hotline.storage import Role, Store
from hotline.window_desk import WindowDesk
from queues.router import Router
from tests.unit import test_storage_support as support
from tests.unit.test_controller import CollectingRecorder
from transfers.directory import load_directory
from transfers.machine import WindowSettings

database_url = support.database_url
postgres_admin_url = support.postgres_admin_url
postgres_url = support.postgres_url
store = support.store
ANSWERED, RINGING = "1764400000.7", "1764400000.8"
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)


@pytest.fixture
async def client(store: Store) -> AsyncIterator[httpx.AsyncClient]:
    hub = EventHub()
    controller = Controller(Router(), hub, CollectingRecorder())
    controller.call_arrived(ANSWERED, ANSWERED, "13912345678", "", "12333").answer(
        "7001", "seat001", NOW
    )
    controller.call_arrived(RINGING, RINGING, "13912345679", "", "12333")
    ami = AmiClient("127.0.0.1", 1, username="nobody", secret="never-used")
    desk = WindowDesk(
        ami, store, hub.publish, load_directory(), WindowSettings(),
        briefing=lambda text: "silence/1", wall=lambda: NOW, hours_clock=lambda: NOW,
    )  # fmt: skip
    ctx = ApiContext(controller=controller, store=store, metrics=Metrics(),
                     seats=frozenset({"seat001"}), health=dict, windows=desk)  # fmt: skip
    transport = httpx.ASGITransport(app=build_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline") as test_client:
        yield test_client


def token(store: Store, agent: str) -> dict[str, str]:
    value = store.create_token(f"t-{agent}", Role.AGENT, agent)
    return {"Authorization": f"Bearer {value}"}


def window(**changes: str) -> dict[str, str]:
    return {"district": "长宁区", "office_kind": "social_insurance_window", "summary": "认证",
            **changes}  # fmt: skip


@pytest.mark.parametrize(
    ("call", "agent", "body", "status", "error"),
    [
        (ANSWERED, "7002", window(), 409, "call.not_yours"),
        (RINGING, "7001", window(), 409, "call.not_answered"),
        ("1764400000.9", "7001", window(), 404, "call.unknown"),
        (ANSWERED, "7001", window(district="浦西区"), 422, "district.unknown"),
        (ANSWERED, "7001", window(office_kind="tax_office"), 422, "office.kind"),
        (ANSWERED, "7001", window(district="", address="虹桥路1号"), 422, "address.ambiguous"),
        (ANSWERED, "7001", window(district=""), 422, "district.missing"),
    ],
)
async def test_a_window_request_that_cannot_be_carried_out_says_why(
    client: httpx.AsyncClient, store: Store, call: str, agent: str, body: dict[str, str],
    status: int, error: str,
) -> None:  # fmt: skip
    answer = await client.post(
        f"/api/v1/calls/{call}/window", json=body, headers=token(store, agent)
    )
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["id"] == error


async def test_an_unknown_transfer_is_a_404_and_a_supervisor_needs_a_real_seat(
    client: httpx.AsyncClient, store: Store
) -> None:
    agent = token(store, "7001")
    assert (await client.get("/api/v1/transfers/nope", headers=agent)).status_code == 404
    assert (await client.post("/api/v1/transfers/nope/leave", headers=agent)).status_code == 404
    supervisor = {"Authorization": f"Bearer {store.create_token('sup', Role.SUPERVISOR)}"}
    refused = await client.post(
        "/api/v1/transfers/nope/supervisor", json={"seat": "seat999"}, headers=supervisor
    )
    assert refused.status_code == 422 and refused.json()["error"]["id"] == "seat.unknown"
    forbidden = await client.post(
        "/api/v1/transfers/nope/supervisor", json={"seat": "seat001"}, headers=agent
    )
    assert forbidden.status_code == 403


async def test_a_supervisor_listens_or_talks_and_nothing_else(
    client: httpx.AsyncClient, store: Store
) -> None:
    supervisor = {"Authorization": f"Bearer {store.create_token('sup', Role.SUPERVISOR)}"}
    url = "/api/v1/transfers/nope/supervisor"
    shout = await client.post(url, json={"seat": "seat001", "mode": "shout"}, headers=supervisor)
    assert shout.status_code == 422 and "listen" in shout.text and "talk" in shout.text
    for mode in ("listen", "talk"):
        known = await client.post(url, json={"seat": "seat001", "mode": mode}, headers=supervisor)
        assert known.status_code == 404, "a valid mode: only the transfer is unknown"
