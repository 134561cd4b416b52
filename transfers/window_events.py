"""What the adapters report about a window connection: one frozen dataclass per fact, each with
``at`` (the time it happened) and a ``key``, the event name the transition table uses."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from transfers.case import Role
from transfers.effects import MemberMode, Timer


class Key(enum.StrEnum):
    HOLD_STARTED = "hold_started"
    WINDOW_RINGING = "window_ringing"
    WINDOW_ANSWERED = "window_answered"
    WINDOW_NO_ANSWER = "window_no_answer"
    WINDOW_BUSY = "window_busy"
    WINDOW_CLOSED = "window_closed"
    BRIEFING_DONE = "briefing_done"
    AGENT_LEAVES = "agent_leaves"
    SUPERVISOR_JOINS = "supervisor_joins"
    CALLER_JOINED = "caller_joined"
    AGENT_JOINED = "agent_joined"
    CLERK_JOINED = "clerk_joined"
    SUPERVISOR_JOINED = "supervisor_joined"
    CALLER_LEFT = "caller_left"
    AGENT_LEFT = "agent_left"
    CLERK_LEFT = "clerk_left"
    SUPERVISOR_LEFT = "supervisor_left"
    CALLER_HUNG_UP = "caller_hung_up"
    AGENT_HUNG_UP = "agent_hung_up"
    CLERK_HUNG_UP = "clerk_hung_up"
    SUPERVISOR_HUNG_UP = "supervisor_hung_up"
    HOLD_TIMER_EXPIRED = "hold_timer_expired"
    DIAL_TIMER_EXPIRED = "dial_timer_expired"
    BRIEFING_TIMER_EXPIRED = "briefing_timer_expired"
    RECONCILED = "reconciled"
    """Not reported by an adapter: the state settled after a controller restart (reconcile.py)."""


@dataclass(frozen=True)
class HoldStarted:
    at: datetime
    key: ClassVar[Key] = Key.HOLD_STARTED


@dataclass(frozen=True)
class WindowRinging:
    at: datetime
    key: ClassVar[Key] = Key.WINDOW_RINGING


@dataclass(frozen=True)
class WindowAnswered:
    at: datetime
    channel: str
    key: ClassVar[Key] = Key.WINDOW_ANSWERED


@dataclass(frozen=True)
class WindowNoAnswer:
    at: datetime
    key: ClassVar[Key] = Key.WINDOW_NO_ANSWER


@dataclass(frozen=True)
class WindowBusy:
    at: datetime
    congested: bool = False
    key: ClassVar[Key] = Key.WINDOW_BUSY


@dataclass(frozen=True)
class WindowClosed:
    """The window turned the call away as closed (an announcement, a 480), whatever its hours."""

    at: datetime
    key: ClassVar[Key] = Key.WINDOW_CLOSED


@dataclass(frozen=True)
class BriefingDone:
    at: datetime
    key: ClassVar[Key] = Key.BRIEFING_DONE


@dataclass(frozen=True)
class AgentLeaves:
    """The agent asks to drop out of the conference, leaving the caller with the clerk."""

    at: datetime
    key: ClassVar[Key] = Key.AGENT_LEAVES


@dataclass(frozen=True)
class SupervisorJoins:
    at: datetime
    channel: str
    mode: MemberMode = MemberMode.LISTEN
    key: ClassVar[Key] = Key.SUPERVISOR_JOINS


_JOINED = {
    Role.CALLER: Key.CALLER_JOINED,
    Role.AGENT: Key.AGENT_JOINED,
    Role.CLERK: Key.CLERK_JOINED,
    Role.SUPERVISOR: Key.SUPERVISOR_JOINED,
}
_LEFT = {
    Role.CALLER: Key.CALLER_LEFT,
    Role.AGENT: Key.AGENT_LEFT,
    Role.CLERK: Key.CLERK_LEFT,
    Role.SUPERVISOR: Key.SUPERVISOR_LEFT,
}
_HUNG_UP = {
    Role.CALLER: Key.CALLER_HUNG_UP,
    Role.AGENT: Key.AGENT_HUNG_UP,
    Role.CLERK: Key.CLERK_HUNG_UP,
    Role.SUPERVISOR: Key.SUPERVISOR_HUNG_UP,
}
_EXPIRED = {
    Timer.HOLD: Key.HOLD_TIMER_EXPIRED,
    Timer.DIAL: Key.DIAL_TIMER_EXPIRED,
    Timer.BRIEFING: Key.BRIEFING_TIMER_EXPIRED,
}


@dataclass(frozen=True)
class MemberChanged:
    """Someone joined or left the conference bridge (ConfbridgeJoin/ConfbridgeLeave)."""

    at: datetime
    role: Role
    joined: bool
    channel: str = ""

    @property
    def key(self) -> Key:
        return (_JOINED if self.joined else _LEFT)[self.role]


@dataclass(frozen=True)
class HungUp:
    at: datetime
    role: Role

    @property
    def key(self) -> Key:
        return _HUNG_UP[self.role]


@dataclass(frozen=True)
class TimerExpired:
    at: datetime
    timer: Timer

    @property
    def key(self) -> Key:
        return _EXPIRED[self.timer]


WindowEvent = (
    HoldStarted | WindowRinging | WindowAnswered | WindowNoAnswer | WindowBusy | WindowClosed
    | BriefingDone | AgentLeaves | SupervisorJoins | MemberChanged | HungUp | TimerExpired
)  # fmt: skip
