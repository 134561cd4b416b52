"""What a caller's FastAGI session does: the IVR menu, then the wait for an agent.

The dialplan (dialplans/extensions.conf.j2) calls five scripts:
  ``inbound`` when a caller arrives: the IVR flow (see ivr_session), then queue, wait (music on
  hold, see waiting_room), choose an agent;
  ``survey`` when the agent has left: the caller rates the call;
  ``requeue`` when the chosen seat did not answer: back to the head of the queue;
  ``callback`` when a caller answers a queued callback: greet them and ring the reserved agent;
  ``transfer`` when an agent hands the caller to another queue or agent (a blind transfer).
Each ends by setting HOTLINE_ROUTE; a session that ends any other way (error, controller
killed) leaves it empty and the dialplan sends the caller to the static fallback queue.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from agi import AgiChannelHungUp, AgiError, AgiSession
from hotline import channel_vars
from hotline.call_flow_config import CallFlowConfig
from hotline.calls import CallTrace
from hotline.controller import Controller
from hotline.ivr_session import IvrEnded, IvrSession
from hotline.playback import PlaybackControl
from hotline.seat_features import SeatFeatures
from hotline.storage import Outcome
from hotline.surveys import SurveyDesk
from hotline.waiting_room import LeftQueue, WaitingRoom
from ivr import queue_choices
from ivr.interpreter import FlowRun, Route
from queues.router import Offer

__all__ = ["CallFlow", "CallFlowConfig"]

log = logging.getLogger("hotline.call_flow")


class CallFlow:
    def __init__(
        self,
        controller: Controller,
        config: CallFlowConfig,
        seat_features: SeatFeatures,
        playback: PlaybackControl,
    ) -> None:
        self.controller = controller
        self.config = config
        self.seat_features = seat_features
        self.waiting_room = WaitingRoom(controller, config, playback)
        self.ivr = IvrSession(controller, config.prompt_file, config.book_callback)
        self.surveys = SurveyDesk(controller, config.prompt_file, config.save_survey)
        self.transfers: Callable[[str], Route | None] | None = None
        """Where a transferred caller goes (hotline/handoff_desk.py; set by the wiring)."""

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
            elif script == "survey":
                await self._survey(session)
            elif script == "transfer":
                await self._transferred(session)
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
        trace = self.controller.call_arrived(
            env.uniqueid, linkedid, env.callerid, env.calleridname,
            env.dnid if env.dnid not in {"", "unknown"} else self.config.service_number,
        )  # fmt: skip
        flow = self.config.flow()
        trace.flow, trace.flow_version = flow.name, flow.version
        facts = await asyncio.to_thread(self.config.facts, trace)
        ended = await self.ivr.run(session, FlowRun(flow, facts))
        if isinstance(ended, IvrEnded):
            outcome = Outcome.CALLBACK_REQUESTED if trace.callback_booked else Outcome.SELF_SERVED
            trace.end_in_ivr(outcome, self.controller.clock.wall(), ended.node)
            await session.set_variable(channel_vars.ROUTE, channel_vars.ROUTE_DONE)
            await session.hangup()
            return
        await self._route(session, ended)

    async def _survey(self, session: AgiSession) -> None:
        """After the agent leaves: the caller rates the call 1 to 5."""
        uniqueid = session.env.uniqueid
        trace = self.controller.trace(uniqueid)
        survey = self.config.flow().survey
        if trace is None or survey is None or trace.answered_at is None:
            await session.set_variable(channel_vars.ROUTE, channel_vars.ROUTE_DONE)
            return
        rating = await self.surveys.ask(session, survey, trace)
        log.info("call %s: survey rating %s", uniqueid, rating if rating else "none")
        await session.set_variable(channel_vars.ROUTE, channel_vars.ROUTE_DONE)

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
        await self._route(session, Route(queue, topic, node="requeue"))

    async def _transferred(self, session: AgiSession) -> None:
        """A caller a blind transfer redirected here: routed again, with the case. Unknown
        (the controller restarted since), HOTLINE_ROUTE stays empty: the fallback queue."""
        route = self.transfers(session.env.uniqueid) if self.transfers is not None else None
        if route is not None:
            await self._route(session, route)

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
            await self._route(session, Route(callback.queue, callback.topic, node="callback"))
        else:
            await self._send_to_agent(session, offer)

    async def _route(self, session: AgiSession, route: Route) -> None:
        uniqueid = session.env.uniqueid
        await session.set_music(True)
        waiting = asyncio.ensure_future(
            self.controller.wait_for_agent(
                uniqueid, route.queue, route.topic,
                requirements=route.requirements, priority=route.priority,
                preferred_agent=route.preferred_agent, waiting_since=route.waiting_since,
            )
        )  # fmt: skip
        try:
            outcome = await self.waiting_room.wait(session, waiting)
            left_room = self.controller.clock.mono()
        finally:
            if not waiting.done():
                waiting.cancel()  # the caller left: out of the queue
        if isinstance(outcome, LeftQueue):
            await session.set_variable(channel_vars.ROUTE, channel_vars.ROUTE_DONE)
            await session.hangup()
            return
        # Music stays on: the Dial plays it to the caller (option m) until the agent answers.
        await self._send_to_agent(session, outcome, left_room)

    async def _send_to_agent(
        self, session: AgiSession, offer: Offer, left_room: float | None = None
    ) -> None:
        route = channel_vars.agent_route(f"PJSIP/{offer.seat}", round(offer.timeout_s))
        await session.set_variable(channel_vars.ROUTE, route)
        self.controller.offer_sent(session.env.uniqueid, left_room)
