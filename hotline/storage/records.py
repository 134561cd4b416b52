"""Plain records that cross the storage boundary.

The rest of hotline never sees ORM objects: the store takes and returns these
frozen dataclasses, so they travel between threads and into events with no
session attached. Validation lives here so SQLite and PostgreSQL reject the
same bad data (SQLite would silently keep an over-long string).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, TypeAlias

JsonValue: TypeAlias = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"] | None

# Column widths, shared with the models so the check here and the schema agree.
# Asterisk's own limit for uniqueid and linkedid is 150 characters.
CALL_TEXT_LIMITS: Mapping[str, int] = {
    "uniqueid": 150,
    "linkedid": 150,
    "caller_number": 40,
    "caller_name": 80,
    "dialed": 40,
    "queue": 80,
    "agent_code": 32,
    "seat": 80,
    "hangup_cause": 64,
    # The call-reason code an agent records at wrap-up, e.g. "pension.query".
    "disposition": 64,
}
AGENT_CODE_MAX = 32
NAME_MAX = 80
PROFICIENCY_MIN = 1
PROFICIENCY_MAX = 5
# Agent state names ("available", "paused", ...) and why an agent's state changed.
AGENT_STATE_MAX = 32
REASON_MAX = 200
# The state whose time `Store.pause_time_by_reason` adds up.
PAUSED = "paused"


class Outcome(enum.StrEnum):
    """How a call ended, as reported on the wallboard and in statistics."""

    ANSWERED = "answered"
    ABANDONED = "abandoned"
    FAILED = "failed"
    FALLBACK_ANSWERED = "fallback_answered"
    FALLBACK_ABANDONED = "fallback_abandoned"
    IVR_HANGUP = "ivr_hangup"
    CALLBACK_REQUESTED = "callback_requested"
    MESSAGE_LEFT = "message_left"
    SELF_SERVED = "self_served"
    """The IVR ended the call as its flow says (answers heard, goodbye), no agent needed."""
    IN_PROGRESS = "in_progress"


class StepKind(enum.StrEnum):
    """One step on a call's path through the hotline."""

    ARRIVAL = "arrival"
    IVR_NODE = "ivr_node"
    IVR_PROMPT = "ivr_prompt"
    IVR_INPUT = "ivr_input"
    IVR_INVALID = "ivr_invalid"
    IVR_TIMEOUT = "ivr_timeout"
    IVR_ANNOUNCEMENT = "ivr_announcement"
    IVR_END = "ivr_end"
    QUEUE_ENTER = "queue_enter"
    OFFER = "offer"
    OFFER_TIMEOUT = "offer_timeout"
    ANSWER = "answer"
    TRANSFER = "transfer"
    FALLBACK = "fallback"
    CALLER_CHOICE = "caller_choice"
    CALLBACK = "callback"
    MESSAGE = "message"
    SURVEY = "survey"
    HANGUP = "hangup"
    END = "end"


class Role(enum.StrEnum):
    """What an API token may do."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


def require_aware(name: str, value: datetime | None) -> None:
    """Reject naive timestamps: a naive time means a clock read in local time somewhere."""
    if value is not None and value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


def require_max_len(name: str, value: str | None, limit: int) -> None:
    if value is not None and len(value) > limit:
        raise ValueError(f"{name} is {len(value)} characters long, the limit is {limit}")


def require_disposition(code: str) -> None:
    if not code:
        raise ValueError("a disposition code must not be empty")
    require_max_len("disposition", code, CALL_TEXT_LIMITS["disposition"])


@dataclass(frozen=True, slots=True)
class CallStep:
    """A step of a call; its position in `CallRecord.steps` is its order."""

    at: datetime
    kind: StepKind
    detail: Mapping[str, JsonValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require_aware("at", self.at)
        object.__setattr__(self, "kind", StepKind(self.kind))


@dataclass(frozen=True, slots=True)
class CallRecord:
    """A call and its path, as the controller knows it so far."""

    uniqueid: str
    linkedid: str
    caller_number: str
    caller_name: str
    dialed: str
    arrived_at: datetime
    outcome: Outcome = Outcome.IN_PROGRESS
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    queue: str | None = None
    agent_code: str | None = None
    seat: str | None = None
    wait_ms: int | None = None
    talk_ms: int | None = None
    fallback: bool = False
    hangup_cause: str | None = None
    # None means "not known here": re-recording the call keeps a stored disposition.
    disposition: str | None = None
    steps: tuple[CallStep, ...] = ()

    def __post_init__(self) -> None:
        if not self.uniqueid:
            raise ValueError("uniqueid must not be empty")
        if self.disposition is not None:
            require_disposition(self.disposition)
        for name, limit in CALL_TEXT_LIMITS.items():
            require_max_len(name, getattr(self, name), limit)
        for name in ("arrived_at", "answered_at", "ended_at"):
            require_aware(name, getattr(self, name))
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        object.__setattr__(self, "steps", tuple(self.steps))


@dataclass(frozen=True, slots=True)
class AgentRecord:
    code: str
    name: str
    active: bool
    created_at: datetime
    skills: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SeatRecord:
    name: str
    endpoint: str


class OpenSession(NamedTuple):
    """Who sits where since when; a restarted controller starts from these."""

    agent_code: str
    seat_name: str
    logged_in_at: datetime


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A valid (not revoked) API token; the token itself is never kept."""

    name: str
    role: Role
    agent_code: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AgentStateChange:
    """One change of an agent's state, e.g. available -> paused because of "lunch"."""

    agent_code: str
    seat: str
    previous: str
    state: str
    reason: str
    at: datetime

    def __post_init__(self) -> None:
        if not self.agent_code:
            raise ValueError("agent_code must not be empty")
        if not self.state:
            raise ValueError("state must not be empty")
        require_max_len("agent_code", self.agent_code, AGENT_CODE_MAX)
        require_max_len("seat", self.seat, NAME_MAX)
        require_max_len("previous", self.previous, AGENT_STATE_MAX)
        require_max_len("state", self.state, AGENT_STATE_MAX)
        require_max_len("reason", self.reason, REASON_MAX)
        require_aware("at", self.at)


class MessageStatus(enum.StrEnum):
    NEW = "new"
    HANDLED = "handled"


@dataclass(frozen=True, slots=True)
class VoiceMessage:
    """A message a caller left instead of waiting; ``audio`` is the file as Asterisk wrote it."""

    call_uniqueid: str
    caller_number: str
    queue: str
    topic: str
    audio: str
    duration_ms: int
    recorded_at: datetime
    status: MessageStatus = MessageStatus.NEW
    handled_by: str | None = None
    handled_at: datetime | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        require_max_len("call_uniqueid", self.call_uniqueid, CALL_TEXT_LIMITS["uniqueid"])
        require_max_len("caller_number", self.caller_number, CALL_TEXT_LIMITS["caller_number"])
        require_aware("recorded_at", self.recorded_at)
        require_aware("handled_at", self.handled_at)
        object.__setattr__(self, "status", MessageStatus(self.status))
