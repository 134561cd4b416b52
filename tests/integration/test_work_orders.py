"""Work orders on the real lab: during a real call (SIPp caller, SIPp agent, the real Asterisk),
the agent files an inspection complaint against an employer in 长宁区; it reaches 长宁区's
labour-inspection brigade on the real Mosquitto and at its webhook, which is down at first: the
entry is retried and delivered once the receiver is back, exactly once. An urgent complaint past
its deadline (the controller's deadline clock shifted two days ahead) escalates: an event on
MQTT and a row in the order's history."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from hotline.secrets import load_or_create
from hotline.settings import Settings
from hotline.setup import Prepared
from hotline.sipp.runner import CallerPath
from hotline.storage import Role, Store
from tests.integration import lab
from tests.integration.lab import ControllerProcess
from tests.integration.test_screen_pop import send
from tests.office_receiver import OfficeReceiver
from transfers.outbox import DestinationKind

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]

RECEIVER_PORT = 18090
BRIGADE = "hotline/v1/work-orders/changning/inspection_brigade"
SHIFT_S = 2 * 86400
"""Deadlines are judged two days ahead: an urgent order (due the same day) is overdue at once,
an ordinary complaint (five working days) is not."""

Messages = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def work_order_controller(
    asterisk: Prepared, lab_env: dict[str, str], store: Store, database_url: str, tmp_path: Path
) -> Iterator[ControllerProcess]:
    token = store.create_token("test-admin", Role.ADMIN)
    env = {
        **lab_env, "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_WORK_ORDER_WEBHOOK": f"http://127.0.0.1:{RECEIVER_PORT}/offices/{{office}}",
        "HOTLINE_WORK_ORDER_RETRY_BASE_S": "0.5", "HOTLINE_WORK_ORDER_POLL_S": "0.2",
        "HOTLINE_WORK_ORDER_ESCALATION_S": "1", "HOTLINE_WORK_ORDER_CLOCK_SHIFT_S": str(SHIFT_S),
    }  # fmt: skip
    process = ControllerProcess(env=env, token=token, log_path=tmp_path / "controller.log")
    process.start()
    yield process
    process.stop()


async def listen(into: Messages, ready: asyncio.Event) -> None:
    async with aiomqtt.Client("127.0.0.1", 1883, identifier="work-orders-test") as client:
        await client.subscribe("hotline/v1/work-orders/#", qos=1)
        ready.set()
        async for message in client.messages:
            into.append((str(message.topic), json.loads(bytes(message.payload))))  # type: ignore[arg-type, unused-ignore]


def complaint(call_id: str, *, urgent: bool) -> dict[str, Any]:
    return {
        "type": "inspection_complaint", "call_id": call_id, "employer": "上海某某餐饮有限公司",
        "employer_address": "长宁区仙霞路99号", "issues": ["unpaid_wages"],
        "workers_affected": 12, "amount_owed": "86000.50", "urgent": urgent,
    }  # fmt: skip


async def answered_call(controller: ControllerProcess) -> str:
    async def on_call() -> str | None:
        agents = await asyncio.to_thread(controller.api, "GET", "/api/v1/agents")
        return next((a["call_id"] for a in agents if a["agent"] == "A001" and a["call_id"]), None)

    async with asyncio.timeout(30):
        while (call_id := await on_call()) is None:
            await asyncio.sleep(0.2)
    return call_id


async def test_a_complaint_made_on_a_call_reaches_the_brigade_once_and_an_urgent_one_escalates(
    asterisk: Prepared, work_order_controller: ControllerProcess, store: Store,
    lab_settings: Settings, tmp_path: Path, no_leaked_channels: None,
) -> None:  # fmt: skip
    controller = work_order_controller
    secret = load_or_create(lab_settings.state_dir, lab_settings.seats,
                            lab_settings.district_windows).webhook_secret  # fmt: skip
    agent = await asyncio.to_thread(store.create_token, "wo-agent", Role.AGENT, "A001")
    supervisor = await asyncio.to_thread(store.create_token, "wo-brigade", Role.SUPERVISOR)
    messages: Messages = []
    ready = asyncio.Event()
    listener = asyncio.create_task(listen(messages, ready))
    phones = lab.agents(tmp_path, talk_ms=12_000)
    receiver = OfficeReceiver(secret, RECEIVER_PORT)  # down until the entry has been retried
    started = time.monotonic()
    try:
        await asyncio.wait_for(ready.wait(), 10)
        controller.api("POST", "/api/v1/agents/A001/login", {"seat": "seat001"})
        await phones.start()
        caller = lab.callers(lab_settings, tmp_path, [CallerPath("1")], 1)
        await caller.start()
        call_id = await answered_call(controller)

        status, order = send("/api/v1/work-orders", agent, complaint(call_id, urgent=False), "POST")
        assert status == 201, order
        number = order["number"]
        assert (order["district_id"], order["office_kind"]) == ("changning", "inspection_brigade")
        assert order["office"] == "长宁区劳动保障监察大队" and order["deadline_at"]
        assert order["caller_number"].startswith("138") and "*" in order["caller_number"]
        await lab.wait_until(lambda: any(t == f"{BRIGADE}/{number}" for t, _ in messages), 10)

        def webhook_entry() -> Any:
            entries = store.outbox_entries(order_number=number)
            return next(e for e in entries if e.entry.kind is DestinationKind.WEBHOOK)

        await lab.wait_until(lambda: webhook_entry().entry.attempts >= 2, 15)
        assert "webhook http://127.0.0.1" in (webhook_entry().entry.last_error or "")
        receiver.start()
        key = webhook_entry().entry.idempotency_key
        await lab.wait_until(lambda: key in receiver.received.accepted, 15)

        status, urgent = send("/api/v1/work-orders", agent, complaint(call_id, urgent=True), "POST")
        assert status == 201, urgent
        escalated = f"hotline/v1/work-orders/{urgent['number']}/escalated"
        await lab.wait_until(lambda: any(t == escalated for t, _ in messages), 10)
        await lab.wait_until(
            lambda: any(t == f"{BRIGADE}/{urgent['number']}/escalated" for t, _ in messages), 10
        )
        stats = await caller.wait(timeout=60)
        assert stats.successful == 1, caller.errors()
    finally:
        listener.cancel()
        await phones.stop()
        receiver.stop()

    assert receiver.received.keys.count(key) == 1, "one POST of the order once the office is up"
    assert receiver.received.bad_signatures == 0
    path, body = receiver.received.accepted[key]
    assert path == "/offices/win-changning-insp" and body["number"] == number
    assert webhook_entry().entry.state.value == "delivered"
    assert send(f"/api/v1/work-orders/{number}", agent)[1]["status"] == "sent"

    status, shown = send(f"/api/v1/work-orders/{urgent['number']}", agent)
    actions = [h["action"] for h in shown["history"]]
    assert "escalate:acknowledge:1" in actions and actions.count("escalate:acknowledge:1") == 1
    events = [p for t, p in messages if t == f"hotline/v1/work-orders/{urgent['number']}/escalated"]
    assert events[0]["level"] == 1 and events[0]["district_id"] == "changning"

    status, _ = send(f"/api/v1/work-orders/{number}/status", agent, {"status": "acknowledged"},
                     "POST")  # fmt: skip
    assert status == 403, "the office's feedback comes with a supervisor's token"
    status, moved = send(f"/api/v1/work-orders/{number}/status", supervisor,
                         {"status": "acknowledged"}, "POST")  # fmt: skip
    assert status == 200 and moved["status"] == "acknowledged"
    print(f"work orders on the lab: {time.monotonic() - started:.1f} s")
