"""IVR flow versions, survey responses, hot topics and the steps path analytics reads, inside a
session the store opens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from hotline.storage.ivr_records import FlowVersion, HotTopic, SurveyResponse
from hotline.storage.models import (
    CallRow,
    CallStepRow,
    FlowVersionRow,
    HotTopicRow,
    SurveyResponseRow,
)
from hotline.storage.records import StepKind
from hotline.storage.sql import upsert
from ivr.path_report import PATH_KINDS, CallPath, PathStep


def add_flow_version(session: Session, flow: str, source: str, *, author: str, comment: str,
                     at: datetime, reverted_from: int | None) -> FlowVersion:  # fmt: skip
    """The next version number of the flow; the unique (flow, version) pair makes two writers
    at once collide rather than share a number (the store retries the loser)."""
    latest = session.scalar(
        select(func.max(FlowVersionRow.version)).where(FlowVersionRow.flow == flow)
    )
    version = FlowVersion(flow, (latest or 0) + 1, source, author, comment, at, reverted_from)
    session.add(FlowVersionRow(
        flow=flow, version=version.version, source=source, author=author, comment=comment,
        created_at=at, reverted_from=reverted_from,
    ))  # fmt: skip
    session.flush()
    return version


def flow_versions(
    session: Session, flow: str, version: int | None, limit: int
) -> list[FlowVersion]:
    statement = select(FlowVersionRow).where(FlowVersionRow.flow == flow)
    if version is not None:
        statement = statement.where(FlowVersionRow.version == version)
    rows = session.scalars(statement.order_by(FlowVersionRow.version.desc()).limit(limit))
    return [
        FlowVersion(r.flow, r.version, r.source, r.author, r.comment, r.created_at, r.reverted_from)
        for r in rows
    ]


def save_survey(session: Session, response: SurveyResponse) -> None:
    """The first rating of a call is kept: a retried write, or a second rating, changes nothing."""
    values = {
        "call_uniqueid": response.call_uniqueid, "agent_code": response.agent_code,
        "queue": response.queue, "rating": response.rating, "at": response.at,
    }  # fmt: skip
    session.execute(
        upsert(session, SurveyResponseRow)
        .values(values)
        .on_conflict_do_nothing(index_elements=[SurveyResponseRow.call_uniqueid])
    )


def surveys(session: Session, since: datetime, until: datetime,
            agent_code: str | None) -> list[SurveyResponse]:  # fmt: skip
    statement = select(SurveyResponseRow).where(
        SurveyResponseRow.at >= since, SurveyResponseRow.at < until
    )
    if agent_code is not None:
        statement = statement.where(SurveyResponseRow.agent_code == agent_code)
    return [
        SurveyResponse(r.call_uniqueid, r.agent_code, r.queue, r.rating, r.at)
        for r in session.scalars(statement.order_by(SurveyResponseRow.at))
    ]


def survey_summary(
    session: Session, since: datetime, until: datetime
) -> dict[str, dict[str, float]]:
    """Per agent: how many ratings, and their mean."""
    rows = session.execute(
        select(SurveyResponseRow.agent_code, func.count(), func.avg(SurveyResponseRow.rating))
        .where(SurveyResponseRow.at >= since, SurveyResponseRow.at < until)
        .group_by(SurveyResponseRow.agent_code)
    )
    return {
        agent or "": {"count": int(count), "mean": round(float(mean), 2)}
        for agent, count, mean in rows
    }


def add_hot_topic(session: Session, text: str, *, starts_at: datetime, ends_at: datetime,
                  created_by: str, at: datetime) -> HotTopic:  # fmt: skip
    HotTopic(0, text, starts_at, ends_at, created_by, at)  # validates before writing
    row = HotTopicRow(text=text, starts_at=starts_at, ends_at=ends_at, created_by=created_by,
                      created_at=at)  # fmt: skip
    session.add(row)
    session.flush()
    return _hot_topic(row)


def hot_topics(session: Session, active_at: datetime | None, limit: int) -> list[HotTopic]:
    statement = select(HotTopicRow)
    if active_at is not None:
        statement = statement.where(
            HotTopicRow.starts_at <= active_at, HotTopicRow.ends_at > active_at,
            HotTopicRow.cancelled_at.is_(None),
        )  # fmt: skip
    rows = session.scalars(statement.order_by(HotTopicRow.id.desc()).limit(limit))
    return [_hot_topic(r) for r in rows]


def hot_topics_not_over(session: Session, at: datetime, limit: int) -> list[HotTopic]:
    """Not cancelled and ending after `at` (active then or later), newest first."""
    statement = (
        select(HotTopicRow)
        .where(HotTopicRow.ends_at > at, HotTopicRow.cancelled_at.is_(None))
        .order_by(HotTopicRow.id.desc())
        .limit(limit)
    )
    return [_hot_topic(r) for r in session.scalars(statement)]


def cancel_hot_topic(session: Session, topic_id: int, at: datetime) -> bool:
    result = session.execute(
        update(HotTopicRow)
        .where(HotTopicRow.id == topic_id, HotTopicRow.cancelled_at.is_(None))
        .values(cancelled_at=at)
    )
    return bool(getattr(result, "rowcount", 0))


def _hot_topic(row: HotTopicRow) -> HotTopic:
    return HotTopic(row.id, row.text, row.starts_at, row.ends_at, row.created_by,
                    row.created_at, row.cancelled_at)  # fmt: skip


def path_steps(session: Session, since: datetime, until: datetime, limit: int) -> list[CallPath]:
    """The newest `limit` calls that arrived in [since, until) and entered an IVR node, newest
    first, each with only the steps path analytics reads, in order. One query: the calls are a
    subquery joined to their steps (no IN list, which SQLite caps)."""
    entered_ivr = exists().where(
        CallStepRow.call_id == CallRow.id, CallStepRow.kind == StepKind.IVR_NODE.value
    )
    chosen = (
        select(CallRow.id, CallRow.uniqueid, CallRow.outcome, CallRow.arrived_at)
        .where(CallRow.arrived_at >= since, CallRow.arrived_at < until, entered_ivr)
        .order_by(CallRow.arrived_at.desc(), CallRow.id.desc())
        .limit(limit)
        .subquery()
    )
    rows = session.execute(
        select(chosen.c.uniqueid, chosen.c.outcome, CallStepRow.kind, CallStepRow.at,
               CallStepRow.detail)
        .join(CallStepRow, CallStepRow.call_id == chosen.c.id)
        .where(CallStepRow.kind.in_(sorted(PATH_KINDS)))
        .order_by(chosen.c.arrived_at.desc(), chosen.c.id.desc(), CallStepRow.seq)
    )  # fmt: skip
    found: dict[str, tuple[str, list[PathStep]]] = {}
    for uniqueid, outcome, kind, at, detail in rows:
        found.setdefault(uniqueid, (outcome, []))[1].append(PathStep(kind, at, detail))
    return [CallPath(call_id, outcome, tuple(steps)) for call_id, (outcome, steps) in found.items()]
