"""Carries a caller's IVR flow out on their FastAGI session: the interpreter decides, this plays.

One loop (``run``): effects from ivr.interpreter are executed in order; a ``Collect`` is asked
with GET DATA and its digits go back to the interpreter; a ``Route`` or a ``Hangup`` ends it.
Everything the call's path needs (node entered, wrong key, silence) comes from the
interpreter's ``Step`` effects, already masked where the digits are personal.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from agi import AgiSession
from hotline.controller import Controller
from hotline.events import CallIvrStep
from hotline.storage import StepKind
from ivr.interpreter import (
    BookCallback,
    Collect,
    Effect,
    FlowRun,
    Hangup,
    IdentityGiven,
    Play,
    Route,
    Step,
)
from ivr.prompt import Prompt

log = logging.getLogger("hotline.ivr")

REPLY_MARGIN_S = 10.0
PUBLISHED_STEPS = frozenset({StepKind.IVR_NODE, StepKind.IVR_INVALID, StepKind.IVR_TIMEOUT})
PromptFile = Callable[[Prompt], tuple[str, float]]
"""A prompt's file as Asterisk names it (no extension) and its length in seconds."""
CallbackBooker = Callable[[str, BookCallback], bool]
"""Books an out-of-hours callback for the call (uniqueid); False if it could not be booked."""


@dataclass(frozen=True)
class IvrEnded:
    """The flow ended the call itself (a goodbye after self-service, a callback booked)."""

    node: str


class IvrSession:
    def __init__(self, controller: Controller, prompt_file: PromptFile,
                 book_callback: CallbackBooker) -> None:  # fmt: skip
        self.controller = controller
        self.prompt_file = prompt_file
        self.book_callback = book_callback

    async def run(self, session: AgiSession, run: FlowRun) -> Route | IvrEnded:
        pending: list[Effect] = run.start()
        while pending:
            effect = pending.pop(0)
            if isinstance(effect, Route):
                return effect
            if isinstance(effect, Hangup):
                return IvrEnded(effect.node)
            if isinstance(effect, Collect):
                pending.extend(run.receive(await self._collect(session, effect)))
            else:
                await self._carry_out(session, effect)
        raise AssertionError("a flow always ends in a route or a hang-up")  # pragma: no cover

    async def _carry_out(self, session: AgiSession, effect: Effect) -> None:
        uniqueid = session.env.uniqueid
        if isinstance(effect, Step):
            self._step(uniqueid, StepKind(effect.kind), **effect.detail)
        elif isinstance(effect, Play):
            await self._play(session, effect.prompt, effect.node)
        elif isinstance(effect, BookCallback):
            booked = self.book_callback(uniqueid, effect)
            if not booked:
                log.warning("call %s: the out-of-hours callback could not be booked", uniqueid)
        elif isinstance(effect, IdentityGiven):
            trace = self.controller.trace(uniqueid)
            if trace is not None:
                trace.masked_id = effect.masked

    async def _play(self, session: AgiSession, prompt: Prompt, node: str) -> None:
        path, seconds = await asyncio.to_thread(self.prompt_file, prompt)
        self._step(session.env.uniqueid, StepKind.IVR_PROMPT,
                   node=node, prompt=prompt.name, file=path)  # fmt: skip
        await session.stream_file(path, reply_timeout=seconds + REPLY_MARGIN_S)

    async def _collect(self, session: AgiSession, effect: Collect) -> str:
        path, seconds = await asyncio.to_thread(self.prompt_file, effect.prompt)
        self._step(session.env.uniqueid, StepKind.IVR_PROMPT,
                   node=effect.node, prompt=effect.prompt.name, file=path)  # fmt: skip
        # Asterisk answers GET DATA only after the whole prompt and the digit timeouts.
        budget = seconds + effect.timeout_ms * (effect.max_digits + 1) / 1000 + REPLY_MARGIN_S
        digits = await session.get_data(
            path, effect.timeout_ms, effect.max_digits, reply_timeout=budget
        )
        self.controller.keys.consumed(session.env.uniqueid, digits)
        return digits

    def _step(self, uniqueid: str, kind: StepKind, **detail: str | int) -> None:
        trace = self.controller.trace(uniqueid)
        if trace is None:
            return
        at = self.controller.clock.wall()
        trace.step(kind, at, **detail)
        if kind is StepKind.IVR_NODE:
            trace.ivr_node = str(detail.get("node"))
        if kind in PUBLISHED_STEPS:
            # The node is the flow's own name (never caller input): safe to publish and to label.
            self.controller.publisher.publish(
                CallIvrStep(at, uniqueid, kind.value, str(detail.get("node", "")))
            )
