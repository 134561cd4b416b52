"""What a caller's FastAGI session does: the IVR menu, then the wait for an agent.

The dialplan (dialplans/extensions.conf.j2) calls three scripts:
  ``inbound`` when a caller arrives: menu, queue, wait (music on hold, see waiting_room), choose
  an agent;
  ``requeue`` when the chosen seat did not answer: back to the head of the queue;
  ``callback`` when a caller answers a queued callback: greet them and ring the reserved agent.
Each ends by setting HOTLINE_ROUTE; a session that ends any other way (error, controller
killed) leaves it empty and the dialplan sends the caller to the static fallback queue.
"""

from __future__ import annotations

import asyncio
import logging

from agi import AgiChannelHungUp, AgiError, AgiSession
from hotline import channel_vars
from hotline.call_flow_config import CallFlowConfig
from hotline.calls import CallTrace
from hotline.controller import Controller
from hotline.seat_features import SeatFeatures
from hotline.storage import StepKind
from hotline.storage.records import JsonValue
from hotline.waiting_room import LeftQueue, WaitingRoom
from ivr import queue_choices
from ivr.menu import Effect, MenuRun, Play, PlayAndCollect, RouteToAgent
from queues.router import Offer

__all__ = ["CallFlow", "CallFlowConfig"]

log = logging.getLogger("hotline.call_flow")

REPLY_MARGIN_S = 10.0


class CallFlow:
    def __init__(
        self, controller: Controller, config: CallFlowConfig, seat_features: SeatFeatures
    ) -> None:
        self.controller = controller
        self.config = config
        self.seat_features = seat_features
        self.waiting_room = WaitingRoom(controller, config)

    async def __call__(self, session: AgiSession) -> None:
        script = session.env.network_script or session.env.script
        uniqueid = session.env.uniqueid
        if script in self.seat_features.scripts:
            await self.seat_features(session, script)
            return
        try:
            if script == "inbound":
                await self._inbound(session)
            elif script == "requeue":
                await self._requeue(session)
            elif script == "callback":
                await self._callback(session)
            else:
                log.warning("call %s asked for unknown FastAGI script %r", uniqueid, script[:40])
        except AgiChannelHungUp:
            # A caller hanging up is a normal outcome; the call's record is closed here in
            # case AMI is not there to report the hang-up.
            self.controller.channel_ended(uniqueid, "caller hung up")
        except AgiError as exc:
            log.error("call %s: FastAGI error, caller goes to the fallback queue: %s",
                      uniqueid, exc)  # fmt: skip
            self.controller.fallback_entered(uniqueid, f"FastAGI error: {type(exc).__name__}")

    async def _inbound(self, session: AgiSession) -> None:
        env = session.env
        linkedid = await session.get_variable("CHANNEL(linkedid)") or env.uniqueid
        self.controller.call_arrived(
            env.uniqueid, linkedid, env.callerid, env.calleridname,
            env.dnid if env.dnid not in {"", "unknown"} else self.config.service_number,
        )  # fmt: skip
        route = await self._run_menu(session, MenuRun(self.config.menu))
        await self._route(session, route)

    async def _run_menu(self, session: AgiSession, run: MenuRun) -> RouteToAgent:
        pending: list[Effect] = [run.start()]
        while pending:
            effect = pending.pop(0)
            if isinstance(effect, RouteToAgent):
                return effect
            if isinstance(effect, Play):
                self._step(session, StepKind.IVR_PROMPT, prompt=effect.prompt.name)
                await session.stream_file(
                    self.config.prompt_path(effect.prompt),
                    reply_timeout=self.config.prompt_seconds(effect.prompt) + REPLY_MARGIN_S,
                )
            elif isinstance(effect, PlayAndCollect):
                digits = await self._collect(session, effect)
                pending.extend(run.receive(digits))
        raise AssertionError("a menu always ends in a route")  # pragma: no cover

    async def _collect(self, session: AgiSession, effect: PlayAndCollect) -> str:
        self._step(session, StepKind.IVR_PROMPT, prompt=effect.prompt.name)
        # Asterisk answers GET DATA only after the whole prompt and the digit timeouts.
        budget = (
            self.config.prompt_seconds(effect.prompt)
            + effect.timeout_ms * (effect.max_digits + 1) / 1000
            + REPLY_MARGIN_S
        )
        digits = await session.get_data(
            self.config.prompt_path(effect.prompt),
            effect.timeout_ms,
            effect.max_digits,
            reply_timeout=budget,
        )
        self.controller.keys.consumed(session.env.uniqueid, digits)
        if digits:
            self._step(session, StepKind.IVR_INPUT, digits=digits)
        else:
            self._step(session, StepKind.IVR_TIMEOUT, prompt=effect.prompt.name)
        return digits

    async def _requeue(self, session: AgiSession) -> None:
        uniqueid = session.env.uniqueid
        status = await session.get_variable("DIALSTATUS") or "UNKNOWN"
        self.controller.offer_failed(uniqueid, status)
        trace = self.controller.trace(uniqueid)
        if trace is None:
            # The controller restarted since this caller arrived: take them on as they are.
            env = session.env
            trace = self.controller.call_arrived(
                uniqueid, uniqueid, env.callerid, env.calleridname, self.config.service_number
            )
            trace.in_ivr = False
        queue, topic = trace.queue or "general", trace.topic or "general"
        await self._route(session, RouteToAgent(queue, topic))

    async def _callback(self, session: AgiSession) -> None:
        """A queued callback's leg, answered by the caller: greet, then the reserved agent."""
        env, desk = session.env, self.controller.callbacks
        callback = desk.callback_of_leg(env.uniqueid) if desk is not None else None
        if desk is None or callback is None:
            log.warning("call %s: a callback leg the controller does not know", env.uniqueid)
            return  # HOTLINE_ROUTE stays empty: the fallback queue serves the caller
        # Linked to the call that booked it, so reports show the two as one contact.
        trace = CallTrace.arrive(
            env.uniqueid, callback.call_uniqueid, callback.number, "", self.config.service_number,
            at=self.controller.clock.wall(),
        )  # fmt: skip
        offer = desk.answered(env.uniqueid, trace)
        await session.stream_file(
            self.config.prompt_path(queue_choices.CALLBACK_GREETING),
            reply_timeout=self.config.prompt_seconds(queue_choices.CALLBACK_GREETING) + 10,
        )
        if offer is None:
            await self._route(session, RouteToAgent(callback.queue, callback.topic))
        else:
            await self._send_to_agent(session, offer)

    async def _route(self, session: AgiSession, route: RouteToAgent) -> None:
        uniqueid = session.env.uniqueid
        await session.set_music(True)
        waiting = asyncio.ensure_future(
            self.controller.wait_for_agent(
                uniqueid, route.queue, route.topic,
                requirements=route.requirements, priority=route.priority,
            )
        )  # fmt: skip
        try:
            outcome = await self.waiting_room.wait(session, waiting)
        finally:
            if not waiting.done():
                waiting.cancel()  # the caller left: out of the queue
        if isinstance(outcome, LeftQueue):
            await session.set_variable(channel_vars.ROUTE, channel_vars.ROUTE_DONE)
            await session.hangup()
            return
        await session.set_music(False)
        await self._send_to_agent(session, outcome)

    async def _send_to_agent(self, session: AgiSession, offer: Offer) -> None:
        await session.set_variable(channel_vars.AGENT_DIAL, f"PJSIP/{offer.seat}")
        await session.set_variable(channel_vars.OFFER_TIMEOUT, str(round(offer.timeout_s)))
        # Last: the marker says "routing finished" only once everything else is in place.
        await session.set_variable(channel_vars.ROUTE, channel_vars.ROUTE_AGENT)
        self.controller.offer_sent(session.env.uniqueid)

    def _step(self, session: AgiSession, kind: StepKind, **detail: JsonValue) -> None:
        trace = self.controller.trace(session.env.uniqueid)
        if trace is not None:
            trace.step(kind, self.controller.clock.wall(), **detail)
