"""Feature codes dialled from a seat's softphone, answered over FastAGI: log in (*21 + agent
number + #) and log out (*22). The seat is the softphone's own endpoint, read from the channel
name, so an agent can sit at any seat."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from agi import AgiSession
from hotline.ami_bridge import seat_of_channel
from hotline.controller import Controller
from ivr import agent_prompts
from ivr.prompt import Prompt
from queues.router import RoutingError

log = logging.getLogger("hotline.seat_features")

MAX_CODE_DIGITS = 8
CODE_TIMEOUT_MS = 6000
ATTEMPTS = 3

AgentSkills = Callable[[str], Awaitable[Mapping[str, int] | None]]
"""An agent's skills by agent number, or None for no such (active) agent."""


class SeatFeatures:
    scripts = frozenset({"agent-login", "agent-logout"})

    def __init__(
        self,
        controller: Controller,
        agent_skills: AgentSkills,
        prompt_path: Callable[[Prompt], str],
    ) -> None:
        self.controller = controller
        self.agent_skills = agent_skills
        self.prompt_path = prompt_path

    async def __call__(self, session: AgiSession, script: str) -> None:
        seat = seat_of_channel(session.env.channel)
        if seat is None:
            log.warning(
                "feature code from a channel that is not a seat: %.40s", session.env.channel
            )
            await self._say(session, agent_prompts.REFUSED)
            return
        if script == "agent-login":
            await self._login(session, seat)
        else:
            await self._logout(session, seat)

    async def _login(self, session: AgiSession, seat: str) -> None:
        for _ in range(ATTEMPTS):
            code = await session.get_data(
                self.prompt_path(agent_prompts.ENTER_CODE), CODE_TIMEOUT_MS, MAX_CODE_DIGITS,
                reply_timeout=60,
            )  # fmt: skip
            skills = await self.agent_skills(code) if code else None
            if skills is not None:
                try:
                    self.controller.login(code, seat, skills)
                except RoutingError as exc:
                    log.warning("log-in of agent %s at %s refused: %s", code, seat, exc)
                    await self._say(session, agent_prompts.REFUSED)
                    return
                log.info("agent %s logged in at %s from the softphone", code, seat)
                await self._say(session, agent_prompts.LOGGED_IN)
                return
            await self._say(session, agent_prompts.UNKNOWN_CODE)
        await self._say(session, agent_prompts.REFUSED)

    async def _logout(self, session: AgiSession, seat: str) -> None:
        slot = self.controller.router.agent_for_seat(seat)
        if slot is None:
            await self._say(session, agent_prompts.NOT_LOGGED_IN)
            return
        try:
            self.controller.logout(slot.code)
        except RoutingError as exc:
            log.warning("log-out of agent %s refused: %s", slot.code, exc)
            await self._say(session, agent_prompts.REFUSED)
            return
        await self._say(session, agent_prompts.LOGGED_OUT)

    async def _say(self, session: AgiSession, prompt: Prompt) -> None:
        await session.stream_file(self.prompt_path(prompt), reply_timeout=30)
