"""Records of the knowledge base's data: what an import changed, marks, gaps, versions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime

from hotline.storage.records import require_aware, require_max_len
from kb.corpus import Provision

QUESTION_MAX = 500
TOPIC_MAX = 80
SOURCES = frozenset({"corpus", "guidance"})


def content_hash(provision: Provision) -> str:
    """What makes two versions of a provision differ: everything an agent reads of it."""
    fields = [
        provision.law_title, provision.category, provision.law_category, provision.domain,
        provision.level, provision.article_no, provision.chapter, provision.text,
        provision.version_date, _day(provision.effective_from), _day(provision.effective_to),
    ]  # fmt: skip
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


@dataclass(frozen=True, slots=True)
class ImportResult:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    retired: int = 0

    @property
    def total(self) -> int:
        return self.added + self.changed + self.unchanged


@dataclass(frozen=True, slots=True)
class ProvisionVersion:
    """One stored version of a provision, with when it was recorded and replaced."""

    provision: Provision
    version: int
    source: str
    created_at: datetime
    created_by: str
    superseded_at: datetime | None
    retired_at: datetime | None


@dataclass(frozen=True, slots=True)
class KbMark:
    """An agent's mark: this entry answered this call, for calls of this topic."""

    call_uniqueid: str
    provision_id: str
    agent_code: str
    topic: str
    at: datetime

    def __post_init__(self) -> None:
        require_aware("at", self.at)
        if not (self.call_uniqueid and self.provision_id and self.topic):
            raise ValueError("a mark needs the call, the entry and the topic")
        require_max_len("topic", self.topic, TOPIC_MAX)


@dataclass(frozen=True, slots=True)
class KbGap:
    """A question the knowledge base had no answer for."""

    call_uniqueid: str | None
    agent_code: str
    topic: str
    question: str
    at: datetime

    def __post_init__(self) -> None:
        require_aware("at", self.at)
        if not self.question.strip():
            raise ValueError("a gap needs the caller's question")
        require_max_len("question", self.question, QUESTION_MAX)
        require_max_len("topic", self.topic, TOPIC_MAX)


@dataclass(frozen=True, slots=True)
class UnmarkedCalls:
    """Answered calls of a queue and disposition for which no entry was marked."""

    queue: str
    disposition: str
    calls: int
