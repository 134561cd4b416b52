"""Agent states as a table: every allowed transition is listed; anything else is an error.

The vocabulary is OpenACD's (idle/ringing/oncall/wrapup/released) in the hotline's words:

    logged_out -[login]-> available -[offer]-> offered -[answer]-> on_call
    on_call -[call_ended]-> wrap_up -[wrap_up_done]-> available
    offered -[offer_failed]-> available          (resting a few seconds, see the router)
    offered -[missed]-> paused                   (the Nth missed offer in a row)
    available | wrap_up -[pause]-> paused -[unpause]-> available

Wrap-up follows every answered call. A queue whose wrap-up time is zero still passes through
``wrap_up``: the router applies ``call_ended`` and ``wrap_up_done`` back to back and reports one
change (on_call -> available), so both transitions are logged and no caller is offered to an
agent who is, even for an instant, writing up the last call. A pause asked for while the agent
is offered or on a call is kept by the router as a *pending pause* and applied (``pause``) when
the call and its wrap-up are over; it is not a transition of its own.
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
    WRAP_UP = "wrap_up"
    PAUSED = "paused"


class AgentEvent(enum.StrEnum):
    LOGIN = "login"
    LOGOUT = "logout"
    OFFER = "offer"
    ANSWER = "answer"
    OFFER_FAILED = "offer_failed"
    MISSED = "missed"
    CALL_ENDED = "call_ended"
    WRAP_UP_DONE = "wrap_up_done"
    PAUSE = "pause"
    UNPAUSE = "unpause"


S, E = AgentState, AgentEvent

TRANSITIONS: dict[tuple[AgentState, AgentEvent], AgentState] = {
    (S.LOGGED_OUT, E.LOGIN): S.AVAILABLE,
    # Logging in again while available moves the agent to another seat or updates skills.
    (S.AVAILABLE, E.LOGIN): S.AVAILABLE,
    (S.AVAILABLE, E.OFFER): S.OFFERED,
    (S.AVAILABLE, E.PAUSE): S.PAUSED,
    (S.OFFERED, E.ANSWER): S.ON_CALL,
    (S.OFFERED, E.OFFER_FAILED): S.AVAILABLE,
    (S.OFFERED, E.MISSED): S.PAUSED,
    # The caller left while the seat was ringing: nothing to write up.
    (S.OFFERED, E.CALL_ENDED): S.AVAILABLE,
    (S.ON_CALL, E.CALL_ENDED): S.WRAP_UP,
    (S.WRAP_UP, E.WRAP_UP_DONE): S.AVAILABLE,
    (S.WRAP_UP, E.PAUSE): S.PAUSED,
    # Pausing again changes the reason.
    (S.PAUSED, E.PAUSE): S.PAUSED,
    (S.PAUSED, E.UNPAUSE): S.AVAILABLE,
    # Logging out takes effect now from any logged-in state; a call itself is not touched.
    (S.AVAILABLE, E.LOGOUT): S.LOGGED_OUT,
    (S.OFFERED, E.LOGOUT): S.LOGGED_OUT,
    (S.ON_CALL, E.LOGOUT): S.LOGGED_OUT,
    (S.WRAP_UP, E.LOGOUT): S.LOGGED_OUT,
    (S.PAUSED, E.LOGOUT): S.LOGGED_OUT,
}

HOLDING_A_CALL = frozenset({S.OFFERED, S.ON_CALL})


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
