"""The delivery loop: sends due outbox entries to district offices, by MQTT and by webhook.

Entries are written with the order's change (hotline/storage/wo_store.py); this loop claims the
due ones (a lease, so that no entry is sent twice at once), sends each, and records what
transfers/outbox.py decides: delivered, a later attempt (backoff), or a dead letter. It picks up
whatever is pending after a restart, and survives any fault (database or broker away) with a log
line saying what failed.

- MQTT: QoS 1, not retained, on its own connection: the event bus drops nothing it can help but
  never says whether the broker took a message, and an entry is delivered only on the broker's
  PUBACK.
- Webhook: a JSON POST with ``Idempotency-Key`` (the same on every retry and replay: the office
  drops a duplicate) and ``X-Hotline-Signature: sha256=<hex>``, an HMAC-SHA256 of the body with
  the secret from the secrets file. A 2xx answer is delivered; 4xx (but 408 and 429) is permanent.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import aiomqtt
import httpx

from hotline.events import DeliveryDeadLettered, Event
from hotline.metrics import Metrics
from hotline.storage import StorageError, Store
from hotline.storage.wo_records import OutboxRecord
from transfers.outbox import (
    DestinationKind,
    EntryState,
    OutboxEntry,
    RetryPolicy,
    delivered,
    failed,
    is_permanent_http_failure,
)

log = logging.getLogger("hotline.delivery")

SIGNATURE_HEADER = "X-Hotline-Signature"
SEND_TIMEOUT_S = 5.0


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Attempt:
    error: str = ""
    permanent: bool = False

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(frozen=True)
class DeliveryConfig:
    mqtt_url: str
    secret: str
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    poll_s: float = 1.0
    lease: timedelta = timedelta(seconds=60)
    batch: int = 20


class MqttLink:
    """One connection to the broker, opened on demand and dropped on any error."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 1883
        self.username, self.password = parts.username, parts.password
        self._client: aiomqtt.Client | None = None

    async def publish(self, topic: str, body: bytes) -> Attempt:
        try:
            if self._client is None:
                client = aiomqtt.Client(self.host, self.port, username=self.username,
                                        password=self.password, timeout=SEND_TIMEOUT_S)  # fmt: skip
                await client.__aenter__()
                self._client = client
            await self._client.publish(topic, body, qos=1, retain=False, timeout=SEND_TIMEOUT_S)
            return Attempt()
        except (aiomqtt.MqttError, OSError, TimeoutError) as exc:
            await self.close()
            return Attempt(f"MQTT broker at {self.host}:{self.port}: {exc or type(exc).__name__}")

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.__aexit__(None, None, None)


class Delivery:
    def __init__(
        self, store: Store, config: DeliveryConfig, clock: Callable[[], datetime], *,
        on_delivered: Callable[[OutboxRecord], Awaitable[None]],
        publish: Callable[[Event], None], metrics: Metrics | None = None,
    ) -> None:  # fmt: skip
        self.store, self.config, self.clock = store, config, clock
        self.on_delivered, self.publish, self.metrics = on_delivered, publish, metrics
        self.mqtt = MqttLink(config.mqtt_url)
        self.http = httpx.AsyncClient(timeout=SEND_TIMEOUT_S)
        self._wake = asyncio.Event()
        self.results: dict[str, int] = {"delivered": 0, "retry": 0, "dead": 0}

    def wake(self) -> None:
        """New entries were written: look now, not at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        failures = 0
        while True:
            self._wake.clear()
            try:
                await self.run_once()
                failures = 0
            except StorageError as exc:
                failures += 1
                if failures == 1 or failures % 30 == 0:
                    log.error("outbox not read (the store failed; entries wait): %s", exc)
            except Exception:
                # Whatever went wrong, the next poll tries again: deliveries must not stop.
                log.exception("delivery loop fault; trying again in %.1f s", self.config.poll_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.config.poll_s)

    async def run_once(self) -> int:
        """Send every entry due now; how many were tried."""
        c = self.config
        due = await asyncio.to_thread(
            self.store.claim_due_outbox, self.clock(), limit=c.batch, lease=c.lease
        )
        for record in due:
            await self._deliver(record)
        if self.metrics is not None:
            pending = await asyncio.to_thread(self.store.count_outbox, EntryState.PENDING)
            self.metrics.outbox_pending.set(pending)
        return len(due)

    async def close(self) -> None:
        await self.mqtt.close()
        await self.http.aclose()

    async def _deliver(self, record: OutboxRecord) -> None:
        entry = record.entry
        attempt = await self._send(record)
        now = self.clock()
        if attempt.ok:
            settled = delivered(entry, now)
        else:
            settled = failed(entry, attempt.error, now, self.config.policy,
                             jitter_fraction=random.random(),
                             permanent=attempt.permanent)  # fmt: skip
        await asyncio.to_thread(self.store.settle_outbox, record.id, settled)
        self._count(record, settled, attempt)
        if attempt.ok:
            await self.on_delivered(record)

    async def _send(self, record: OutboxRecord) -> Attempt:
        body = json.dumps(record.payload, ensure_ascii=False, sort_keys=True).encode()
        entry = record.entry
        if entry.kind is DestinationKind.MQTT:
            return await self.mqtt.publish(entry.destination, body)
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": entry.idempotency_key,
            SIGNATURE_HEADER: signature(self.config.secret, body),
        }
        try:
            answer = await self.http.post(entry.destination, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Attempt(f"webhook {_host(entry.destination)}: {exc or type(exc).__name__}")
        if 200 <= answer.status_code < 300:
            return Attempt()
        permanent = is_permanent_http_failure(answer.status_code)
        return Attempt(f"webhook {_host(entry.destination)} answered {answer.status_code}",
                       permanent)  # fmt: skip

    def _count(self, record: OutboxRecord, settled: OutboxEntry, attempt: Attempt) -> None:
        entry = record.entry
        result = {EntryState.DELIVERED: "delivered", EntryState.DEAD: "dead"}.get(
            settled.state, "retry"
        )
        self.results[result] += 1
        if self.metrics is not None:
            self.metrics.deliveries.labels(result).inc()
        if settled.state is EntryState.DELIVERED:
            log.info("outbox %d (%s) delivered to %s", record.id, entry.order_number,
                     entry.destination)  # fmt: skip
        elif settled.state is EntryState.DEAD:
            log.error("outbox %d (%s) dead-lettered: %s; replay it once the cause is fixed",
                      record.id, entry.order_number, settled.dead_reason)  # fmt: skip
            self.publish(DeliveryDeadLettered(self.clock(), record.id, entry.order_number,
                                              entry.kind.value, settled.dead_reason))  # fmt: skip
        else:
            log.warning("outbox %d (%s) not delivered (%s); attempt %d again at %s", record.id,
                        entry.order_number, attempt.error, settled.attempts + 1,
                        settled.next_attempt_at.isoformat())  # fmt: skip


def _host(url: str) -> str:
    """A webhook for logs: scheme, host and path, never a query string (it may hold a token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"
