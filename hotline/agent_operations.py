"""What agents (and supervisors for them) do through the API and the softphone feature codes:
log in and out, pause, end wrap-up with a disposition. Part of the Controller."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from queues.router import AgentChange, Router

if TYPE_CHECKING:
    from hotline.controller_ports import Clock, Recorder


class AgentOperations:
    """Mixed into Controller, which provides these attributes and the two methods below."""

    router: Router
    recorder: Recorder
    clock: Clock
    _last_call: dict[str, str]

    def dispatch(self) -> None:
        raise NotImplementedError

    def _publish_changes(self, changes: list[AgentChange], reason: str = "") -> None:
        raise NotImplementedError

    def login(self, agent: str, seat: str, skills: Mapping[str, int] | None = None) -> AgentChange:
        change = self.router.login(agent, seat, self.clock.mono(), skills=dict(skills or {}))
        self.recorder.agent_logged_in(agent, seat, self.clock.wall())
        self._publish_changes([change])
        self.dispatch()
        return change

    def pause(self, agent: str, reason: str) -> AgentChange | None:
        """Pause now, or when the agent's current call ends (None: pending)."""
        change = self.router.pause(agent, reason, self.clock.mono())
        self._publish_changes([change] if change else [])
        return change

    def unpause(self, agent: str) -> AgentChange | None:
        change = self.router.unpause(agent, self.clock.mono())
        self._publish_changes([change] if change else [])
        self.dispatch()
        return change

    def wrapup_done(self, agent: str, disposition: str | None) -> AgentChange | None:
        """The agent ends wrap-up early, with the call's reason code."""
        last_call = self._last_call.get(agent)
        change = self.router.wrapup_done(agent, self.clock.mono(), disposition)
        if disposition and last_call:
            self.recorder.set_disposition(last_call, disposition)
        self._publish_changes([change] if change else [])
        self.dispatch()
        return change

    def wrapup_s(self, queue: str) -> float:
        return self.router.policy.for_queue(queue).wrapup_s

    def last_call_of(self, agent: str) -> str | None:
        return self._last_call.get(agent)

    def logout(self, agent: str) -> AgentChange:
        change = self.router.logout(agent)
        self.recorder.agent_logged_out(agent, self.clock.wall())
        self._publish_changes([change])
        return change
