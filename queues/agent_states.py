"""Agent states as a table: every allowed transition is listed; anything else is an error.

Later issues add wrap-up and paused-with-reason; the vocabulary is OpenACD's
(idle/ringing/oncall/wrapup/released) in the hotline's words.
"""

from __future__ import annotations

import enum
import logging

log = logging.getLogger("hotline.agents")


class AgentState(enum.StrEnum):
    LOGGED_OUT = "logged_out"
    AVAILABLE = "available"
    OFFERED = "offered"
    ON_CALL = "on_call"


class AgentEvent(enum.StrEnum):
    LOGIN = "login"
    LOGOUT = "logout"
    OFFER = "offer"
    ANSWER = "answer"
    OFFER_FAILED = "offer_failed"
    CALL_ENDED = "call_ended"


S, E = AgentState, AgentEvent

TRANSITIONS: dict[tuple[AgentState, AgentEvent], AgentState] = {
    (S.LOGGED_OUT, E.LOGIN): S.AVAILABLE,
    (S.AVAILABLE, E.LOGIN): S.AVAILABLE,
    (S.AVAILABLE, E.LOGOUT): S.LOGGED_OUT,
    (S.AVAILABLE, E.OFFER): S.OFFERED,
    (S.OFFERED, E.ANSWER): S.ON_CALL,
    (S.OFFERED, E.OFFER_FAILED): S.AVAILABLE,
    (S.OFFERED, E.CALL_ENDED): S.AVAILABLE,
    (S.ON_CALL, E.CALL_ENDED): S.AVAILABLE,
    # Logging out during a call takes effect now; the call itself is not touched.
    (S.OFFERED, E.LOGOUT): S.LOGGED_OUT,
    (S.ON_CALL, E.LOGOUT): S.LOGGED_OUT,
}


class InvalidTransition(Exception):
    def __init__(self, agent: str, state: AgentState, event: AgentEvent) -> None:
        super().__init__(f"agent {agent}: no transition from {state} on {event}")
        self.agent, self.state, self.event = agent, state, event


def next_state(agent: str, state: AgentState, event: AgentEvent) -> AgentState:
    """The state after ``event``; raises InvalidTransition for a pair not in the table."""
    try:
        new = TRANSITIONS[(state, event)]
    except KeyError:
        raise InvalidTransition(agent, state, event) from None
    log.info("agent %s: %s -[%s]-> %s", agent, state, event, new)
    return new
