"""Reading and writing calls with their steps, inside a session the store opens."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, delete, func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from hotline.storage.models import CallRow, CallStepRow
from hotline.storage.records import (
    CallRecord,
    CallStep,
    Outcome,
    StepKind,
    require_disposition,
)
from hotline.storage.sql import upsert

# Every CallRecord field except the steps is a column of `calls`.
_CALL_COLUMNS = (
    "uniqueid",
    "linkedid",
    "caller_number",
    "caller_name",
    "dialed",
    "arrived_at",
    "answered_at",
    "ended_at",
    "queue",
    "agent_code",
    "seat",
    "outcome",
    "wait_ms",
    "talk_ms",
    "fallback",
    "hangup_cause",
    "disposition",
)


def save_call(session: Session, record: CallRecord) -> int:
    """Insert or update the call by uniqueid, then replace all its steps."""
    values = _call_values(record)
    statement = upsert(session, CallRow).values(values)
    # The disposition is usually set on its own (set_disposition) while the
    # controller keeps re-recording the call without one: None must not wipe it.
    kept = {"uniqueid"} if record.disposition is not None else {"uniqueid", "disposition"}
    statement = statement.on_conflict_do_update(
        index_elements=[CallRow.uniqueid],
        set_={name: value for name, value in values.items() if name not in kept},
    )
    call_id: int = session.execute(statement.returning(CallRow.id)).scalar_one()
    # The controller re-records a call as it learns more; its latest path wins.
    session.execute(delete(CallStepRow).where(CallStepRow.call_id == call_id))
    if record.steps:
        session.execute(insert(CallStepRow), _step_values(call_id, record.steps))
    return call_id


def load_call(session: Session, uniqueid: str) -> CallRecord | None:
    statement = _select_calls().where(CallRow.uniqueid == uniqueid)
    row = session.scalars(statement).one_or_none()
    return None if row is None else _to_record(row)


def calls_from(session: Session, number: str, before: datetime, limit: int) -> list[CallRecord]:
    """The caller's previous calls, newest first, without their steps (the screen-pop shows
    them on every offer: columns only, no ORM objects, no second query for the steps)."""
    columns = [getattr(CallRow, name) for name in _CALL_COLUMNS]
    statement = (
        select(*columns)
        .where(CallRow.caller_number == number, CallRow.arrived_at < before)
        .order_by(CallRow.arrived_at.desc(), CallRow.id.desc())
        .limit(limit)
    )
    found = []
    for row in session.execute(statement):
        fields = dict(zip(_CALL_COLUMNS, row, strict=True))
        fields["outcome"] = Outcome(fields["outcome"])
        found.append(CallRecord(**fields, steps=()))
    return found


def load_calls(session: Session, since: datetime | None, limit: int) -> list[CallRecord]:
    """Newest first, so a call log shows the latest calls without paging."""
    statement = _select_calls().order_by(CallRow.arrived_at.desc(), CallRow.id.desc())
    if since is not None:
        statement = statement.where(CallRow.arrived_at >= since)
    return [_to_record(row) for row in session.scalars(statement.limit(limit))]


def set_disposition(session: Session, uniqueid: str, code: str) -> bool:
    """Record the call's reason code; False when there is no such call."""
    require_disposition(code)
    statement = update(CallRow).where(CallRow.uniqueid == uniqueid).values(disposition=code)
    # An UPDATE always yields a CursorResult; Session.execute is typed more loosely.
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount > 0


def count_calls(session: Session) -> int:
    return session.execute(select(func.count()).select_from(CallRow)).scalar_one()


def _select_calls() -> Select[CallRow]:
    return select(CallRow).options(selectinload(CallRow.steps))


def _call_values(record: CallRecord) -> dict[str, Any]:
    values = {name: getattr(record, name) for name in _CALL_COLUMNS}
    values["outcome"] = record.outcome.value
    return values


def _step_values(call_id: int, steps: tuple[CallStep, ...]) -> list[dict[str, Any]]:
    return [
        {
            "call_id": call_id,
            "seq": seq,
            "at": step.at,
            "kind": step.kind.value,
            "detail": dict(step.detail),
        }
        for seq, step in enumerate(steps, start=1)
    ]


def _to_record(row: CallRow) -> CallRecord:
    fields = {name: getattr(row, name) for name in _CALL_COLUMNS}
    fields["outcome"] = Outcome(row.outcome)
    steps = tuple(
        CallStep(at=step.at, kind=StepKind(step.kind), detail=step.detail) for step in row.steps
    )
    return CallRecord(**fields, steps=steps)


def load_answerers(session: Session, since: datetime) -> list[tuple[str, str, datetime]]:
    statement = select(CallRow.caller_number, CallRow.agent_code, CallRow.answered_at).where(
        CallRow.arrived_at >= since,
        CallRow.agent_code.is_not(None),
        CallRow.answered_at.is_not(None),
    )
    rows = session.execute(statement)
    return [(number, agent, at) for number, agent, at in rows if agent and at]


def mean_talk_seconds(session: Session, since: datetime) -> float | None:
    statement = select(func.avg(CallRow.talk_ms)).where(
        CallRow.arrived_at >= since, CallRow.talk_ms.is_not(None)
    )
    mean = session.execute(statement).scalar_one()
    return None if mean is None else float(mean) / 1000
