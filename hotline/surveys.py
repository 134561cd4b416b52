"""Asks the caller for a rating when the agent has left, and stores it with the call and agent."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from agi import AgiSession
from hotline.calls import CallTrace
from hotline.controller import Controller
from hotline.events import SurveyAnswered
from hotline.ivr_session import REPLY_MARGIN_S, PromptFile
from hotline.storage import StepKind, SurveyResponse
from ivr.flow import Survey
from ivr.prompt import Prompt
from ivr.survey import SurveyRun

log = logging.getLogger("hotline.surveys")

SaveSurvey = Callable[[SurveyResponse], None]


class SurveyDesk:
    def __init__(self, controller: Controller, prompt_file: PromptFile, save: SaveSurvey) -> None:
        self.controller = controller
        self.prompt_file = prompt_file
        self.save = save

    async def ask(self, session: AgiSession, survey: Survey, trace: CallTrace) -> int | None:
        run = SurveyRun(survey)
        while run.ask():
            path, seconds = await asyncio.to_thread(self.prompt_file, survey.prompt)
            digits = await session.get_data(
                path, survey.timeout_ms, 1,
                reply_timeout=seconds + survey.timeout_ms * 2 / 1000 + REPLY_MARGIN_S,
            )  # fmt: skip
            self.controller.keys.consumed(trace.uniqueid, digits)
            rating = run.rating(digits)
            if rating is not None:
                await self._rated(session, survey, trace, rating)
                return rating
            if not digits:
                return None  # silence: the caller does not want to rate; do not keep them
            await self._play(session, survey.invalid)
        return None

    async def _rated(self, session: AgiSession, survey: Survey, trace: CallTrace,
                     rating: int) -> None:  # fmt: skip
        at = self.controller.clock.wall()
        trace.step(StepKind.SURVEY, at, rating=rating, agent=trace.agent)
        response = SurveyResponse(
            call_uniqueid=trace.uniqueid, agent_code=trace.agent, queue=trace.queue,
            rating=rating, at=at,
        )  # fmt: skip
        self.save(response)
        self.controller.publisher.publish(
            SurveyAnswered(at, trace.uniqueid, trace.agent or "", trace.queue or "", rating)
        )
        await self._play(session, survey.thanks)

    async def _play(self, session: AgiSession, prompt: Prompt) -> None:
        path, seconds = await asyncio.to_thread(self.prompt_file, prompt)
        await session.stream_file(path, reply_timeout=seconds + REPLY_MARGIN_S)
