"""AgiSession over a loopback socket pair, with the test playing Asterisk."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import unicodedata
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import pytest

from agi import (
    AgiChannelHungUp,
    AgiDeadChannel,
    AgiEnvironment,
    AgiInvalidCommand,
    AgiProtocolError,
    AgiSession,
    AgiTimeout,
    AgiUnsafeArgument,
    AgiUsageError,
    sanitize_text,
)
from tests.unit.test_agi_reference import split_command_line

ENV = AgiEnvironment(uniqueid="1764285000.12", calleridname='Evil"\nEXEC System "rm -rf /"')


@dataclass
class FakeAsterisk:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def expect(self) -> bytes:
        async with asyncio.timeout(5):
            return await self.reader.readline()

    def send(self, data: bytes) -> None:
        self.writer.write(data)

    async def silent_for(self, seconds: float = 0.2) -> bool:
        """True if the session wrote nothing at all for `seconds`."""
        try:
            async with asyncio.timeout(seconds):
                await self.reader.read(1)
        except TimeoutError:
            return True
        return False

    async def answer(self, reply: bytes) -> bytes:
        line = await self.expect()
        self.send(reply)
        return line


SessionFactory = Callable[..., Awaitable[tuple[AgiSession, FakeAsterisk]]]


@pytest.fixture
async def connect() -> AsyncIterator[SessionFactory]:
    writers: list[asyncio.StreamWriter] = []

    async def make(**kwargs: object) -> tuple[AgiSession, FakeAsterisk]:
        ours, theirs = socket.socketpair()
        reader, writer = await asyncio.open_connection(sock=ours)
        peer_reader, peer_writer = await asyncio.open_connection(sock=theirs)
        writers.extend((writer, peer_writer))
        options: dict[str, object] = {"command_timeout": 2.0, **kwargs}
        session = AgiSession(reader, writer, ENV, **options)  # type: ignore[arg-type]
        return session, FakeAsterisk(peer_reader, peer_writer)

    yield make
    for writer in writers:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


# -- the command primitive ------------------------------------------------------------------


async def test_given_command_when_asterisk_replies_200_then_reply_returned(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()

    pending = asyncio.create_task(session.command("GET VARIABLE", "CHANNEL(state)"))
    line = await asterisk.answer(b"200 result=1 (Up)\n")
    reply = await pending

    assert line == b'GET VARIABLE "CHANNEL(state)"\n'
    assert (reply.result, reply.data) == (1, "Up")


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"510 Invalid or unknown command\n", AgiInvalidCommand),
        (b"511 Command Not Permitted on a dead channel or intercept routine\n", AgiDeadChannel),
        (
            b"520-Invalid command syntax.  Proper usage follows:\n"
            b" Usage: STREAM FILE <filename> <escape digits>\n"
            b"520 End of proper usage.\n",
            AgiUsageError,
        ),
    ],
)
async def test_given_error_code_when_command_then_mapped_exception(
    connect: SessionFactory, answer: bytes, error: type[Exception]
) -> None:
    session, asterisk = await connect()
    asterisk.send(answer)

    with pytest.raises(error):
        await session.command("STREAM FILE", "x", "")
    assert not session.hung_up


async def test_given_provisional_100_when_command_then_waits_for_final_reply(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()
    asterisk.send(b"100 result=0 Trying...\n200 result=0\n")

    reply = await session.command("ANSWER")

    assert reply.result == 0


async def test_given_hangup_notice_when_command_then_hung_up_and_later_commands_not_written(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()
    asterisk.send(b"HANGUP\n")

    with pytest.raises(AgiChannelHungUp):
        await session.command("ANSWER")
    assert await asterisk.expect() == b"ANSWER\n"
    assert session.hung_up

    with pytest.raises(AgiChannelHungUp):
        await session.command("VERBOSE", "still there?", 1)
    assert await asterisk.silent_for()


async def test_given_asterisk_closes_socket_when_command_then_channel_hung_up(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()
    asterisk.writer.close()

    with pytest.raises(AgiChannelHungUp):
        await session.command("ANSWER")
    assert session.hung_up


async def test_given_no_reply_when_timeout_then_agi_timeout_and_late_reply_is_skipped(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()

    with pytest.raises(AgiTimeout):
        await session.command("EXEC", "Wait", "5", reply_timeout=0.1)
    asterisk.send(b"200 result=5\n")  # the late answer to EXEC

    pending = asyncio.create_task(session.command("ANSWER"))
    assert await asterisk.expect() == b'EXEC "Wait" "5"\n'
    assert await asterisk.answer(b"200 result=7\n") == b"ANSWER\n"
    assert (await pending).result == 7


async def test_given_cancelled_command_when_next_command_then_replies_stay_matched(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()
    first = asyncio.create_task(session.command("STREAM FILE", "long-prompt", ""))
    await asterisk.expect()
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first

    asterisk.send(b"200 result=0 endpos=1000\n")
    second = asyncio.create_task(session.command("GET VARIABLE", "X"))
    await asterisk.answer(b"200 result=1 (mine)\n")

    assert (await second).data == "mine"


async def test_given_two_concurrent_commands_then_second_is_written_after_first_reply(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()
    first = asyncio.create_task(session.command("ANSWER"))
    second = asyncio.create_task(session.command("VERBOSE", "hi", 1))

    assert await asterisk.expect() == b"ANSWER\n"
    assert await asterisk.silent_for(), "AGI is half-duplex: one command at a time"
    asterisk.send(b"200 result=0\n")
    assert await asterisk.answer(b"200 result=1\n") == b'VERBOSE "hi" "1"\n'
    await asyncio.gather(first, second)


async def test_given_garbage_reply_when_command_then_protocol_error_and_session_unusable(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()
    asterisk.send(b"garbage\n")

    with pytest.raises(AgiProtocolError):
        await session.command("ANSWER")
    await asterisk.expect()
    with pytest.raises(AgiProtocolError):
        await session.command("ANSWER")
    assert await asterisk.silent_for()


async def test_given_caller_name_with_newline_when_sanitized_and_set_then_exactly_one_line(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()

    with pytest.raises(AgiUnsafeArgument):
        await session.set_variable("CALLER_NAME", session.env.calleridname)
    pending = asyncio.create_task(
        session.set_variable("CALLER_NAME", sanitize_text(session.env.calleridname))
    )
    line = await asterisk.answer(b"200 result=1\n")
    await pending

    assert split_command_line(line) == [
        "SET",
        "VARIABLE",
        "CALLER_NAME",
        'Evil" EXEC System "rm -rf /"',
    ]
    assert await asterisk.silent_for()


# -- convenience methods ----------------------------------------------------------------------

Call = Callable[[AgiSession], Coroutine[Any, Any, object]]


@pytest.mark.parametrize(
    ("call", "reply", "line", "expected"),
    [
        (lambda s: s.answer(), b"200 result=0", b"ANSWER", None),
        (
            lambda s: s.stream_file("welcome", "12"),
            b"200 result=49 endpos=8000",
            b'STREAM FILE "welcome" "12"',
            "1",
        ),
        (lambda s: s.stream_file("welcome"), b"200 result=0 endpos=8000", None, ""),
        (
            lambda s: s.control_stream_file("place", "12"),
            b"200 result=50 endpos=900",
            b'CONTROL STREAM FILE "place" "12" "0"',
            "2",
        ),
        # Stopped by AMI ControlPlayback (recorded from Asterisk 22): no key.
        (lambda s: s.control_stream_file("place", "12"), b"200 result=0 endpos=1020", None, ""),
        (
            lambda s: s.get_data("menu", 3000, 4),
            b"200 result=12 (timeout)",
            b'GET DATA "menu" "3000" "4"',
            "12",
        ),
        (lambda s: s.get_data("menu", 3000, 4), b"200 result=0012", None, "0012"),
        (lambda s: s.get_data("menu", 3000, 4), b"200 result=12*", None, "12*"),
        (lambda s: s.get_data("menu", 3000, 4), b"200 result= (timeout)", None, ""),
        (lambda s: s.wait_for_digit(5000), b"200 result=50", b'WAIT FOR DIGIT "5000"', "2"),
        (lambda s: s.wait_for_digit(5000), b"200 result=35", None, "#"),
        (lambda s: s.wait_for_digit(5000), b"200 result=0", None, ""),
        (lambda s: s.get_variable("X"), b"200 result=1 (v (a) l)", b'GET VARIABLE "X"', "v (a) l"),
        (lambda s: s.get_variable("X"), b"200 result=0", None, None),
        (
            lambda s: s.set_variable("QUEUE", "热线"),
            b"200 result=1",
            'SET VARIABLE "QUEUE" "热线"'.encode(),
            None,
        ),
        (lambda s: s.set_music(True), b"200 result=0", b'SET MUSIC "on" "default"', None),
        (
            lambda s: s.set_music(False, "hotline"),
            b"200 result=0",
            b'SET MUSIC "off" "hotline"',
            None,
        ),
        (lambda s: s.exec_app("Playback", "a&b"), b"200 result=0", b'EXEC "Playback" "a&b"', 0),
        (lambda s: s.exec_app("NoSuchApp"), b"200 result=-2", b'EXEC "NoSuchApp" ""', -2),
        (lambda s: s.verbose("a\nb\x1b", 2), b"200 result=1", b'VERBOSE "a b " "2"', None),
    ],
)
async def test_given_convenience_call_when_asterisk_replies_then_typed_result(
    connect: SessionFactory, call: Call, reply: bytes, line: bytes | None, expected: object
) -> None:
    session, asterisk = await connect()

    pending = asyncio.create_task(call(session))
    written = await asterisk.answer(reply + b"\n")

    assert await pending == expected
    if line is not None:
        assert written == line + b"\n"


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.answer(),
        lambda s: s.stream_file("welcome", "1"),
        lambda s: s.get_data("menu", 3000, 4),
        lambda s: s.wait_for_digit(5000),
    ],
)
async def test_given_result_minus_one_on_channel_operation_then_channel_hung_up(
    connect: SessionFactory, call: Call
) -> None:
    session, asterisk = await connect()
    asterisk.send(b"200 result=-1\n")

    with pytest.raises(AgiChannelHungUp):
        await call(session)


async def test_given_hangup_command_when_done_then_session_is_hung_up(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()
    asterisk.send(b"200 result=1\n")

    await session.hangup()

    assert session.hung_up


async def test_given_unsafe_application_name_when_exec_then_refused_without_writing(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()

    with pytest.raises(AgiUnsafeArgument):
        await session.exec_app("System rm")
    assert await asterisk.silent_for()


# -- wait_for ----------------------------------------------------------------------------------


async def test_given_event_arrives_first_when_wait_for_then_result_and_nothing_written(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()
    loop = asyncio.get_running_loop()
    offer: asyncio.Future[str] = loop.create_future()
    loop.call_later(0.05, offer.set_result, "agent-1001")

    assert await session.wait_for(offer) == "agent-1001"
    assert await asterisk.silent_for(0.05)
    asterisk.send(b"200 result=0\n")
    assert (await session.command("ANSWER")).result == 0


async def test_given_hangup_notice_when_wait_for_then_awaitable_cancelled_and_hung_up(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()
    offer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_later(0.05, asterisk.send, b"HANGUP\n")

    with pytest.raises(AgiChannelHungUp):
        await session.wait_for(offer, timeout=5)

    assert offer.cancelled()
    assert session.hung_up


async def test_given_socket_closed_when_wait_for_then_coroutine_cancelled(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()
    cancelled = asyncio.Event()

    async def choose_agent() -> str:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "never"

    asyncio.get_running_loop().call_later(0.05, asterisk.writer.close)

    with pytest.raises(AgiChannelHungUp):
        await session.wait_for(choose_agent(), timeout=5)
    assert cancelled.is_set()


async def test_given_hangup_right_behind_environment_when_wait_for_then_immediate(
    connect: SessionFactory,
) -> None:
    session, _ = await connect(pending=b"HANGUP\n")
    offer: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    with pytest.raises(AgiChannelHungUp):
        await session.wait_for(offer, timeout=5)
    assert offer.cancelled()


async def test_given_nothing_happens_when_wait_for_times_out_then_agi_timeout_and_cancelled(
    connect: SessionFactory,
) -> None:
    session, _ = await connect()
    offer: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    with pytest.raises(AgiTimeout):
        await session.wait_for(offer, timeout=0.05)
    assert offer.cancelled()
    assert not session.hung_up


async def test_given_already_hung_up_when_wait_for_coroutine_then_it_never_runs(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()
    asterisk.send(b"HANGUP\n")
    with pytest.raises(AgiChannelHungUp):
        await session.command("ANSWER")
    ran = False

    async def choose_agent() -> None:
        nonlocal ran
        ran = True

    with pytest.raises(AgiChannelHungUp):
        await session.wait_for(choose_agent())
    assert not ran


async def test_given_waiting_task_cancelled_when_wait_for_then_awaitable_cancelled_too(
    connect: SessionFactory,
) -> None:
    session, _ = await connect()
    offer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    waiting = asyncio.create_task(session.wait_for(offer))
    await asyncio.sleep(0.02)

    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert offer.cancelled()


async def test_given_unsolicited_reply_when_wait_for_then_protocol_error(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()
    offer: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    asterisk.send(b"200 result=0\n")

    with pytest.raises(AgiProtocolError):
        await session.wait_for(offer, timeout=5)
    assert offer.cancelled()


async def test_given_late_reply_of_timed_out_command_when_wait_for_then_it_is_skipped(
    connect: SessionFactory,
) -> None:
    session, asterisk = await connect()
    with pytest.raises(AgiTimeout):
        await session.command("ANSWER", reply_timeout=0.05)
    loop = asyncio.get_running_loop()
    offer: asyncio.Future[str] = loop.create_future()
    asterisk.send(b"200 result=0\n")
    loop.call_later(0.1, offer.set_result, "agent-1001")

    assert await session.wait_for(offer, timeout=5) == "agent-1001"


async def test_given_caller_controlled_text_when_logged_then_no_control_characters(
    connect: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hotline.agi")
    session, asterisk = await connect()
    asterisk.send(b"200 result=1 (evil\x1b[2J\rname)\nHANGUP\n")

    await session.get_variable("CALLERID(name)")
    with pytest.raises(AgiChannelHungUp):
        await session.verbose("x\ny")

    messages = [record.getMessage() for record in caplog.records]
    assert messages
    assert all(unicodedata.category(ch) != "Cc" for message in messages for ch in message)
    assert all(ENV.uniqueid in message for message in messages)
