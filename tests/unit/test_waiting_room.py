"""The waiting room over a loopback FastAGI session, the test playing Asterisk: an offer that
arrives during an announcement stops it (through the playback port) instead of waiting for its
end; without the port's help the announcement plays out, as before."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from agi import AgiEnvironment, AgiSession
from ami import AmiTimeout
from hotline.ami_bridge import AmiPlayback
from hotline.call_flow_config import CallFlowConfig
from hotline.controller import Controller
from hotline.waiting_room import WaitingRoom
from ivr.prompt import Prompt
from queues.router import Offer, Router
from tests.unit.test_controller import CollectingPublisher, CollectingRecorder

CHANNEL = "PJSIP/trunk-0000002a"
ENV = AgiEnvironment(uniqueid="c1", channel=CHANNEL)
ANNOUNCEMENT_S = 30.0


@dataclass
class ScriptedAsterisk:
    """Answers every command at once, except CONTROL STREAM FILE: that one lasts
    ``announcement_s`` unless stopped (as AMI ControlPlayback stops it: result=0)."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    announcement_s: float = ANNOUNCEMENT_S
    commands: list[str] = field(default_factory=list)
    playing: asyncio.Event = field(default_factory=asyncio.Event)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    before_reply: dict[str, Callable[[], None]] = field(default_factory=dict)
    """Called when a command (by its exact text) arrives, before it is answered."""

    async def run(self) -> None:
        while line := await self.reader.readline():
            command = line.decode().strip()
            self.commands.append(command)
            if command in self.before_reply:
                self.before_reply.pop(command)()
            if command.startswith("CONTROL STREAM FILE"):
                self.writer.write(await self._play())
            else:
                self.writer.write(b"200 result=0\n")

    async def _play(self) -> bytes:
        self.playing.set()
        try:
            async with asyncio.timeout(self.announcement_s):
                await self.stop.wait()
            return b"200 result=0 endpos=1020\n"  # as Asterisk 22 answers a remote stop
        except TimeoutError:
            return b"200 result=0 endpos=-1\n"
        finally:
            self.playing.clear()
            self.stop.clear()


@dataclass
class FakePlayback:
    asterisk: ScriptedAsterisk
    reachable: bool = True
    stopped: list[str] = field(default_factory=list)

    async def stop(self, channel: str) -> bool:
        self.stopped.append(channel)
        if self.reachable:
            self.asterisk.stop.set()
        return self.reachable


class FakePrompts:
    def path(self, prompt: Prompt) -> tuple[str, float]:
        return f"/prompts/dynamic/{prompt.name}", ANNOUNCEMENT_S

    def ready_path(self, prompt: Prompt) -> tuple[str, float] | None:
        return None


@dataclass
class Lab:
    session: AgiSession
    asterisk: ScriptedAsterisk
    controller: Controller


@pytest.fixture
async def lab() -> AsyncIterator[Lab]:
    ours, theirs = socket.socketpair()
    reader, writer = await asyncio.open_connection(sock=ours)
    peer_reader, peer_writer = await asyncio.open_connection(sock=theirs)
    asterisk = ScriptedAsterisk(peer_reader, peer_writer, announcement_s=0.5)
    serving = asyncio.create_task(asterisk.run())
    controller = Controller(Router(), CollectingPublisher(), CollectingRecorder())
    controller.call_arrived("c1", "c1", "13800138000", "张三", "12333")
    yield Lab(AgiSession(reader, writer, ENV, command_timeout=2.0), asterisk, controller)
    serving.cancel()
    for w in (writer, peer_writer):
        w.close()
        with contextlib.suppress(OSError):
            await w.wait_closed()


def room(controller: Controller, playback: FakePlayback) -> WaitingRoom:
    unused: Any = None  # no IVR, callbacks or messages here
    config = CallFlowConfig(
        flow=unused, facts=unused, prompt_file=unused, book_callback=unused,
        save_survey=unused, prompt_path=lambda p: f"/prompts/{p.name}",
        prompt_seconds=lambda p: 1.0, dynamic_prompts=FakePrompts(), service_number="12333",
        announce_after_s=0.05, announce_every_s=60.0,
    )  # fmt: skip
    return WaitingRoom(controller, config, playback)


async def offered_mid_announcement(lab: Lab, playback: FakePlayback) -> tuple[Offer, float]:
    """The caller waits; an agent logs in while the announcement plays. The offer, and the
    seconds from the login to the waiting room handing the offer on."""
    waiting = asyncio.ensure_future(lab.controller.wait_for_agent("c1", "general", "pension"))
    wait = asyncio.create_task(room(lab.controller, playback).wait(lab.session, waiting))
    async with asyncio.timeout(2):
        await lab.asterisk.playing.wait()
    started = time.monotonic()
    lab.controller.login("A1", "seat001")
    async with asyncio.timeout(ANNOUNCEMENT_S):
        outcome = await wait
    assert isinstance(outcome, Offer)
    return outcome, time.monotonic() - started


async def test_given_an_announcement_playing_when_an_agent_is_found_then_it_is_stopped_at_once(
    lab: Lab,
) -> None:
    lab.asterisk.announcement_s = ANNOUNCEMENT_S
    playback = FakePlayback(lab.asterisk)

    offer, seconds = await offered_mid_announcement(lab, playback)

    assert offer == Offer("c1", "A1", "seat001")
    assert playback.stopped == [CHANNEL]
    assert seconds < 0.2
    # Music stays off once the agent is found: ringing the agent comes next.
    assert lab.asterisk.commands[-2:] == [
        'SET MUSIC "off" "default"',
        'CONTROL STREAM FILE "/prompts/dynamic/queue_position" "12" "0"',
    ]


async def test_given_an_offer_while_the_announcement_is_prepared_then_it_is_not_started(
    lab: Lab,
) -> None:
    # A stop sent for an announcement not yet playing is lost: it must not be started at all.
    playback = FakePlayback(lab.asterisk)
    login = lambda: lab.controller.login("A1", "seat001")  # noqa: E731
    lab.asterisk.before_reply['SET MUSIC "off" "default"'] = login
    waiting = asyncio.ensure_future(lab.controller.wait_for_agent("c1", "general", "pension"))

    async with asyncio.timeout(2):
        outcome = await room(lab.controller, playback).wait(lab.session, waiting)

    assert outcome == Offer("c1", "A1", "seat001")
    assert playback.stopped == []
    assert not any(c.startswith("CONTROL STREAM FILE") for c in lab.asterisk.commands)


async def test_given_ami_unreachable_when_an_agent_is_found_then_the_announcement_plays_out(
    lab: Lab,
) -> None:
    playback = FakePlayback(lab.asterisk, reachable=False)

    offer, seconds = await offered_mid_announcement(lab, playback)

    assert offer.agent == "A1"
    assert playback.stopped == [CHANNEL]
    assert 0.3 < seconds < 2.0  # the rest of the 0.5 s announcement


async def test_given_no_agent_when_the_announcement_ends_then_music_again_and_nothing_stopped(
    lab: Lab,
) -> None:
    playback = FakePlayback(lab.asterisk)
    waiting = asyncio.ensure_future(lab.controller.wait_for_agent("c1", "general", "pension"))
    wait = asyncio.create_task(room(lab.controller, playback).wait(lab.session, waiting))
    async with asyncio.timeout(2):
        await lab.asterisk.playing.wait()
    await asyncio.sleep(0.8)

    assert playback.stopped == []
    assert lab.asterisk.commands[-1] == 'SET MUSIC "on" "default"'
    wait.cancel()
    waiting.cancel()
    await asyncio.gather(wait, waiting, return_exceptions=True)


# -- the AMI side of the port -------------------------------------------------------------------


@dataclass
class FakeAmi:
    connected: bool = True
    error: Exception | None = None
    sent: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    async def action(self, name: str, fields: dict[str, str], *, timeout: float) -> None:
        self.sent.append((name, dict(fields)))
        if self.error is not None:
            raise self.error


async def test_given_ami_up_when_stopping_then_control_playback_stop_is_sent() -> None:
    ami = FakeAmi()
    assert await AmiPlayback(ami).stop(CHANNEL)  # type: ignore[arg-type]
    assert ami.sent == [("ControlPlayback", {"Channel": CHANNEL, "Control": "stop"})]


@pytest.mark.parametrize(
    "ami", [FakeAmi(connected=False), FakeAmi(error=AmiTimeout("ControlPlayback", "7", 1.0))]
)
async def test_given_ami_down_or_slow_when_stopping_then_false(ami: FakeAmi) -> None:
    assert not await AmiPlayback(ami).stop(CHANNEL)  # type: ignore[arg-type]
    assert len(ami.sent) == (1 if ami.connected else 0)


async def test_given_two_futures_when_one_is_done_then_either_is_done() -> None:
    from hotline.waiting_room import _either  # noqa: PLC0415

    loop = asyncio.get_running_loop()
    offer, nudge = loop.create_future(), loop.create_future()
    either = _either(offer, nudge)
    assert not either.done()
    nudge.set_result("1")
    await asyncio.sleep(0)
    assert either.done()
    waiting: asyncio.Future[None] = loop.create_future()
    again = _either(waiting, loop.create_future())
    again.cancel()
    await asyncio.sleep(0)
    assert not waiting.cancelled()
    waiting.set_result(None)  # no callback left behind on a cancelled "either"
    already = _either(waiting)
    assert already.done()
