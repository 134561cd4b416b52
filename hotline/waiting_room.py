"""What a caller's FastAGI session does while the caller waits for an agent.

Music on hold; after ``announce_after_s`` and every ``announce_every_s`` the caller's place and
estimated wait, then the choices: 1 for a callback that keeps their place, 2 to leave a message.
A key pressed while music plays is reported by AMI (``Controller.caller_key``); one pressed
during an announcement ends the announcement. Waiting itself is never interrupted: the offer can
arrive at any moment, and while the caller is making a choice their place is held (taken out of
routing, not lost) and given back if they change their mind. An offer that arrives during an
announcement stops it (CONTROL STREAM FILE, stopped through ``PlaybackControl``): FastAGI runs
one command at a time, so the offer would otherwise wait for the announcement's end.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agi import AgiChannelHungUp, AgiSession, AgiTimeout
from hotline.call_flow_config import CallFlowConfig
from hotline.controller import Controller
from hotline.playback import PlaybackControl
from hotline.storage import StepKind
from hotline.storage.records import JsonValue
from ivr import queue_choices as qc
from ivr.phone_numbers import CallbackNumber, parse_callback_number
from ivr.prompt import Prompt
from ivr.queue_announcements import position_prompt
from queues.router import Offer

log = logging.getLogger("hotline.waiting_room")

REPLY_MARGIN_S = 10.0
CHOICE_KEYS = "".join(sorted(qc.CHOICES))  # sorted: the same command every run
CONFIRM_KEYS = "12*"
KEY_TIMEOUT_MS = 6000
NUMBER_TIMEOUT_MS = 8000
MESSAGE_MAX_MS = 120_000
MESSAGE_SILENCE_S = 5
MESSAGE_MIN_MS = 700
SAMPLES_PER_MS = 8
CHOICES_FROM_WAIT_S = 60.0
"""The choices are announced when the estimated wait is at least this long (or unknown)."""


@dataclass(frozen=True)
class LeftQueue:
    """The caller left the queue by choice; the session says goodbye and ends the call."""

    reason: str


Dialogue = Callable[[AgiSession], Awaitable[LeftQueue | None]]
"""A choice's dialogue with the caller: LeftQueue when the caller left the queue."""


class WaitingRoom:
    def __init__(
        self, controller: Controller, config: CallFlowConfig, playback: PlaybackControl
    ) -> None:
        self.controller = controller
        self.config = config
        self.playback = playback

    async def wait(self, session: AgiSession, waiting: asyncio.Future[Offer]) -> Offer | LeftQueue:
        """Wait for the offer; between announcements the caller may make a choice."""
        uniqueid = session.env.uniqueid
        delay = self.config.announce_after_s
        while True:
            nudge = self.controller.keys.listen(uniqueid)
            try:
                await session.wait_for(_either(waiting, nudge), timeout=delay)
            except AgiTimeout:
                choice = await self._announce(session, waiting)
                delay = self.config.announce_every_s
            else:
                choice = nudge.result() if nudge.done() and not nudge.cancelled() else ""
            finally:
                self.controller.keys.stop_listening(uniqueid, nudge)
            if choice == qc.LONG_WAIT_NUDGE and not waiting.done():
                choice = await self._announce_prompt(session, qc.LONG_WAIT, waiting)
                if not waiting.done():
                    # Playing a file stops music on hold: turn it back on for the wait.
                    await session.set_music(True)
            if waiting.done():
                return waiting.result()
            left = await self._choose(session, choice)
            if left is not None:
                return left

    async def _announce(self, session: AgiSession, waiting: asyncio.Future[Offer]) -> str:
        """Place and estimated wait, then the choices; returns a choice key pressed, or "".
        Ends as soon as the offer arrives (music stays off: the agent's ringing follows)."""
        status = self.controller.queue_status(session.env.uniqueid)
        if status is None or waiting.done():
            return ""
        position, estimate = status
        prompt = position_prompt(position, estimate)
        prompts = self.config.dynamic_prompts
        ready = prompts.ready_path(prompt)
        path, seconds = (
            ready if ready is not None else await asyncio.to_thread(prompts.path, prompt)
        )
        self._step(
            session, StepKind.IVR_PROMPT, prompt=prompt.name, position=position,
            estimate_s=round(estimate) if estimate is not None else None,
        )  # fmt: skip
        await session.set_music(False)
        key = await self._until_offer(session, path, seconds, waiting)
        if not key and not waiting.done() and self._choices_offered() and _long_wait(estimate):
            key = await self._announce_prompt(session, qc.OPTIONS, waiting)
        if not waiting.done():
            await session.set_music(True)
        return key

    async def _announce_prompt(
        self, session: AgiSession, prompt: Prompt, waiting: asyncio.Future[Offer]
    ) -> str:
        self._step(session, StepKind.IVR_PROMPT, prompt=prompt.name)
        path, seconds = self.config.prompt_path(prompt), self.config.prompt_seconds(prompt)
        return await self._until_offer(session, path, seconds, waiting)

    async def _until_offer(
        self, session: AgiSession, path: str, seconds: float, waiting: asyncio.Future[Offer]
    ) -> str:
        """Play an announcement while waiting; if the offer arrives first, stop it, so the offer
        does not wait for its end. Returns a choice key pressed, or ""."""
        if waiting.done():
            # The offer came while the announcement was being prepared. Starting it only to stop
            # it would race: a stop that reaches the channel before the command is discarded by
            # the idle AGI, and the announcement then plays to its end before the Dial.
            return ""
        playing = asyncio.ensure_future(
            session.control_stream_file(path, CHOICE_KEYS, reply_timeout=seconds + REPLY_MARGIN_S)
        )
        try:
            await asyncio.wait((playing, waiting), return_when=asyncio.FIRST_COMPLETED)
            if not playing.done():
                self.controller.prompt_stopped_for_offer(session.env.uniqueid)
                await self._stop_playback(session)
            key = await playing
        finally:
            playing.cancel()  # only if still playing: this wait itself was cancelled
        self.controller.keys.consumed(session.env.uniqueid, key)
        return key

    async def _stop_playback(self, session: AgiSession) -> None:
        env = session.env
        if not env.channel or not await self.playback.stop(env.channel):
            log.info("call %s: the announcement plays out before the offer", env.uniqueid)

    def _choices_offered(self) -> bool:
        return self.controller.callbacks is not None or self.config.message_dir is not None

    async def _choose(self, session: AgiSession, key: str) -> LeftQueue | None:
        if key == qc.QueueChoice.CALLBACK and self.controller.callbacks is not None:
            return await self._held(session, key, self._callback)
        if key == qc.QueueChoice.MESSAGE and self.config.message_dir is not None:
            return await self._held(session, key, self._message)
        return None

    async def _held(self, session: AgiSession, key: str, dialogue: Dialogue) -> LeftQueue | None:
        """Run a choice's dialogue with the caller's place held; give it back unless they left."""
        uniqueid = session.env.uniqueid
        if not self.controller.hold_place(uniqueid):
            return None  # an agent was found at this very moment: the offer wins
        self._step(session, StepKind.CALLER_CHOICE, key=key)
        left: LeftQueue | None = None
        try:
            await session.set_music(False)
            left = await dialogue(session)
        finally:
            if left is None:
                self.controller.resume_place(uniqueid)
        if left is not None:
            return left
        await self._play(session, qc.BACK_TO_QUEUE, "", music_after=True)
        return None

    # ---- callback -----------------------------------------------------------------------------
    async def _callback(self, session: AgiSession) -> LeftQueue | None:
        trace = self.controller.trace(session.env.uniqueid)
        number = parse_callback_number(trace.caller_number if trace else "")
        for _ in range(3):
            if number is None:
                number = await self._ask_number(session)
                if number is None:
                    return None
            answer = await self._confirm(session, number)
            if answer == "1":
                return await self._book(session, number)
            if answer != "2":
                return None
            number = None
        return None

    async def _confirm(self, session: AgiSession, number: CallbackNumber) -> str:
        for prompt in (qc.CONFIRM_NUMBER, *qc.digit_prompts(number.digits), qc.CONFIRM_CHOICE):
            key = await self._play(session, prompt, CONFIRM_KEYS)
            if key:
                return key
        key = await session.wait_for_digit(KEY_TIMEOUT_MS)
        self.controller.keys.consumed(session.env.uniqueid, key)
        return key

    async def _ask_number(self, session: AgiSession) -> CallbackNumber | None:
        prompt = qc.ENTER_NUMBER
        budget = self.config.prompt_seconds(prompt) + NUMBER_TIMEOUT_MS * 13 / 1000
        digits = await session.get_data(
            self.config.prompt_path(prompt), NUMBER_TIMEOUT_MS, 12, reply_timeout=budget
        )
        self.controller.keys.consumed(session.env.uniqueid, digits)
        number = parse_callback_number(digits)
        if number is None:
            self._step(session, StepKind.IVR_INPUT, invalid_callback_number=len(digits))
            await self._play(session, qc.INVALID_NUMBER, "")
        return number

    async def _book(self, session: AgiSession, number: CallbackNumber) -> LeftQueue | None:
        if self.controller.book_callback(session.env.uniqueid, number.digits) is None:
            return None
        await self._play(session, qc.BOOKED, "")
        return LeftQueue("callback")

    # ---- voice message ------------------------------------------------------------------------
    async def _message(self, session: AgiSession) -> LeftQueue | None:
        assert self.config.message_dir is not None  # checked by _choose
        uniqueid = session.env.uniqueid
        stem = "msg-" + "".join(c if c.isalnum() else "-" for c in uniqueid)
        inside = f"{self.config.message_dir}/{stem}"
        await self._play(session, qc.LEAVE_MESSAGE, "")
        try:
            key, samples = await session.record_file(
                inside, "wav", "#", MESSAGE_MAX_MS, silence_s=MESSAGE_SILENCE_S,
                reply_timeout=MESSAGE_MAX_MS / 1000 + REPLY_MARGIN_S,
            )  # fmt: skip
        except AgiChannelHungUp:
            # What was said before the hang-up is kept: that is the message.
            self._keep_message(uniqueid, inside, await self._recorded_ms(stem))
            raise
        self.controller.keys.consumed(uniqueid, key)
        duration_ms = samples // SAMPLES_PER_MS or await self._recorded_ms(stem)
        if duration_ms < MESSAGE_MIN_MS:
            await self._play(session, qc.MESSAGE_EMPTY, "")
            return None
        self._keep_message(uniqueid, inside, duration_ms)
        await self._play(session, qc.MESSAGE_SAVED, "")
        return LeftQueue("message")

    def _keep_message(self, uniqueid: str, inside: str, duration_ms: int) -> None:
        if duration_ms >= MESSAGE_MIN_MS:
            self.controller.message_left(uniqueid, f"{inside}.wav", duration_ms)

    async def _recorded_ms(self, stem: str) -> int:
        host_dir = self.config.message_host_dir
        if host_dir is None:
            return 0
        return await asyncio.to_thread(_wav_ms, host_dir / f"{stem}.wav")

    # ---- helpers ------------------------------------------------------------------------------
    async def _play(
        self, session: AgiSession, prompt: Prompt, keys: str, *, music_after: bool = False
    ) -> str:
        self._step(session, StepKind.IVR_PROMPT, prompt=prompt.name)
        seconds = self.config.prompt_seconds(prompt)
        key = await session.stream_file(
            self.config.prompt_path(prompt), keys, reply_timeout=seconds + REPLY_MARGIN_S
        )
        self.controller.keys.consumed(session.env.uniqueid, key)
        if music_after:
            await session.set_music(True)
        return key

    def _step(self, session: AgiSession, kind: StepKind, **detail: JsonValue) -> None:
        trace = self.controller.trace(session.env.uniqueid)
        if trace is not None:
            trace.step(kind, self.controller.clock.wall(), **detail)


def _long_wait(estimate_s: float | None) -> bool:
    """Worth offering a callback or a message: the wait is long, or nobody can tell yet."""
    return estimate_s is None or estimate_s >= CHOICES_FROM_WAIT_S


def _either(*futures: asyncio.Future[Any]) -> asyncio.Future[None]:
    """A future done as soon as one of ``futures`` is (cancelling it leaves them alone).

    Callbacks rather than a task around asyncio.wait: the offer reaches the waiting caller's
    session without the extra turns of the event loop a task and asyncio.wait take, which count
    when the machine is busy.
    """
    either: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def settle(_: asyncio.Future[Any]) -> None:
        if not either.done():
            either.set_result(None)

    def detach(_: asyncio.Future[None]) -> None:
        for future in futures:
            future.remove_done_callback(settle)

    either.add_done_callback(detach)
    for future in futures:
        if future.done():
            settle(future)
        else:
            future.add_done_callback(settle)
    return either


def _wav_ms(path: Path) -> int:
    """Length of an 8 kHz 16-bit mono WAV as Asterisk writes it, from its size."""
    try:
        return max(0, (path.stat().st_size - 44) // 16)
    except OSError:
        return 0
