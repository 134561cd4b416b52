"""One FastAGI call: a thin asyncio adapter that moves bytes between a socket and the codecs.

AGI is half-duplex: one command, one reply. A lock keeps commands strictly one at a time, and
`wait_for` keeps reading the idle socket while the controller decides, so a caller who hangs up
during a long wait is noticed at once.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from agi.commands import format_command
from agi.environment import AgiEnvironment
from agi.errors import (
    AgiChannelHungUp,
    AgiError,
    AgiProtocolError,
    AgiTimeout,
    AgiUnsafeArgument,
)
from agi.replies import (
    DEFAULT_MAX_REPLY_LINE,
    AgiErrorReply,
    AgiEvent,
    AgiHangupNotice,
    AgiProvisional,
    AgiReply,
    ReplyParser,
    raise_for_reply,
)
from agi.text import sanitize_text

log = logging.getLogger("hotline.agi")

_T = TypeVar("_T")
ReplyObserver = Callable[[str, float], None]
"""Called with a command's name and its round-trip time in seconds."""
_READ_SIZE = 4096
_APP_NAME = re.compile(r"[A-Za-z0-9_]+")
_DIGITS = re.compile(r"[0-9*#A-Da-d]*")
# GET DATA with timeout 0 uses the channel's default digit timeout; assume a generous one.
_DEFAULT_DIGIT_TIMEOUT_MS = 10_000


class AgiSession:
    """Commands and waits on one FastAGI connection.

    `command` and `wait_for` raise AgiChannelHungUp once the caller is gone; after that (or
    after a protocol error) every further command raises without writing anything.
    """

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        env: AgiEnvironment,
        *,
        command_timeout: float = 10.0,
        pending: bytes = b"",
        max_reply_line: int = DEFAULT_MAX_REPLY_LINE,
        on_reply: ReplyObserver | None = None,
    ) -> None:
        self.env = env
        # Told the round-trip time of every answered command (metrics: AGI RTT).
        self._on_reply = on_reply
        self._reader = reader
        self._writer = writer
        self._command_timeout = command_timeout
        self._parser = ReplyParser(max_line_bytes=max_reply_line)
        # Bytes that arrived right behind the environment block (e.g. an early HANGUP).
        self._parser.receive_data(pending)
        self._lock = asyncio.Lock()
        self._hung_up = False
        self._failure: AgiProtocolError | None = None
        # Replies still owed for commands we gave up on (timeout, cancellation); AGI answers
        # in order, so they are skipped to keep later replies matched with their commands.
        self._stale_replies = 0
        self._tag = sanitize_text(env.uniqueid, 40) or "-"

    @property
    def hung_up(self) -> bool:
        """True once Asterisk reported a hang-up or closed the connection."""
        return self._hung_up

    # -- the primitive ---------------------------------------------------------------------

    async def command(
        self, name: str, *args: str | int, reply_timeout: float | None = None
    ) -> AgiReply:
        """Send one command and return its 200 reply.

        `reply_timeout` defaults to the session's command_timeout; math.inf waits forever.
        Raises the exception mapped from 510/511/520, AgiChannelHungUp, AgiTimeout.
        """
        line = format_command(name, *args)
        async with self._lock:
            self._ensure_usable(name)
            started = time.monotonic()
            reply = await self._exchange(name, line, self._budget(reply_timeout))
            if self._on_reply is not None:
                self._on_reply(name, time.monotonic() - started)
        return raise_for_reply(reply, name)

    async def wait_for(self, awaitable: Awaitable[_T], timeout: float | None = None) -> _T:
        """Await an external event while watching the idle socket for a hang-up.

        If Asterisk sends HANGUP or closes the socket first, the awaitable is cancelled and
        AgiChannelHungUp raised; after `timeout` seconds it is cancelled and AgiTimeout raised.
        """
        target = asyncio.ensure_future(awaitable)
        try:
            async with self._lock:
                self._ensure_usable("wait_for")
                return await self._race(target, timeout)
        finally:
            # Whatever ends the wait (hang-up, timeout, our own cancellation), the awaited
            # thing must not outlive it.
            await _cancel(target)

    # -- convenience commands ----------------------------------------------------------------

    async def answer(self) -> None:
        _channel_result(await self.command("ANSWER"), "ANSWER")

    async def stream_file(
        self, filename: str, escape_digits: str = "", *, reply_timeout: float | None = None
    ) -> str:
        """Play a prompt; return the escape digit pressed, or "".

        Asterisk reports a missing file and a hang-up alike as result=-1; both raise
        AgiChannelHungUp, and a real hang-up is confirmed by the HANGUP notice that follows.
        """
        reply = await self.command(
            "STREAM FILE", filename, escape_digits, reply_timeout=reply_timeout
        )
        return _digit(_channel_result(reply, "STREAM FILE"), "STREAM FILE")

    async def control_stream_file(
        self, filename: str, escape_digits: str = "", *, reply_timeout: float | None = None
    ) -> str:
        """Play a prompt that AMI ``ControlPlayback`` can stop; return the escape digit
        pressed, or "" (played to the end, or stopped through AMI: Asterisk then answers
        result=0 and sets CPLAYBACKSTATUS=REMOTESTOPPED).

        The skip is 0 ms, so the fast-forward and rewind keys (``#`` and ``*``) change nothing:
        to the caller it plays as STREAM FILE does. Failures are reported as for STREAM FILE.
        """
        reply = await self.command(
            "CONTROL STREAM FILE", filename, escape_digits, 0, reply_timeout=reply_timeout
        )
        return _digit(_channel_result(reply, "CONTROL STREAM FILE"), "CONTROL STREAM FILE")

    async def get_data(
        self, filename: str, timeout_ms: int, max_digits: int, *, reply_timeout: float | None = None
    ) -> str:
        """Play a prompt and collect up to `max_digits` digits (those typed before a timeout)."""
        if reply_timeout is None:
            per_digit = timeout_ms if timeout_ms > 0 else _DEFAULT_DIGIT_TIMEOUT_MS
            reply_timeout = self._command_timeout + per_digit * (max_digits + 1) / 1000
        reply = await self.command(
            "GET DATA", filename, timeout_ms, max_digits, reply_timeout=reply_timeout
        )
        if reply.result is not None and reply.result < 0:
            raise AgiChannelHungUp(f"{self._tag}: GET DATA result={reply.result}")
        if not _DIGITS.fullmatch(reply.result_text):
            raise AgiProtocolError(f"GET DATA returned {sanitize_text(reply.result_text)!r}")
        return reply.result_text

    async def wait_for_digit(self, timeout_ms: int, *, reply_timeout: float | None = None) -> str:
        """Wait for one DTMF digit; return it, or "" if none came. timeout_ms=-1 waits forever."""
        if reply_timeout is None:
            reply_timeout = (
                math.inf if timeout_ms < 0 else self._command_timeout + timeout_ms / 1000
            )
        reply = await self.command("WAIT FOR DIGIT", timeout_ms, reply_timeout=reply_timeout)
        return _digit(_channel_result(reply, "WAIT FOR DIGIT"), "WAIT FOR DIGIT")

    async def record_file(
        self,
        filename: str,
        fmt: str,
        escape_digits: str,
        timeout_ms: int,
        *,
        silence_s: int = 0,
        beep: bool = True,
        reply_timeout: float | None = None,
    ) -> tuple[str, int]:
        """Record the caller into ``filename.fmt`` (a path as Asterisk sees it) until a key in
        ``escape_digits``, ``timeout_ms``, ``silence_s`` seconds of silence or a hang-up.

        Returns (the key that ended it or "", samples recorded). On a hang-up Asterisk keeps
        what was recorded and AgiChannelHungUp is raised.
        """
        args: list[str | int] = [filename, fmt, escape_digits, timeout_ms]
        if beep:
            args.append("BEEP")
        if silence_s > 0:
            args.append(f"s={silence_s}")
        if reply_timeout is None:
            reply_timeout = self._command_timeout + timeout_ms / 1000
        reply = await self.command("RECORD FILE", *args, reply_timeout=reply_timeout)
        key = _digit(_channel_result(reply, "RECORD FILE"), "RECORD FILE")
        return key, reply.endpos or 0

    async def set_variable(self, name: str, value: str) -> None:
        await self.command("SET VARIABLE", name, value)

    async def get_variable(self, name: str) -> str | None:
        """Return the variable's value, or None if it is not set."""
        reply = await self.command("GET VARIABLE", name)
        return (reply.data or "") if reply.result == 1 else None

    async def set_music(self, on: bool, moh_class: str = "default") -> None:
        await self.command("SET MUSIC", "on" if on else "off", moh_class)

    async def exec_app(
        self, app: str, options: str = "", *, reply_timeout: float | None = None
    ) -> int:
        """Run a dialplan application and return its result (-2: no such application).

        Long-running applications (Dial, Queue) need a `reply_timeout`, or math.inf.
        """
        if not _APP_NAME.fullmatch(app):
            raise AgiUnsafeArgument(f"not an application name: {app[:40]!r}")
        reply = await self.command("EXEC", app, options, reply_timeout=reply_timeout)
        return _numeric(reply, "EXEC")

    async def verbose(self, message: str, level: int = 1) -> None:
        # A log line must never fail a call, so it is cleaned rather than refused.
        await self.command("VERBOSE", sanitize_text(message, 1000), level)

    async def hangup(self) -> None:
        await self.command("HANGUP")
        self._mark_hung_up("hung up by us")

    # -- internals -----------------------------------------------------------------------

    def _budget(self, reply_timeout: float | None) -> float | None:
        if reply_timeout is None:
            return self._command_timeout
        return None if math.isinf(reply_timeout) else reply_timeout

    def _ensure_usable(self, what: str) -> None:
        if self._hung_up:
            raise AgiChannelHungUp(f"{self._tag}: {what}: channel already hung up")
        if self._failure is not None:
            raise AgiProtocolError(f"{self._tag}: {what}: session unusable") from self._failure

    def _mark_hung_up(self, why: str) -> None:
        if not self._hung_up:
            self._hung_up = True
            log.debug("%s: caller gone (%s)", self._tag, why)

    async def _exchange(
        self, name: str, line: bytes, budget: float | None
    ) -> AgiReply | AgiErrorReply:
        log.debug("%s: -> %s", self._tag, sanitize_text(line.decode("utf-8"), 200))
        answered = False
        try:
            async with asyncio.timeout(budget):
                self._writer.write(line)
                await self._writer.drain()
                reply = await self._read_reply()
                answered = True
                return reply
        except TimeoutError:
            raise AgiTimeout(f"{self._tag}: {name}: no reply within {budget}s") from None
        except ConnectionError as exc:
            self._mark_hung_up("connection lost")
            raise AgiChannelHungUp(f"{self._tag}: {name}: connection lost") from exc
        finally:
            if not answered and not self._hung_up:
                self._stale_replies += 1

    async def _read_reply(self) -> AgiReply | AgiErrorReply:
        while True:
            event = await self._next_event()
            if isinstance(event, AgiHangupNotice):
                self._mark_hung_up("HANGUP notice")
                raise AgiChannelHungUp(f"{self._tag}: HANGUP notice")
            if isinstance(event, AgiProvisional) or self._skip_stale(event):
                continue
            log.debug("%s: <- %s", self._tag, _loggable(event.raw))
            return event

    def _skip_stale(self, event: AgiReply | AgiErrorReply) -> bool:
        """True if the reply belongs to a command we already gave up on."""
        if self._stale_replies > 0:
            self._stale_replies -= 1
            log.debug("%s: dropped late reply %s", self._tag, sanitize_text(event.raw, 200))
            return True
        return False

    async def _next_event(self) -> AgiEvent:
        while True:
            try:
                event = self._parser.next_event()
            except AgiProtocolError as exc:
                self._failure = exc
                raise
            if event is not None:
                return event
            self._parser.receive_data(await self._read_some())

    async def _read_some(self) -> bytes:
        try:
            data = await self._reader.read(_READ_SIZE)
        except ConnectionError as exc:
            self._mark_hung_up("connection reset")
            raise AgiChannelHungUp(f"{self._tag}: connection reset") from exc
        if not data:
            self._mark_hung_up("connection closed")
            raise AgiChannelHungUp(f"{self._tag}: Asterisk closed the connection")
        return data

    async def _race(self, target: asyncio.Future[_T], limit: float | None) -> _T:
        watcher = asyncio.create_task(self._watch_idle(), name=f"agi-watch-{self._tag}")
        try:
            done, _ = await asyncio.wait(
                (target, watcher), timeout=limit, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            await _cancel(watcher)
        if target in done:
            return target.result()
        if watcher in done:
            raise watcher.result()
        raise AgiTimeout(f"{self._tag}: wait_for: nothing within {limit}s")

    async def _watch_idle(self) -> AgiError:
        """Read the socket while no command is in flight; return the error that ends the wait."""
        try:
            while True:
                event = await self._next_event()
                if isinstance(event, AgiHangupNotice):
                    self._mark_hung_up("HANGUP notice while waiting")
                    return AgiChannelHungUp(f"{self._tag}: HANGUP notice while waiting")
                if not isinstance(event, AgiProvisional) and not self._skip_stale(event):
                    detail = sanitize_text(event.raw, 200)
                    self._failure = AgiProtocolError(f"unsolicited reply while idle: {detail!r}")
                    return self._failure
        except AgiError as exc:
            return exc


async def _cancel(future: asyncio.Future[_T]) -> None:
    """Cancel a future if still pending and wait until it has really finished."""
    if not future.done():
        future.cancel()
        await asyncio.wait((future,))


def _numeric(reply: AgiReply, name: str) -> int:
    if reply.result is None:
        raise AgiProtocolError(f"{name}: non-numeric result {sanitize_text(reply.result_text)!r}")
    return reply.result


def _channel_result(reply: AgiReply, name: str) -> int:
    """Result of a channel operation, where -1 means the channel is gone."""
    result = _numeric(reply, name)
    if result < 0:
        raise AgiChannelHungUp(f"{name}: result={result}")
    return result


def _digit(code: int, name: str) -> str:
    # Asterisk reports the key pressed as its ASCII code; 0 means no key.
    if code == 0:
        return ""
    if code >= 128:
        raise AgiProtocolError(f"{name}: result {code} is not a DTMF character code")
    return chr(code)


_KEYED = re.compile(r"result=([0-9*#A-D]{5,})")


def _loggable(raw: str) -> str:
    """A reply as logged: keys a caller typed (an ID number, a phone number) only as a count."""
    return _KEYED.sub(lambda m: f"result=<{len(m.group(1))} keys>", sanitize_text(raw, 200))
