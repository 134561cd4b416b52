"""The FastAGI TCP server: accept, read the environment block under a deadline, run the handler.

Each connection is one supervised task. Hostile or broken peers (silent, slow, oversized, early
EOF) are dropped with a counted reason and never reach the handler or the loop's exception
handler. Closing the socket when the handler returns is what lets Asterisk continue the dialplan.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from agi.environment import (
    DEFAULT_MAX_ENV_BYTES,
    DEFAULT_MAX_ENV_LINES,
    AgiEnvironment,
    EnvironmentParser,
)
from agi.errors import AgiChannelHungUp, AgiEnvironmentTooLarge, AgiMalformedEnvironment
from agi.session import AgiSession, ReplyObserver
from agi.text import sanitize_text

log = logging.getLogger("hotline.agi")

AgiHandler = Callable[[AgiSession], Awaitable[None]]

_READ_SIZE = 4096
# StreamReader pauses the socket once it buffers twice this much, which caps what a peer can
# make us hold before the parser has looked at it.
_STREAM_LIMIT = 16 * 1024
# How long a closing socket may take to flush before it is aborted.
_CLOSE_GRACE = 1.0


class RejectReason(StrEnum):
    CAPACITY = "capacity"
    CLOSING = "closing"
    EOF = "eof_before_environment"
    ENV_TIMEOUT = "environment_timeout"
    ENV_TOO_LARGE = "environment_too_large"
    ENV_MALFORMED = "environment_malformed"


@dataclass
class FastAgiStats:
    """Connection-level counters, to be exported as metrics."""

    sessions_started: int = 0
    sessions_rejected: Counter[RejectReason] = field(default_factory=Counter)
    env_timeouts: int = 0
    handler_errors: int = 0


class FastAgiServer:
    """Serve FastAGI on host:port, running `handler(session)` once per call."""

    def __init__(
        self,
        handler: AgiHandler,
        *,
        host: str = "127.0.0.1",
        port: int = 4573,
        env_timeout: float = 5.0,
        max_env_bytes: int = DEFAULT_MAX_ENV_BYTES,
        max_env_lines: int = DEFAULT_MAX_ENV_LINES,
        max_sessions: int = 2000,
        command_timeout: float = 10.0,
        close_timeout: float = 5.0,
        on_reply: ReplyObserver | None = None,
    ) -> None:
        self._handler = handler
        self._on_reply = on_reply
        self._host = host
        self._requested_port = port
        self._env_timeout = env_timeout
        self._max_env_bytes = max_env_bytes
        self._max_env_lines = max_env_lines
        self._max_sessions = max_sessions
        self._command_timeout = command_timeout
        self._close_timeout = close_timeout
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}
        self._closing = False
        self._ids = itertools.count(1)
        self.stats = FastAgiStats()

    @property
    def port(self) -> int:
        """The listening port (the one the OS picked when constructed with port=0)."""
        if self._server is None or not self._server.sockets:
            return self._requested_port
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def active_sessions(self) -> int:
        """Connections being served, including those still sending their environment."""
        return len(self._connections)

    async def start(self) -> None:
        if self._server is not None:
            raise RuntimeError("FastAgiServer already started")
        self._server = await asyncio.start_server(
            self._on_connect, self._host, self._requested_port, limit=_STREAM_LIMIT
        )
        log.info("FastAGI listening on %s:%d", self._host, self.port)

    async def close(self) -> None:
        """Stop accepting, cancel every session and wait (bounded) for them to finish."""
        self._closing = True
        if self._server is not None:
            self._server.close()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        if tasks:
            _, stuck = await asyncio.wait(tasks, timeout=self._close_timeout)
            self._abort(stuck)
        if self._server is not None:
            # Python 3.11 waits here for every accepted transport to go away: one whose peer
            # never reads or closes must not hold shutdown for ever.
            try:
                async with asyncio.timeout(self._close_timeout):
                    await self._server.wait_closed()
            except TimeoutError:
                log.warning(
                    "FastAGI: connections still open %.0f s after closing; not waiting for them",
                    self._close_timeout,
                )

    async def __aenter__(self) -> FastAgiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- accepting -------------------------------------------------------------------------

    def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A plain callback, not a coroutine: asyncio would otherwise own an untracked task.
        peer = _peer(writer)
        reason = self._admission()
        if reason is not None:
            self._reject(reason, peer)
            writer.close()
            return
        task = asyncio.create_task(
            self._serve(reader, writer, peer), name=f"fastagi-{next(self._ids)}"
        )
        self._connections[task] = writer
        task.add_done_callback(self._forget)

    def _admission(self) -> RejectReason | None:
        if self._closing:
            return RejectReason.CLOSING
        if len(self._connections) >= self._max_sessions:
            return RejectReason.CAPACITY
        return None

    def _reject(self, reason: RejectReason, peer: str) -> None:
        self.stats.sessions_rejected[reason] += 1
        if reason is RejectReason.ENV_TIMEOUT:
            self.stats.env_timeouts += 1
        # A port scanner or health check connecting and leaving is not worth a warning.
        level = (
            logging.DEBUG if reason in (RejectReason.EOF, RejectReason.CLOSING) else logging.WARNING
        )
        log.log(level, "FastAGI connection from %s dropped: %s", peer, reason.value)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._connections.pop(task, None)
        if not task.cancelled() and (exc := task.exception()) is not None:
            # _serve catches everything expected; this is a bug, but it must not vanish.
            log.error("FastAGI connection task failed", exc_info=exc)

    def _abort(self, tasks: set[asyncio.Task[None]]) -> None:
        for task in tasks:
            log.warning(
                "FastAGI session %s ignored cancellation; aborting its socket", task.get_name()
            )
            writer = self._connections.get(task)
            if writer is not None:
                writer.transport.abort()

    # -- one connection ----------------------------------------------------------------------

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        try:
            opened = await self._read_environment(reader, peer)
            if opened is not None:
                env, pending = opened
                session = AgiSession(
                    reader,
                    writer,
                    env,
                    command_timeout=self._command_timeout,
                    pending=pending,
                    on_reply=self._on_reply,
                )
                await self._run_handler(session)
        finally:
            await _close_quietly(writer)

    async def _read_environment(
        self, reader: asyncio.StreamReader, peer: str
    ) -> tuple[AgiEnvironment, bytes] | None:
        parser = EnvironmentParser(max_bytes=self._max_env_bytes, max_lines=self._max_env_lines)
        try:
            # One deadline for the whole block: a peer trickling a byte a second gains nothing.
            async with asyncio.timeout(self._env_timeout):
                return await _receive_environment(reader, parser)
        except TimeoutError:
            self._reject(RejectReason.ENV_TIMEOUT, peer)
        except AgiEnvironmentTooLarge:
            self._reject(RejectReason.ENV_TOO_LARGE, peer)
        except AgiMalformedEnvironment as exc:
            log.debug("malformed environment from %s: %s", peer, exc)
            self._reject(RejectReason.ENV_MALFORMED, peer)
        except (EOFError, ConnectionError):
            self._reject(RejectReason.EOF, peer)
        return None

    async def _run_handler(self, session: AgiSession) -> None:
        self.stats.sessions_started += 1
        env = session.env
        tag = sanitize_text(env.uniqueid, 40)
        log.debug(
            "%s: FastAGI session for %s script=%s",
            tag,
            sanitize_text(env.channel),
            sanitize_text(env.script),
        )
        try:
            await self._handler(session)
        except AgiChannelHungUp:
            log.debug("%s: caller hung up", tag)
        except Exception:
            # One failing call must not take the server down; the dialplan continues after
            # the socket closes.
            self.stats.handler_errors += 1
            log.exception("%s: FastAGI handler failed", tag)
        else:
            log.debug("%s: FastAGI handler finished", tag)


async def _receive_environment(
    reader: asyncio.StreamReader, parser: EnvironmentParser
) -> tuple[AgiEnvironment, bytes]:
    while True:
        data = await reader.read(_READ_SIZE)
        if not data:
            raise EOFError("peer closed before the end of the environment block")
        env = parser.receive_data(data)
        if env is not None:
            return env, parser.leftover


async def _close_quietly(writer: asyncio.StreamWriter) -> None:
    """Close a connection, giving up on a graceful close if the peer does not cooperate."""
    writer.close()
    try:
        async with asyncio.timeout(_CLOSE_GRACE):
            await writer.wait_closed()
    except OSError:  # includes TimeoutError and connection resets
        writer.transport.abort()
    except asyncio.CancelledError:
        # Shutting down while the peer is slow to close: drop the socket now, not later.
        writer.transport.abort()
        raise


def _peer(writer: asyncio.StreamWriter) -> str:
    address: Any = writer.get_extra_info("peername")
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address)
