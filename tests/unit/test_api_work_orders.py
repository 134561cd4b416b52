"""The work-order API over a real (SQLite) store: what agents, offices (supervisors' tokens) and
administrators may do, and 422s that say what to fix."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from hotline.api import build_app
from hotline.api_base import ApiContext
from hotline.bus import EventHub
from hotline.controller import Controller
from hotline.metrics import Metrics
from hotline.storage import Role, Store
from hotline.work_order_desk import WorkOrderDesk
from queues.router import Router
from tests.unit import test_work_order_desk as desk_tests
from tests.unit.test_controller import CollectingRecorder
from transfers.directory import load_directory
from transfers.outbox import EntryState, RetryPolicy, failed

store = desk_tests.store
CALL = "1764400000.7"


@pytest.fixture
async def client(store: Store) -> AsyncIterator[httpx.AsyncClient]:
    hub = EventHub()
    controller = Controller(Router(), hub, CollectingRecorder())
    controller.call_arrived(CALL, CALL, "13912345678", "", "12333")
    desk = WorkOrderDesk(store, load_directory(), hub.publish, desk_tests.Clock(),
                         webhook_template="http://127.0.0.1:1/offices/{office}")  # fmt: skip
    ctx = ApiContext(controller=controller, store=store, metrics=Metrics(),
                     seats=frozenset({"seat001"}), health=dict, work_orders=desk)  # fmt: skip
    transport = httpx.ASGITransport(app=build_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline") as test_client:
        yield test_client


def token(store: Store, role: Role) -> dict[str, str]:
    value = store.create_token(f"t-{role.value}", role, "7001" if role is Role.AGENT else None)
    return {"Authorization": f"Bearer {value}"}


def complaint(**changes: Any) -> dict[str, Any]:
    body = {
        "type": "inspection_complaint", "call_id": CALL, "employer": "上海某某餐饮有限公司",
        "employer_address": "长宁区仙霞路99号", "issues": ["unpaid_wages"],
        "workers_affected": 3, "amount_owed": "1200",
    }  # fmt: skip
    return {**body, **changes}


async def test_an_agent_files_an_order_and_reads_its_number_to_the_caller(
    client: httpx.AsyncClient, store: Store
) -> None:
    agent = token(store, Role.AGENT)
    answer = await client.post("/api/v1/work-orders", json=complaint(), headers=agent)
    assert answer.status_code == 201, answer.text
    order = answer.json()
    assert order["number"] == "WO-20261123-0001" and order["district_id"] == "changning"
    assert order["caller_number"] == "139****5678", "taken from the call, shown masked"
    shown = (await client.get(f"/api/v1/work-orders/{order['number']}", headers=agent)).json()
    assert [h["action"] for h in shown["history"]] == ["create"]
    assert shown["history"][0]["by"] == "agent:7001"
    listed = await client.get("/api/v1/work-orders?status=new&district=changning", headers=agent)
    assert [o["number"] for o in listed.json()] == [order["number"]]
    elsewhere = await client.get("/api/v1/work-orders?district=pudong", headers=agent)
    assert elsewhere.json() == []
    missing = await client.get("/api/v1/work-orders/WO-20261123-0009", headers=agent)
    assert missing.status_code == 404


async def test_an_ambiguous_address_is_a_422_naming_the_districts(
    client: httpx.AsyncClient, store: Store
) -> None:
    agent = token(store, Role.AGENT)
    bad = complaint(employer_address="虹桥路1号", workers_affected=0)
    answer = await client.post("/api/v1/work-orders", headers=agent, json=bad)
    assert answer.status_code == 422
    problems = {p["field"]: p for p in answer.json()["error"]["problems"]}
    assert set(problems) == {"employer_address", "workers_affected"}
    address = problems["employer_address"]
    assert [c["name"] for c in address["candidates"]] == ["长宁区", "闵行区"]
    assert "district_id" in address["message"]
    chosen = complaint(employer_address="虹桥路1号", district_id="minhang")
    assert (await client.post("/api/v1/work-orders", headers=agent, json=chosen)).status_code == 201
    answer = await client.post("/api/v1/work-orders", headers=agent, json=complaint(call_id="x"))
    assert answer.status_code == 422 and "caller_number" in answer.json()["error"]["message"]


async def test_offices_report_through_supervisor_tokens_and_admins_close_unresolved(
    client: httpx.AsyncClient, store: Store
) -> None:
    agent, office = token(store, Role.AGENT), token(store, Role.SUPERVISOR)
    admin = token(store, Role.ADMIN)
    made = await client.post("/api/v1/work-orders", json=complaint(), headers=agent)
    url = f"/api/v1/work-orders/{made.json()['number']}/status"

    async def answer(body: dict[str, str], who: dict[str, str]) -> httpx.Response:
        return await client.post(url, json=body, headers=who)

    assert (await answer({"status": "acknowledged"}, agent)).status_code == 403
    wrong = await answer({"status": "acknowledged"}, office)
    assert wrong.status_code == 409, "not sent yet: nothing to acknowledge"
    assert (await answer({"status": "done"}, office)).status_code == 422
    assert (await answer({"status": "closed"}, office)).status_code == 403
    closed = await answer({"status": "closed", "outcome": "duplicate"}, admin)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"


async def test_admins_see_dead_letters_and_replay_them(
    client: httpx.AsyncClient, store: Store
) -> None:
    agent, admin = token(store, Role.AGENT), token(store, Role.ADMIN)
    await client.post("/api/v1/work-orders", json=complaint(), headers=agent)
    webhook = store.outbox_entries()[1]
    gone = failed(webhook.entry, "answered 410", desk_tests.NOW, RetryPolicy(),
                  jitter_fraction=0.5, permanent=True)  # fmt: skip
    store.settle_outbox(webhook.id, gone)
    assert (await client.get("/api/v1/outbox/dead-letters", headers=agent)).status_code == 403
    (dead,) = (await client.get("/api/v1/outbox/dead-letters", headers=admin)).json()
    assert dead["id"] == webhook.id and dead["dead_reason"].endswith("answered 410")
    replayed = (await client.post(f"/api/v1/outbox/{webhook.id}/replay", headers=admin)).json()
    assert replayed["state"] == EntryState.PENDING.value and replayed["replays"] == 1
    again = await client.post(f"/api/v1/outbox/{webhook.id}/replay", headers=admin)
    assert again.status_code == 409
    assert (await client.post("/api/v1/outbox/999/replay", headers=admin)).status_code == 404
