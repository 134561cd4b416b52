"""Events out: a fan-out hub, and the MQTT publisher (Mosquitto) behind it.

Publishing never blocks a caller: events go into a bounded queue that a background task drains
into the broker. If the broker is missing, the controller keeps serving calls, says clearly
what is wrong and how to fix it, and publishes what it kept once the broker is back (the
oldest events are dropped, and counted, if the outage outlasts the queue).
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

import aiomqtt

from hotline.events import Event

log = logging.getLogger("hotline.bus")

Sink = Callable[[Event], None]


class EventHub:
    """Hands every event to each sink in turn (MQTT, metrics, the demo's progress line)."""

    def __init__(self, sinks: list[Sink] | None = None) -> None:
        self.sinks: list[Sink] = list(sinks or [])

    def add(self, sink: Sink) -> None:
        self.sinks.append(sink)

    def publish(self, event: Event) -> None:
        for sink in self.sinks:
            try:
                sink(event)
            except Exception:
                log.exception("event sink %r failed on %s", sink, event.name)


class MqttPublisher:
    def __init__(self, url: str, *, max_queue: int = 50_000, client_id: str = "hotline") -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"mqtt", "tcp"} or not parts.hostname:
            raise ValueError(f"HOTLINE_MQTT_URL must look like mqtt://host:1883, not {url!r}")
        self.host, self.port = parts.hostname, parts.port or 1883
        self.username, self.password = parts.username, parts.password
        self.client_id = client_id
        self._queue: collections.deque[tuple[str, bytes]] = collections.deque(maxlen=max_queue)
        self._ready = asyncio.Event()
        self.connected = False
        self.published = 0
        self.dropped = 0

    def __call__(self, event: Event) -> None:
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        payload = json.dumps(event.payload(), ensure_ascii=False, default=str).encode()
        self._queue.append((event.topic, payload))
        self._ready.set()

    async def run(self) -> None:
        failures = 0
        while True:
            try:
                async with aiomqtt.Client(
                    self.host, self.port, identifier=self.client_id,
                    username=self.username, password=self.password, timeout=5,
                ) as client:  # fmt: skip
                    self._mark_up(failures)
                    failures = 0
                    await self._drain(client)
            except aiomqtt.MqttError as exc:
                failures += 1
                self._mark_down(exc, failures)
                await asyncio.sleep(min(30.0, 0.5 * 2 ** min(failures, 6)))

    async def _drain(self, client: aiomqtt.Client) -> None:
        while True:
            await self._ready.wait()
            while self._queue:
                topic, payload = self._queue[0]
                await client.publish(topic, payload, qos=1)
                self._queue.popleft()
                self.published += 1
            self._ready.clear()

    def _mark_up(self, failures: int) -> None:
        self.connected = True
        if failures:
            log.warning("MQTT broker at %s:%d is back; publishing %d queued events",
                        self.host, self.port, len(self._queue))  # fmt: skip

    def _mark_down(self, exc: Exception, failures: int) -> None:
        self.connected = False
        if failures == 1 or failures % 20 == 0:
            log.error(
                "MQTT broker at %s:%d unreachable (%s): events are queued (%d so far) and calls "
                "go on. Start it with 'mosquitto -d -c /etc/mosquitto/mosquitto.conf' or set "
                "HOTLINE_MQTT_URL.",
                self.host, self.port, exc, len(self._queue),
            )  # fmt: skip
