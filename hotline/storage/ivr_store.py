"""The store's IVR methods: flow versions, survey responses, hot topics, path analytics input.

A mixin of `Store` (kept apart so that store.py stays small); it uses the store's sessions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from hotline.storage import ivr_data
from hotline.storage.errors import ConflictError
from hotline.storage.ivr_records import FlowVersion, HotTopic, SurveyResponse
from hotline.storage.records import require_aware
from ivr.path_report import CallPath

HOT_TOPICS_FRESH_S = 30.0
HOT_TOPICS_CACHED = 1000


@dataclass(frozen=True)
class _HotTopics:
    since: datetime
    read_at: float
    topics: list[HotTopic]


# Each writer that loses the race for a version number tries the next one; with n writers at
# once the last one wins after n - 1 losses, so this is a bound on simultaneous admins.
VERSION_ATTEMPTS = 10


class IvrStoreMixin:
    # Provided by Store: a session in a transaction, and a session for reading.
    _write: Callable[[], AbstractContextManager[Session]]
    _read: Callable[[], AbstractContextManager[Session]]
    _hot_topics_cache: _HotTopics | None = None

    # IVR flow versions

    def save_flow_version(
        self, flow: str, source: str, *, author: str, comment: str, at: datetime,
        reverted_from: int | None = None,
    ) -> FlowVersion:  # fmt: skip
        """Store the text as the flow's next version (1 for a new flow) and return it.

        Two writers at once cannot share a number: the unique (flow, version) pair makes the
        second one's insert fail, and it tries again with the number after the winner's.
        """
        FlowVersion(flow, 1, source, author, comment, at, None)  # validates before writing
        for attempt in range(VERSION_ATTEMPTS):
            try:
                with self._write() as session:
                    return ivr_data.add_flow_version(
                        session, flow, source, author=author, comment=comment, at=at,
                        reverted_from=reverted_from,
                    )  # fmt: skip
            except ConflictError:
                if attempt == VERSION_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def latest_flow_version(self, flow: str) -> FlowVersion | None:
        with self._read() as session:
            found = ivr_data.flow_versions(session, flow, None, 1)
        return found[0] if found else None

    def get_flow_version(self, flow: str, version: int) -> FlowVersion | None:
        with self._read() as session:
            found = ivr_data.flow_versions(session, flow, version, 1)
        return found[0] if found else None

    def list_flow_versions(self, flow: str, limit: int = 50) -> list[FlowVersion]:
        """The flow's newest `limit` versions, newest first, each with its whole text (a flow
        is some 10 kB of YAML; the history screen and a revert both want it)."""
        _require_limit(limit)
        with self._read() as session:
            return ivr_data.flow_versions(session, flow, None, limit)

    # Satisfaction surveys

    def save_survey(self, response: SurveyResponse) -> None:
        """Keep the call's rating. The first rating of a call stays: a second one (or a
        retried write) is ignored without an error, so a recorder may retry freely."""
        with self._write() as session:
            ivr_data.save_survey(session, response)

    def list_surveys(self, since: datetime, until: datetime,
                     agent_code: str | None = None) -> list[SurveyResponse]:  # fmt: skip
        """Ratings given in [since, until) (to one agent, when given), oldest first."""
        _require_period(since, until)
        with self._read() as session:
            return ivr_data.surveys(session, since, until, agent_code)

    def survey_summary(self, since: datetime, until: datetime) -> dict[str, dict[str, float]]:
        """Per agent code ("" for calls no agent answered): {"count": n, "mean": 4.25}."""
        _require_period(since, until)
        with self._read() as session:
            return ivr_data.survey_summary(session, since, until)

    # Hot-topic announcements

    def create_hot_topic(self, text: str, *, starts_at: datetime, ends_at: datetime,
                         created_by: str, at: datetime) -> HotTopic:  # fmt: skip
        """Switch an announcement on for [starts_at, ends_at); ValueError for a bad period."""
        try:
            with self._write() as session:
                return ivr_data.add_hot_topic(
                    session, text, starts_at=starts_at, ends_at=ends_at, created_by=created_by,
                    at=at,
                )  # fmt: skip
        finally:
            self._hot_topics_cache = None

    def active_hot_topic(self, at: datetime) -> HotTopic | None:
        """The newest (last created) announcement switched on at `at` and not cancelled.

        Asked once per call: answered from the topics not yet over, read again at most every
        ``HOT_TOPICS_FRESH_S`` and at once after a change through this store (a query per call
        was ~5 % of the controller's GIL time at 600 lines, in worker threads the event loop
        waits for). A change made through another process shows within that time."""
        require_aware("at", at)
        for topic in self._hot_topics_from(at):
            if topic.starts_at <= at < topic.ends_at:
                return topic
        return None

    def _hot_topics_from(self, at: datetime) -> list[HotTopic]:
        """Not cancelled and not over at `at`, newest first (cached: see active_hot_topic)."""
        cached = self._hot_topics_cache
        fresh = cached is not None and time.monotonic() - cached.read_at < HOT_TOPICS_FRESH_S
        if cached is not None and fresh and cached.since <= at:
            return cached.topics
        with self._read() as session:
            topics = ivr_data.hot_topics_not_over(session, at, HOT_TOPICS_CACHED)
        self._hot_topics_cache = _HotTopics(at, time.monotonic(), topics)
        return topics

    def list_hot_topics(self, limit: int = 50) -> list[HotTopic]:
        """Newest first, cancelled and past ones included."""
        _require_limit(limit)
        with self._read() as session:
            return ivr_data.hot_topics(session, None, limit)

    def cancel_hot_topic(self, topic_id: int, at: datetime) -> bool:
        """Switch it off from `at`; False when there is no such topic or it was cancelled."""
        require_aware("at", at)
        try:
            with self._write() as session:
                return ivr_data.cancel_hot_topic(session, topic_id, at)
        finally:
            self._hot_topics_cache = None

    # Path analytics

    def ivr_path_steps(self, since: datetime, until: datetime, limit: int) -> list[CallPath]:
        """The input of `ivr.path_report.build_report`: the newest `limit` calls that arrived in
        [since, until) and entered an IVR node, newest first, each with its outcome and the
        steps the report reads (``ivr.path_report.PATH_KINDS``) in order."""
        _require_period(since, until)
        _require_limit(limit)
        with self._read() as session:
            return ivr_data.path_steps(session, since, until, limit)


def _require_period(since: datetime, until: datetime) -> None:
    require_aware("since", since)
    require_aware("until", until)


def _require_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
