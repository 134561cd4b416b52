"""The store's window-connection methods: each transfer's latest state and its steps in order.

A mixin of `Store` (kept apart so that store.py stays small); it uses the store's sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.storage.records import require_aware
from hotline.storage.transfer_models import WindowTransferRow, WindowTransferStepRow
from transfers.case import Step


@dataclass(frozen=True)
class TransferRecord:
    """A window connection as stored: enough to rebuild it after a controller restart."""

    case_id: str
    call_id: str
    agent: str
    office_endpoint: str
    summary: str
    caller_channel: str
    agent_channel: str
    clerk_channel: str | None
    state: str
    reason: str
    agent_present: bool
    finished: bool
    dialled_at: datetime | None
    created_at: datetime
    updated_at: datetime

    def __post_init__(self) -> None:
        for name in ("dialled_at", "created_at", "updated_at"):
            require_aware(name, getattr(self, name))


FIELDS = tuple(TransferRecord.__dataclass_fields__)


class TransferStoreMixin:
    # Provided by Store: a session in a transaction, and a session for reading.
    _write: Callable[[], AbstractContextManager[Session]]
    _read: Callable[[], AbstractContextManager[Session]]

    def save_transfer(self, record: TransferRecord, steps: Sequence[Step] = ()) -> None:
        """Write the transfer's latest state and append ``steps``, in one transaction."""
        with self._write() as session:
            row = session.get(WindowTransferRow, record.case_id)
            values = {name: getattr(record, name) for name in FIELDS}
            if row is None:
                session.add(WindowTransferRow(**values))
            else:
                for name, value in values.items():
                    if name != "created_at":
                        setattr(row, name, value)
            last = session.scalar(
                select(func.max(WindowTransferStepRow.seq)).where(
                    WindowTransferStepRow.case_id == record.case_id
                )
            )
            session.flush()
            for seq, step in enumerate(steps, start=(last or 0) + 1):
                session.add(_step_row(record.case_id, seq, step))

    def get_transfer(self, case_id: str) -> tuple[TransferRecord, list[Step]] | None:
        with self._read() as session:
            row = session.get(WindowTransferRow, case_id)
            if row is None:
                return None
            steps = session.scalars(
                select(WindowTransferStepRow)
                .where(WindowTransferStepRow.case_id == case_id)
                .order_by(WindowTransferStepRow.seq)
            ).all()
            return _record(row), [Step(s.at, s.from_state, s.event, s.to_state) for s in steps]

    def open_transfers(self) -> list[TransferRecord]:
        """Transfers not finished: after a restart, each is settled with what Asterisk says."""
        with self._read() as session:
            rows = session.scalars(
                select(WindowTransferRow)
                .where(WindowTransferRow.finished.is_(False))
                .order_by(WindowTransferRow.created_at)
            ).all()
            return [_record(row) for row in rows]


def _record(row: WindowTransferRow) -> TransferRecord:
    return TransferRecord(**{name: getattr(row, name) for name in FIELDS})


def _step_row(case_id: str, seq: int, step: Step) -> WindowTransferStepRow:
    require_aware("at", step.at)
    return WindowTransferStepRow(
        case_id=case_id, seq=seq, at=step.at, from_state=step.from_state,
        event=step.event, to_state=step.to_state,
    )  # fmt: skip
