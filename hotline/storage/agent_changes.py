"""The log of agent state changes, and pause time from it, inside a session the store opens."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, insert, or_, select
from sqlalchemy.orm import Session

from hotline.storage.models import AgentStateChangeRow
from hotline.storage.records import PAUSED, AgentStateChange


def save_changes(session: Session, changes: Sequence[AgentStateChange]) -> None:
    """Append the changes in one multi-row insert; their order is kept for equal times."""
    if changes:
        session.execute(insert(AgentStateChangeRow), [_values(change) for change in changes])


def load_changes(
    session: Session, agent_code: str | None, since: datetime | None, limit: int
) -> list[AgentStateChange]:
    """Oldest first, so a reader can page on with `since`."""
    statement = select(AgentStateChangeRow).order_by(AgentStateChangeRow.at, AgentStateChangeRow.id)
    if agent_code is not None:
        statement = statement.where(AgentStateChangeRow.agent_code == agent_code)
    if since is not None:
        statement = statement.where(AgentStateChangeRow.at >= since)
    return [_to_record(row) for row in session.scalars(statement.limit(limit))]


def load_pause_time(session: Session, since: datetime, until: datetime) -> dict[str, float]:
    rows = session.scalars(_select_around(since, until))
    return pause_seconds([_to_record(row) for row in rows], since, until)


def pause_seconds(
    changes: Iterable[AgentStateChange], since: datetime, until: datetime
) -> dict[str, float]:
    """Seconds spent paused between `since` and `until`, per pause reason.

    A pause runs from the agent's change into `paused` to the agent's next
    change, whatever it is; a pause with no next change is still open and
    counts up to `until`. Only the part inside [since, until] counts, so pass
    each agent's last change before `since` too. Changes at the same time keep
    their order in `changes`.
    """
    totals: dict[str, float] = {}
    current: dict[str, AgentStateChange] = {}
    for change in sorted(changes, key=lambda change: change.at):
        before = current.get(change.agent_code)
        if before is not None:
            _add_pause(totals, before, change.at, since, until)
        current[change.agent_code] = change
    for change in current.values():
        _add_pause(totals, change, until, since, until)
    return totals


def _add_pause(
    totals: dict[str, float],
    change: AgentStateChange,
    ended: datetime,
    since: datetime,
    until: datetime,
) -> None:
    if change.state != PAUSED:
        return
    seconds = (min(ended, until) - max(change.at, since)).total_seconds()
    if seconds > 0:
        totals[change.reason] = totals.get(change.reason, 0.0) + seconds


def _select_around(since: datetime, until: datetime) -> Select[AgentStateChangeRow]:
    """Each agent's last change before `since` (its state then) and every change up to `until`."""
    ranked = (
        select(
            AgentStateChangeRow.id,
            func.row_number()
            .over(
                partition_by=AgentStateChangeRow.agent_code,
                order_by=(AgentStateChangeRow.at.desc(), AgentStateChangeRow.id.desc()),
            )
            .label("rank"),
        )
        .where(AgentStateChangeRow.at < since)
        .subquery()
    )
    last_before = select(ranked.c.id).where(ranked.c.rank == 1)
    in_window = and_(AgentStateChangeRow.at >= since, AgentStateChangeRow.at < until)
    return (
        select(AgentStateChangeRow)
        .where(or_(AgentStateChangeRow.id.in_(last_before), in_window))
        .order_by(AgentStateChangeRow.at, AgentStateChangeRow.id)
    )


def _values(change: AgentStateChange) -> dict[str, Any]:
    return {
        "agent_code": change.agent_code,
        "seat": change.seat,
        "previous": change.previous,
        "state": change.state,
        "reason": change.reason,
        "at": change.at,
    }


def _to_record(row: AgentStateChangeRow) -> AgentStateChange:
    return AgentStateChange(
        agent_code=row.agent_code,
        seat=row.seat,
        previous=row.previous,
        state=row.state,
        reason=row.reason,
        at=row.at,
    )
