"""Records of the IVR's own data: flow versions, survey responses, hot-topic announcements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hotline.storage.records import (
    AGENT_CODE_MAX,
    CALL_TEXT_LIMITS,
    NAME_MAX,
    require_aware,
    require_max_len,
)

FLOW_SOURCE_MAX = 1_000_000
COMMENT_MAX = 200
HOT_TOPIC_MAX = 500
RATINGS = range(1, 6)


@dataclass(frozen=True, slots=True)
class FlowVersion:
    """One stored version of an IVR flow: who changed it, when, why, and its whole text."""

    flow: str
    version: int
    source: str
    author: str
    comment: str
    created_at: datetime
    reverted_from: int | None = None

    def __post_init__(self) -> None:
        require_aware("created_at", self.created_at)
        if not self.flow:
            raise ValueError("a flow version needs the flow's name")
        if self.version < 1:
            raise ValueError(f"flow versions count from 1, not {self.version}")
        if self.reverted_from is not None and not 1 <= self.reverted_from < self.version:
            raise ValueError(f"version {self.version} cannot revert to {self.reverted_from}")
        require_max_len("flow", self.flow, NAME_MAX)
        require_max_len("source", self.source, FLOW_SOURCE_MAX)
        require_max_len("author", self.author, NAME_MAX)
        require_max_len("comment", self.comment, COMMENT_MAX)


@dataclass(frozen=True, slots=True)
class SurveyResponse:
    """A caller's rating (1 worst to 5 best) of the agent who answered, after the call."""

    call_uniqueid: str
    agent_code: str | None
    queue: str | None
    rating: int
    at: datetime

    def __post_init__(self) -> None:
        require_aware("at", self.at)
        if not self.call_uniqueid:
            raise ValueError("a survey response needs the call's uniqueid")
        if isinstance(self.rating, bool) or not isinstance(self.rating, int) \
                or self.rating not in RATINGS:  # fmt: skip
            raise ValueError(f"a survey rating is 1 to 5, not {self.rating!r}")
        require_max_len("call_uniqueid", self.call_uniqueid, CALL_TEXT_LIMITS["uniqueid"])
        require_max_len("agent_code", self.agent_code, AGENT_CODE_MAX)
        require_max_len("queue", self.queue, CALL_TEXT_LIMITS["queue"])


@dataclass(frozen=True, slots=True)
class HotTopic:
    """A short announcement an admin switched on for a period (插播)."""

    id: int
    text: str
    starts_at: datetime
    ends_at: datetime
    created_by: str
    created_at: datetime
    cancelled_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("starts_at", "ends_at", "created_at", "cancelled_at"):
            require_aware(name, getattr(self, name))
        if not self.text.strip():
            raise ValueError("a hot-topic announcement needs a text")
        require_max_len("text", self.text, HOT_TOPIC_MAX)
        if self.ends_at <= self.starts_at:
            raise ValueError("a hot topic must end after it starts")
