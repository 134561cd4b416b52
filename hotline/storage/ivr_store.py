"""The store's IVR methods: flow versions, survey responses, hot topics, path analytics input.

A mixin of `Store` (kept apart so that store.py stays small); it uses the store's sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import datetime

from sqlalchemy.orm import Session

from hotline.storage import calls, ivr_data
from hotline.storage.errors import ConflictError
from hotline.storage.ivr_records import FlowVersion, HotTopic, SurveyResponse
from hotline.storage.records import CallRecord, StepKind, require_aware

VERSION_RETRIES = 3


class IvrStoreMixin:
    # Provided by Store: a session in a transaction, and a session for reading.
    _write: Callable[[], AbstractContextManager[Session]]
    _read: Callable[[], AbstractContextManager[Session]]

    # IVR flow versions

    def save_flow_version(
        self, flow: str, source: str, *, author: str, comment: str, at: datetime,
        reverted_from: int | None = None,
    ) -> FlowVersion:  # fmt: skip
        """Store the text as the flow's next version (a writer that loses the race for the
        number tries again with the next one)."""
        require_aware("at", at)
        for attempt in range(VERSION_RETRIES):
            try:
                with self._write() as session:
                    return ivr_data.add_flow_version(
                        session, flow, source, author=author, comment=comment, at=at,
                        reverted_from=reverted_from,
                    )  # fmt: skip
            except ConflictError:
                if attempt == VERSION_RETRIES - 1:
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
        """Newest first, with their texts."""
        with self._read() as session:
            return ivr_data.flow_versions(session, flow, None, limit)

    # Satisfaction surveys

    def save_survey(self, response: SurveyResponse) -> None:
        with self._write() as session:
            ivr_data.save_survey(session, response)

    def list_surveys(self, since: datetime, until: datetime,
                     agent_code: str | None = None) -> list[SurveyResponse]:  # fmt: skip
        require_aware("since", since)
        require_aware("until", until)
        with self._read() as session:
            return ivr_data.surveys(session, since, until, agent_code)

    def survey_summary(self, since: datetime, until: datetime) -> dict[str, dict[str, float]]:
        with self._read() as session:
            return ivr_data.survey_summary(session, since, until)

    # Hot-topic announcements

    def create_hot_topic(self, text: str, *, starts_at: datetime, ends_at: datetime,
                         created_by: str, at: datetime) -> HotTopic:  # fmt: skip
        with self._write() as session:
            return ivr_data.add_hot_topic(
                session, text, starts_at=starts_at, ends_at=ends_at, created_by=created_by, at=at
            )

    def active_hot_topic(self, at: datetime) -> HotTopic | None:
        """The newest announcement switched on for this moment and not cancelled."""
        require_aware("at", at)
        with self._read() as session:
            found = ivr_data.hot_topics(session, at, 1)
        return found[0] if found else None

    def list_hot_topics(self, limit: int = 50) -> list[HotTopic]:
        with self._read() as session:
            return ivr_data.hot_topics(session, None, limit)

    def cancel_hot_topic(self, topic_id: int, at: datetime) -> bool:
        with self._write() as session:
            return ivr_data.cancel_hot_topic(session, topic_id, at)

    # Path analytics

    def ivr_path_steps(self, since: datetime, until: datetime, limit: int) -> list[CallRecord]:
        """Calls that arrived in [since, until) and passed through the IVR, with their steps."""
        require_aware("since", since)
        with self._read() as session:
            found = calls.load_calls(session, since, limit)
        return list(_through_ivr(found, until))


def _through_ivr(records: list[CallRecord], until: datetime) -> Iterator[CallRecord]:
    for record in records:
        if record.arrived_at < until and any(s.kind is StepKind.IVR_NODE for s in record.steps):
            yield record
