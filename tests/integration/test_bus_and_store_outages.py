"""The broker or the database going away: calls go on, the error says what to do, and what was
queued meanwhile is delivered once they are back. The broker is a real Mosquitto started by the
test on a port of its own."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import aiomqtt
import pytest

from hotline.bus import MqttPublisher
from hotline.events import CallArrived
from hotline.recorder import StoreRecorder
from hotline.storage import CallRecord, StorageUnavailable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def mosquitto(port: int, tmp_path: Path) -> Iterator[None]:
    binary = shutil.which("mosquitto")
    if binary is None:
        pytest.fail("mosquitto is not installed: bash scripts/install")
    config = tmp_path / f"mosquitto-{port}.conf"
    config.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    process = subprocess.Popen([binary, "-c", str(config)], stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.terminate()
        process.wait(10)


def event(n: int) -> CallArrived:
    return CallArrived(datetime.now(UTC), f"call-{n}", "13800138000", "12333")


async def test_given_no_broker_when_events_are_published_then_error_is_clear_and_none_is_lost(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    publisher = MqttPublisher(f"mqtt://127.0.0.1:{port}", client_id="hotline-outage-test")
    task = asyncio.create_task(publisher.run())
    try:
        for n in range(5):
            publisher(event(n))
        async with asyncio.timeout(10):
            while "unreachable" not in caplog.text:
                await asyncio.sleep(0.05)
        assert "mosquitto -d -c /etc/mosquitto/mosquitto.conf" in caplog.text
        assert not publisher.connected
        received: list[str] = []
        with mosquitto(port, tmp_path):
            await asyncio.sleep(0.3)
            async with aiomqtt.Client("127.0.0.1", port, identifier="outage-listener") as client:
                await client.subscribe("hotline/v1/calls/+/arrived", qos=1)
                publisher(event(5))
                async with asyncio.timeout(30):
                    async for message in client.messages:
                        received.append(json.loads(bytes(message.payload))["call_id"])  # type: ignore[arg-type]
                        if len(received) == 6:
                            break
        assert received == [f"call-{n}" for n in range(6)]
        assert publisher.dropped == 0
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class FlakyStore:
    """A store that is unavailable for its first `failures` writes (a database restarting)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.written: list[str] = []

    def record_call(self, record: CallRecord) -> int:
        if self.failures:
            self.failures -= 1
            raise StorageUnavailable("database at postgresql://…/hotline unavailable: restart it")
        self.written.append(record.uniqueid)
        return len(self.written)


async def test_given_database_away_when_calls_end_then_records_wait_and_are_written_in_order(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR)
    store = FlakyStore(failures=2)
    recorder = StoreRecorder(store)  # type: ignore[arg-type]
    task = asyncio.create_task(recorder.run())
    try:
        now = datetime.now(UTC)
        for n in range(3):
            recorder.record_call(CallRecord(f"u{n}", f"u{n}", "1380", "", "12333", now))
        await recorder.flush(timeout=20)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert store.written == ["u0", "u1", "u2"]
    assert "cannot write call u0" in caplog.text
    assert "restart it" in caplog.text
