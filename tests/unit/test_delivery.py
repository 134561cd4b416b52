"""The delivery loop against a real webhook receiver (http.server) and the real Mosquitto on
127.0.0.1:1883: signed POSTs with idempotency keys, retries while the receiver is down, dead
letters on a permanent refusal, and no entry sent twice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import aiomqtt
import pytest

from hotline.delivery import Delivery, DeliveryConfig
from hotline.events import DeliveryDeadLettered, Event
from hotline.storage import Store
from hotline.storage.wo_records import OutboxRecord
from hotline.work_order_desk import WorkOrderDesk
from tests.office_receiver import OfficeReceiver
from tests.unit import test_work_order_desk as desk_tests
from tests.unit.test_work_order_desk import complaint
from transfers.directory import load_directory
from transfers.outbox import EntryState, RetryPolicy, replay

SECRET = "test-webhook-secret"
MQTT = "mqtt://127.0.0.1:1883"
store = desk_tests.store


def wall() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def receiver() -> Iterator[OfficeReceiver]:
    office = OfficeReceiver(SECRET).start()
    yield office
    office.stop()


class Loop:
    def __init__(
        self, store: Store, receiver: OfficeReceiver, attempts: int = 12, mqtt: str = MQTT
    ) -> None:
        self.published: list[Event] = []
        self.delivered: list[OutboxRecord] = []
        self.desk = WorkOrderDesk(store, load_directory(), self.published.append, wall,
                                  webhook_template=receiver.url + "/offices/{office}")  # fmt: skip
        policy = RetryPolicy(base_delay_s=0.2, jitter=0, max_attempts=attempts)
        config = DeliveryConfig(mqtt, SECRET, policy, poll_s=0.05)
        self.delivery = Delivery(store, config, wall, on_delivered=self.on_delivered,
                                 publish=self.published.append)  # fmt: skip
        self.desk.wake = self.delivery.wake

    async def on_delivered(self, record: OutboxRecord) -> None:
        self.delivered.append(record)
        await self.desk.delivered(record)


@pytest.fixture
async def mqtt_messages() -> AsyncIterator[list[tuple[str, dict[str, object]]]]:
    received: list[tuple[str, dict[str, object]]] = []
    async with aiomqtt.Client("127.0.0.1", 1883) as client:
        await client.subscribe("hotline/v1/work-orders/#", qos=1)

        async def collect() -> None:
            async for message in client.messages:
                assert isinstance(message.payload, bytes)
                received.append((str(message.topic), json.loads(message.payload)))

        task = asyncio.create_task(collect())
        yield received
        task.cancel()


async def until(condition: object, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_an_order_reaches_the_office_by_mqtt_and_a_signed_webhook(
    store: Store, receiver: OfficeReceiver, mqtt_messages: list[tuple[str, dict[str, object]]]
) -> None:
    loop = Loop(store, receiver)
    task = asyncio.create_task(loop.delivery.run())
    try:
        record = await loop.desk.create(complaint(), "7001")
        await until(lambda: len(loop.delivered) == 2 and mqtt_messages)
    finally:
        task.cancel()
        await loop.delivery.close()
    topic = f"hotline/v1/work-orders/changning/inspection_brigade/{record.number}"
    assert [(t, m["number"]) for t, m in mqtt_messages] == [(topic, record.number)]
    assert receiver.received.bad_signatures == 0
    ((path, body),) = receiver.received.accepted.values()
    assert path == "/offices/win-changning-insp" and body["number"] == record.number
    assert body["caller_number"] == "138****8000"
    assert store.get_work_order(record.number).status == "sent"  # type: ignore[union-attr]
    assert store.count_outbox(EntryState.PENDING) == 0


async def test_a_receiver_that_is_down_gets_the_order_once_it_is_back(
    store: Store, receiver: OfficeReceiver
) -> None:
    port = receiver.port
    receiver.stop()
    loop = Loop(store, receiver)
    record = await loop.desk.create(complaint(), "7001")
    for _ in range(3):
        await asyncio.sleep(0.25)
        await loop.delivery.run_once()
    (webhook,) = store.outbox_entries(order_number=record.number)[1:]
    assert webhook.entry.state is EntryState.PENDING and webhook.entry.attempts >= 1
    assert "webhook http://127.0.0.1" in (webhook.entry.last_error or "")
    back = OfficeReceiver(SECRET, port).start()
    try:
        task = asyncio.create_task(loop.delivery.run())
        await until(lambda: back.received.accepted)
        await asyncio.sleep(0.5)  # nothing more arrives: the entry is settled
        task.cancel()
    finally:
        back.stop()
        await loop.delivery.close()
    assert (back.received.posts, len(back.received.accepted)) == (1, 1)


async def test_a_permanent_refusal_is_a_dead_letter_and_a_replay_sends_the_same_key(
    store: Store, receiver: OfficeReceiver
) -> None:
    receiver.status = 400
    loop = Loop(store, receiver)
    record = await loop.desk.create(complaint(), "7001")
    await loop.delivery.run_once()
    (dead,) = store.outbox_entries(state=EntryState.DEAD)
    webhook = f"{receiver.url}/offices/win-changning-insp"
    assert dead.entry.dead_reason == f"permanent failure: webhook {webhook} answered 400"
    assert [type(e) for e in loop.published][-1] is DeliveryDeadLettered
    receiver.status = 200
    store.replay_outbox(dead.id, lambda e: replay(e, wall()))
    await loop.delivery.run_once()
    await loop.delivery.close()
    assert list(receiver.received.accepted) == [dead.entry.idempotency_key]
    assert receiver.received.posts == 2
    assert store.get_work_order(record.number).status == "sent"  # type: ignore[union-attr]


async def test_two_loops_never_send_the_same_entry(store: Store, receiver: OfficeReceiver) -> None:
    first, second = Loop(store, receiver), Loop(store, receiver)
    for _ in range(5):
        await first.desk.create(complaint(), "7001")
    await asyncio.gather(first.delivery.run_once(), second.delivery.run_once(),
                         first.delivery.run_once(), second.delivery.run_once())  # fmt: skip
    for loop in (first, second):
        await loop.delivery.close()
    assert receiver.received.posts == 5 == len(receiver.received.accepted)


async def test_the_loop_survives_a_store_that_is_gone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, receiver: OfficeReceiver
) -> None:
    gone = Store.open(f"sqlite:///{tmp_path / 'never-migrated.db'}")
    loop = Loop(gone, receiver)
    task = asyncio.create_task(loop.delivery.run())
    await asyncio.sleep(0.3)
    assert not task.done()
    task.cancel()
    await loop.delivery.close()
    gone.close()
    assert "outbox not read (the store failed" in caplog.text


async def test_a_broker_that_is_away_delays_only_the_mqtt_entry(
    store: Store, receiver: OfficeReceiver
) -> None:
    loop = Loop(store, receiver, mqtt="mqtt://127.0.0.1:1")
    record = await loop.desk.create(complaint(), "7001")
    await loop.delivery.run_once()
    await loop.delivery.close()
    topic, webhook = store.outbox_entries(order_number=record.number)
    assert topic.entry.state is EntryState.PENDING and topic.entry.attempts == 1
    assert (topic.entry.last_error or "").startswith("MQTT broker at 127.0.0.1:1")
    assert webhook.entry.state is EntryState.DELIVERED


async def test_a_restarted_loop_sends_what_a_dead_one_had_claimed(
    store: Store, receiver: OfficeReceiver
) -> None:
    first = Loop(store, receiver)
    await first.desk.create(complaint(), "7001")
    # The first controller claimed both entries, then died before sending them.
    claimed = store.claim_due_outbox(wall(), limit=10, lease=first.delivery.config.lease)
    assert len(claimed) == 2
    restarted = Loop(store, receiver)
    assert await restarted.delivery.run_once() == 0, "leased: not sent twice at once"
    later = wall() + first.delivery.config.lease
    restarted.delivery.clock = lambda: later
    assert await restarted.delivery.run_once() == 2
    await first.delivery.close()
    await restarted.delivery.close()
    assert receiver.received.posts == 1 and store.count_outbox(EntryState.PENDING) == 0
