"""Queued callbacks and voice messages, inside a session the store opens."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from hotline.storage.models import CallbackRow, VoiceMessageRow
from hotline.storage.records import MessageStatus, VoiceMessage
from hotline.storage.sql import upsert
from queues.callbacks import OPEN, Callback, CallbackStatus

_CALLBACK_COLUMNS = (
    "id", "call_uniqueid", "number", "queue", "topic", "priority", "queued_at", "requested_at",
    "status", "attempts", "last_result", "leg_uniqueid", "updated_at", "due_at",
)  # fmt: skip


def save_callback(session: Session, callback: Callback) -> None:
    """Insert or update the callback by id (the controller re-saves it at every change)."""
    values: dict[str, Any] = {name: getattr(callback, name) for name in _CALLBACK_COLUMNS}
    values["status"] = callback.status.value
    values["requirements"] = [list(pair) for pair in callback.requirements]
    values["agent_code"] = callback.agent
    statement = upsert(session, CallbackRow).values(values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[CallbackRow.id],
            set_={name: value for name, value in values.items() if name != "id"},
        )
    )


def load_callbacks(
    session: Session, open_only: bool, since: datetime | None, limit: int
) -> list[Callback]:
    statement = select(CallbackRow).order_by(CallbackRow.requested_at, CallbackRow.id)
    if open_only:
        statement = statement.where(CallbackRow.status.in_([s.value for s in OPEN]))
    if since is not None:
        statement = statement.where(CallbackRow.requested_at >= since)
    return [_callback(row) for row in session.scalars(statement.limit(limit))]


def _callback(row: CallbackRow) -> Callback:
    pairs = cast(list[list[Any]], row.requirements or [])
    return Callback(
        id=row.id,
        call_uniqueid=row.call_uniqueid,
        number=row.number,
        queue=row.queue,
        topic=row.topic,
        priority=row.priority,
        requirements=tuple((str(skill), int(level)) for skill, level in pairs),
        queued_at=row.queued_at,
        requested_at=row.requested_at,
        status=CallbackStatus(row.status),
        attempts=row.attempts,
        last_result=row.last_result,
        leg_uniqueid=row.leg_uniqueid,
        agent=row.agent_code,
        updated_at=row.updated_at,
        due_at=row.due_at,
    )


def save_message(session: Session, message: VoiceMessage) -> int:
    """Insert the message once per call (a retried write changes nothing); returns its id."""
    values = {
        "call_uniqueid": message.call_uniqueid,
        "caller_number": message.caller_number,
        "queue": message.queue,
        "topic": message.topic,
        "audio": message.audio,
        "duration_ms": message.duration_ms,
        "recorded_at": message.recorded_at,
        "status": message.status.value,
        "handled_by": message.handled_by,
        "handled_at": message.handled_at,
    }
    statement = upsert(session, VoiceMessageRow).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=[VoiceMessageRow.call_uniqueid],
        set_={"duration_ms": message.duration_ms, "audio": message.audio},
    )
    message_id: int = session.execute(statement.returning(VoiceMessageRow.id)).scalar_one()
    return message_id


def load_messages(session: Session, status: MessageStatus | None, limit: int) -> list[VoiceMessage]:
    statement = select(VoiceMessageRow).order_by(VoiceMessageRow.recorded_at.desc())
    if status is not None:
        statement = statement.where(VoiceMessageRow.status == status.value)
    return [_message(row) for row in session.scalars(statement.limit(limit))]


def load_message(session: Session, message_id: int) -> VoiceMessage | None:
    row = session.get(VoiceMessageRow, message_id)
    return None if row is None else _message(row)


def mark_handled(session: Session, message_id: int, by: str, at: datetime) -> bool:
    result = cast(
        CursorResult[Any],
        session.execute(
            update(VoiceMessageRow)
            .where(VoiceMessageRow.id == message_id)
            .values(status=MessageStatus.HANDLED.value, handled_by=by, handled_at=at)
        ),
    )
    return result.rowcount > 0


def _message(row: VoiceMessageRow) -> VoiceMessage:
    return VoiceMessage(
        id=row.id,
        call_uniqueid=row.call_uniqueid,
        caller_number=row.caller_number,
        queue=row.queue,
        topic=row.topic,
        audio=row.audio,
        duration_ms=row.duration_ms,
        recorded_at=row.recorded_at,
        status=MessageStatus(row.status),
        handled_by=row.handled_by,
        handled_at=row.handled_at,
    )
