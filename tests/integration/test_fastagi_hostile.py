"""The FastAGI server on a real socket (127.0.0.1, port 0) against hostile and broken peers.

The test side plays Asterisk with plain asyncio sockets. Every test also checks that nothing
reached the event loop's exception handler and that a well-behaved call is not slowed down.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from agi import (
    AgiChannelHungUp,
    AgiSession,
    AgiUnsafeArgument,
    FastAgiServer,
    RejectReason,
    sanitize_text,
)
from tests.unit.test_agi_reference import split_command_line

# A regression here tends to hang (a busy loop starves the event loop), so fail fast.
pytestmark = pytest.mark.timeout(60)

HOSTILE_NAME = 'Evil"\rEXEC System "rm -rf /"\t\x1b[0m'


def env_block(script: str, uniqueid: str, calleridname: bytes = b"Zhang San") -> bytes:
    """An environment block shaped like the one Asterisk 22 sends."""
    return (
        b"agi_network: yes\n"
        b"agi_network_script: %(script)s\n"
        b"agi_request: agi://127.0.0.1:4573/%(script)s\n"
        b"agi_channel: PJSIP/trunk-00000001\n"
        b"agi_language: en\n"
        b"agi_type: PJSIP\n"
        b"agi_uniqueid: %(uniqueid)s\n"
        b"agi_version: 22.10.1\n"
        b"agi_callerid: 13800138000\n"
        b"agi_calleridname: %(name)s\n"
        b"agi_callingpres: 0\n"
        b"agi_dnid: 12333\n"
        b"agi_rdnis: unknown\n"
        b"agi_context: hotline-inbound\n"
        b"agi_extension: 12333\n"
        b"agi_priority: 4\n"
        b"agi_enhanced: 0.0\n"
        b"agi_accountcode: \n"
        b"agi_threadid: 140000000000\n"
        b"\n"
    ) % {b"script": script.encode(), b"uniqueid": uniqueid.encode(), b"name": calleridname}


class Peer:
    """One connection from the fake Asterisk side."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, data: bytes) -> bool:
        """Write and drain; False once the server has dropped the connection."""
        if self.writer.is_closing():
            return False
        try:
            self.writer.write(data)
            await self.writer.drain()
        except ConnectionError:
            return False
        return True

    async def closed_by_server(self, within: float) -> bytes:
        """Wait for the server to close; return whatever it wrote before that."""
        received = bytearray()
        async with asyncio.timeout(within):
            while True:
                try:
                    chunk = await self.reader.read(4096)
                except ConnectionError:
                    break
                if not chunk:
                    break
                received += chunk
        return bytes(received)

    async def serve_commands(self, within: float = 5.0) -> list[bytes]:
        """Answer every command with success until the server closes; return the lines."""
        lines: list[bytes] = []
        async with asyncio.timeout(within):
            while line := await self.reader.readline():
                lines.append(line)
                await self.send(b"200 result=1\n")
        return lines

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


Connect = Callable[[int], Awaitable[Peer]]
StartServer = Callable[..., Awaitable[FastAgiServer]]


@pytest.fixture
async def loop_errors() -> AsyncIterator[list[dict[str, Any]]]:
    """Everything that reaches the loop's exception handler; must stay empty."""
    loop = asyncio.get_running_loop()
    errors: list[dict[str, Any]] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    yield errors
    gc.collect()  # "exception was never retrieved" is reported when a task is collected
    await asyncio.sleep(0)
    loop.set_exception_handler(previous)
    assert errors == []


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    peers: list[Peer] = []

    async def open_peer(port: int) -> Peer:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        peers.append(Peer(reader, writer))
        return peers[-1]

    yield open_peer
    for peer in peers:
        await peer.close()


class Calls:
    """The handler under test: dispatches on the script name of the request URL."""

    def __init__(self) -> None:
        self.waiting = asyncio.Event()
        self.started = 0
        self.cancelled = 0
        self.notes: list[object] = []

    async def __call__(self, session: AgiSession) -> None:
        script = getattr(self, "run_" + session.env.script.replace("-", "_"))
        await script(session)

    async def run_normal(self, session: AgiSession) -> None:
        await session.answer()
        await session.set_variable("HOTLINE_QUEUE", "12345")
        await session.verbose("normal call")

    async def run_caller_name(self, session: AgiSession) -> None:
        name = session.env.calleridname
        try:
            await session.set_variable("HOTLINE_CALLER_NAME_RAW", name)
        except AgiUnsafeArgument as exc:
            self.notes.append(exc)
        await session.set_variable("HOTLINE_CALLER_NAME", sanitize_text(name))
        await session.verbose(f"call from {name}")

    async def run_wait(self, session: AgiSession) -> None:
        offer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.waiting.set()
        try:
            await session.wait_for(offer)
        except AgiChannelHungUp:
            self.notes.append(("offer cancelled", offer.cancelled()))
            raise

    async def run_forever(self, session: AgiSession) -> None:
        self.started += 1
        try:
            await session.wait_for(asyncio.Event().wait())
        except asyncio.CancelledError:
            self.cancelled += 1
            raise

    async def run_boom(self, session: AgiSession) -> None:
        raise RuntimeError("handler bug")


@pytest.fixture
def calls() -> Calls:
    return Calls()


@pytest.fixture
async def start_server(
    loop_errors: list[dict[str, Any]], calls: Calls
) -> AsyncIterator[StartServer]:
    servers: list[FastAgiServer] = []

    async def start(**options: Any) -> FastAgiServer:
        settings: dict[str, Any] = {"host": "127.0.0.1", "port": 0, "env_timeout": 1.0, **options}
        server = FastAgiServer(calls, **settings)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()


async def wait_until(condition: Callable[[], bool], within: float = 5.0) -> None:
    # Server counters have no event to wait on; polling stays confined to the tests.
    async with asyncio.timeout(within):
        while not condition():
            await asyncio.sleep(0.01)


async def normal_call(connect: Connect, port: int, uniqueid: str = "1764285000.99") -> float:
    """Run one well-behaved call to the end; return how long it took."""
    started = time.monotonic()
    peer = await connect(port)
    await peer.send(env_block("normal", uniqueid))
    lines = await peer.serve_commands()
    assert [split_command_line(line)[:2] for line in lines] == [
        ["ANSWER"],
        ["SET", "VARIABLE"],
        ["VERBOSE", "normal call"],
    ]
    return time.monotonic() - started


async def trickle(peer: Peer, data: bytes, interval: float) -> None:
    for index in range(len(data)):
        if not await peer.send(data[index : index + 1]):
            return
        await asyncio.sleep(interval)


async def send_megabyte(peer: Peer) -> None:
    if not await peer.send(b"agi_network: yes\nagi_junk: "):
        return
    chunk = b"x" * 16384
    for _ in range(64):
        if not await peer.send(chunk):
            return
        await asyncio.sleep(0)  # let the server read as a real network peer would


# -- (a) (b) early EOF -------------------------------------------------------------------------


async def test_given_peer_that_connects_and_closes_when_served_then_dropped_and_calls_unaffected(
    start_server: StartServer, connect: Connect
) -> None:
    server = await start_server()

    peer = await connect(server.port)
    await peer.close()

    await wait_until(lambda: server.stats.sessions_rejected[RejectReason.EOF] == 1)
    assert await normal_call(connect, server.port) < 1.0
    await wait_until(lambda: server.active_sessions == 0)
    assert server.stats.sessions_started == 1


async def test_given_half_an_environment_then_eof_when_served_then_dropped_without_handler(
    start_server: StartServer, connect: Connect
) -> None:
    server = await start_server()
    peer = await connect(server.port)

    await peer.send(env_block("normal", "half.1")[:150])
    peer.writer.write_eof()

    assert await peer.closed_by_server(within=2.0) == b""
    assert server.stats.sessions_rejected[RejectReason.EOF] == 1
    assert server.stats.sessions_started == 0
    assert await normal_call(connect, server.port) < 1.0


# -- (c) slow peer -----------------------------------------------------------------------------


async def test_given_peer_sending_a_byte_at_a_time_when_deadline_passes_then_dropped(
    start_server: StartServer, connect: Connect
) -> None:
    server = await start_server(env_timeout=1.0)
    peer = await connect(server.port)
    started = time.monotonic()
    # Faster than once a second, so only a deadline for the whole block can stop it.
    sender = asyncio.create_task(trickle(peer, env_block("normal", "slow.1"), interval=0.2))

    assert await normal_call(connect, server.port) < 1.0
    await peer.closed_by_server(within=5.0)
    elapsed = time.monotonic() - started
    await sender

    assert 0.9 <= elapsed < 2.5
    assert server.stats.env_timeouts == 1
    assert server.stats.sessions_rejected[RejectReason.ENV_TIMEOUT] == 1


# -- (d) oversized environment -------------------------------------------------------------------


async def test_given_one_megabyte_environment_when_sent_then_rejected_without_buffering_it(
    start_server: StartServer, connect: Connect
) -> None:
    server = await start_server(env_timeout=10.0)
    peer = await connect(server.port)
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        await send_megabyte(peer)
        await peer.closed_by_server(within=5.0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert server.stats.sessions_rejected[RejectReason.ENV_TOO_LARGE] == 1
    # Holding the block would cost at least the 1 MiB itself; what remains is socket buffers.
    assert peak - baseline < 512 * 1024
    assert await normal_call(connect, server.port) < 1.0


# -- (e) hostile caller ID name ------------------------------------------------------------------


async def test_given_hostile_caller_name_when_handler_echoes_it_then_one_clean_line_per_command(
    start_server: StartServer, connect: Connect, calls: Calls
) -> None:
    server = await start_server()
    peer = await connect(server.port)

    await peer.send(env_block("caller-name", "hostile.1", HOSTILE_NAME.encode()))
    lines = await peer.serve_commands()

    assert len(lines) == 2, "one line per command sent, nothing smuggled"
    assert not any(line.lstrip().upper().startswith(b"EXEC") for line in lines)
    words = [split_command_line(line) for line in lines]
    assert words[0] == ["SET", "VARIABLE", "HOTLINE_CALLER_NAME", sanitize_text(HOSTILE_NAME)]
    assert words[1][:1] == ["VERBOSE"]
    assert len(words[1]) == 3
    assert isinstance(calls.notes[0], AgiUnsafeArgument)


@pytest.mark.parametrize(
    "name",
    [b'Evil"\nEXEC System "rm -rf /"', b"Evil\nagi_context: evil"],
    ids=["command-line", "smuggled-field"],
)
async def test_given_caller_name_with_raw_newline_when_env_sent_then_rejected_and_nothing_written(
    start_server: StartServer, connect: Connect, name: bytes
) -> None:
    server = await start_server()
    peer = await connect(server.port)

    await peer.send(env_block("caller-name", "hostile.2", name))

    assert await peer.closed_by_server(within=2.0) == b""
    assert server.stats.sessions_rejected[RejectReason.ENV_MALFORMED] == 1
    assert server.stats.sessions_started == 0


# -- (f) everything at once ------------------------------------------------------------------------


async def test_given_many_hostile_peers_when_normal_calls_arrive_then_they_complete_promptly(
    start_server: StartServer, connect: Connect
) -> None:
    server = await start_server(env_timeout=1.0)
    hostile: list[asyncio.Task[None]] = []
    for index in range(5):
        (await connect(server.port)).writer.close()
        half = await connect(server.port)
        await half.send(env_block("normal", f"half.{index}")[:100])
    for _ in range(3):
        slow = await connect(server.port)
        hostile.append(asyncio.create_task(trickle(slow, env_block("normal", "s"), 0.1)))
    hostile.append(asyncio.create_task(send_megabyte(await connect(server.port))))

    durations = await asyncio.gather(
        *(normal_call(connect, server.port, f"normal.{index}") for index in range(10))
    )
    await asyncio.gather(*hostile)

    assert max(durations) < 1.0
    assert server.stats.sessions_started == 10


# -- (g) no busy loop --------------------------------------------------------------------------


async def test_given_stalled_peers_when_idle_for_a_second_then_cpu_stays_low(
    start_server: StartServer, connect: Connect
) -> None:
    server = await start_server(env_timeout=30.0)
    for index in range(50):
        stalled = await connect(server.port)
        await stalled.send(env_block("normal", f"stall.{index}")[:120])
    eof_peer = await connect(server.port)
    await eof_peer.send(b"agi_network: yes\n")
    eof_peer.writer.write_eof()
    slow = asyncio.create_task(trickle(await connect(server.port), env_block("normal", "s"), 0.2))
    await asyncio.sleep(0.2)

    cpu_before = time.process_time()
    await asyncio.sleep(1.0)
    cpu_used = time.process_time() - cpu_before
    slow.cancel()

    assert cpu_used < 0.2
    assert server.active_sessions == 51


# -- (h) shutdown ---------------------------------------------------------------------------------


async def test_given_sessions_in_flight_when_server_closes_then_they_are_cancelled_promptly(
    start_server: StartServer, connect: Connect, calls: Calls
) -> None:
    server = await start_server(env_timeout=30.0)
    peers = [await connect(server.port) for _ in range(3)]
    for index, peer in enumerate(peers):
        await peer.send(env_block("forever", f"forever.{index}"))
    stalled = await connect(server.port)
    await stalled.send(b"agi_network: yes\n")
    await wait_until(lambda: calls.started == 3 and server.active_sessions == 4)

    started = time.monotonic()
    await server.close()

    assert time.monotonic() - started < 2.0
    assert calls.cancelled == 3
    assert server.active_sessions == 0
    for peer in [*peers, stalled]:
        assert await peer.closed_by_server(within=2.0) == b""
    with pytest.raises(ConnectionRefusedError):
        await connect(server.port)


# -- (i) hang-up while waiting ---------------------------------------------------------------------


async def test_given_caller_waiting_when_hangup_notice_arrives_then_wait_cancelled_and_call_ends(
    start_server: StartServer,
    connect: Connect,
    calls: Calls,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="hotline.agi")
    server = await start_server()
    peer = await connect(server.port)
    await peer.send(env_block("wait", "waiting.1"))
    async with asyncio.timeout(5):
        await calls.waiting.wait()

    await peer.send(b"HANGUP\n")

    assert await peer.closed_by_server(within=2.0) == b""
    assert calls.notes == [("offer cancelled", True)]
    assert server.stats.handler_errors == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("caller hung up" in r.getMessage() for r in caplog.records)


async def test_given_caller_waiting_when_asterisk_closes_socket_then_wait_cancelled(
    start_server: StartServer, connect: Connect, calls: Calls
) -> None:
    server = await start_server()
    peer = await connect(server.port)
    await peer.send(env_block("wait", "waiting.2"))
    async with asyncio.timeout(5):
        await calls.waiting.wait()

    await peer.close()

    await wait_until(lambda: bool(calls.notes))
    assert calls.notes == [("offer cancelled", True)]
    await wait_until(lambda: server.active_sessions == 0)


# -- capacity and failing handlers -----------------------------------------------------------------


async def test_given_server_at_capacity_when_another_peer_connects_then_closed_at_once(
    start_server: StartServer, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    server = await start_server(max_sessions=2, env_timeout=30.0)
    for _ in range(2):
        await (await connect(server.port)).send(b"agi_network: yes\n")
    await wait_until(lambda: server.active_sessions == 2)

    extra = await connect(server.port)

    assert await extra.closed_by_server(within=1.0) == b""
    assert server.stats.sessions_rejected[RejectReason.CAPACITY] == 1
    assert any(
        r.levelno == logging.WARNING and "capacity" in r.getMessage() for r in caplog.records
    )


async def test_given_handler_that_raises_when_call_runs_then_logged_with_uniqueid_and_closed(
    start_server: StartServer, connect: Connect, caplog: pytest.LogCaptureFixture
) -> None:
    server = await start_server()
    peer = await connect(server.port)

    await peer.send(env_block("boom", "boom.1"))

    assert await peer.closed_by_server(within=2.0) == b""
    assert server.stats.handler_errors == 1
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "boom.1" in errors[0].getMessage()
    assert await normal_call(connect, server.port) < 1.0
