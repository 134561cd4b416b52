"""The store's handoff methods (blind and warm transfers): latest state and steps in order.

A mixin of `Store`, like transfer_store.py for window connections; it uses the store's sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.storage.handoff_models import HandoffRow, HandoffStepRow
from hotline.storage.records import require_aware
from transfers.case import Step


@dataclass(frozen=True)
class HandoffRecord:
    case_id: str
    call_id: str
    kind: str
    agent: str
    """The agent who handed the caller over."""
    target_kind: str
    target: str
    note: str
    topic: str
    caller_channel: str
    agent_channel: str
    target_channel: str | None
    received_by: str | None
    """The agent the caller reached (a blind transfer's is known once offered)."""
    state: str
    reason: str
    agent_present: bool
    finished: bool
    created_at: datetime
    updated_at: datetime

    def __post_init__(self) -> None:
        require_aware("created_at", self.created_at)
        require_aware("updated_at", self.updated_at)


FIELDS = tuple(HandoffRecord.__dataclass_fields__)


class HandoffStoreMixin:
    _write: Callable[[], AbstractContextManager[Session]]
    _read: Callable[[], AbstractContextManager[Session]]

    def save_handoff(self, record: HandoffRecord, steps: Sequence[Step] = ()) -> None:
        """Write the handoff's latest state and append ``steps``, in one transaction."""
        with self._write() as session:
            row = session.get(HandoffRow, record.case_id)
            values = {name: getattr(record, name) for name in FIELDS}
            if row is None:
                session.add(HandoffRow(**values))
            else:
                for name, value in values.items():
                    if name != "created_at":
                        setattr(row, name, value)
            last = session.scalar(
                select(func.max(HandoffStepRow.seq)).where(HandoffStepRow.case_id == record.case_id)
            )
            session.flush()
            for seq, step in enumerate(steps, start=(last or 0) + 1):
                require_aware("at", step.at)
                session.add(HandoffStepRow(
                    case_id=record.case_id, seq=seq, at=step.at, from_state=step.from_state,
                    event=step.event, to_state=step.to_state,
                ))  # fmt: skip

    def get_handoff(self, case_id: str) -> tuple[HandoffRecord, list[Step]] | None:
        with self._read() as session:
            row = session.get(HandoffRow, case_id)
            if row is None:
                return None
            steps = session.scalars(
                select(HandoffStepRow)
                .where(HandoffStepRow.case_id == case_id)
                .order_by(HandoffStepRow.seq)
            ).all()
            record = HandoffRecord(**{name: getattr(row, name) for name in FIELDS})
            return record, [Step(s.at, s.from_state, s.event, s.to_state) for s in steps]

    def open_handoffs(self) -> list[HandoffRecord]:
        """Handoffs not finished: after a restart each is settled with what Asterisk says."""
        with self._read() as session:
            rows = session.scalars(
                select(HandoffRow)
                .where(HandoffRow.finished.is_(False))
                .order_by(HandoffRow.created_at)
            ).all()
            return [HandoffRecord(**{name: getattr(r, name) for name in FIELDS}) for r in rows]
