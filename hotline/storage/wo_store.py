"""The store's work-order methods: orders numbered per day, their history, and the outbox.

A mixin of `Store` (kept apart so that store.py stays small); it uses the store's sessions.
Every change to an order writes the order, its history rows and its outbox entries in one
transaction (``OrderWrite``): the office hears of exactly what was stored, or of nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hotline.storage.errors import ConflictError
from hotline.storage.records import require_aware
from hotline.storage.wo_models import OutboxRow, WorkOrderEventRow, WorkOrderRow
from hotline.storage.wo_records import (
    OrderWrite,
    OutboxRecord,
    WorkOrderEventRecord,
    WorkOrderRecord,
)
from transfers.outbox import EntryState, OutboxEntry

NUMBER_ATTEMPTS = 20
"""Two agents numbering an order at the same instant: the loser takes the next number."""
CLOSED_STATUSES = ("resolved", "closed")


class OrderNotFound(LookupError):
    pass


class WorkOrderStoreMixin:
    # Provided by Store: a session in a transaction, and a session for reading.
    _write: Callable[[], AbstractContextManager[Session]]
    _read: Callable[[], AbstractContextManager[Session]]

    def create_work_order(self, day: str, make: Callable[[int], OrderWrite]) -> WorkOrderRecord:
        """Number a new order (the day's next sequence, from 1), then write what ``make`` built
        for that sequence: the order, its history and its outbox entries, in one transaction.
        A number taken meanwhile by another writer makes it try the next one."""
        for attempt in range(NUMBER_ATTEMPTS):
            try:
                with self._write() as session:
                    last = session.scalar(
                        select(func.max(WorkOrderRow.sequence)).where(WorkOrderRow.day == day)
                    )
                    sequence = (last or 0) + 1
                    write = make(sequence)
                    session.add(_order_row(write.order, day, sequence))
                    _add_rest(session, write)
                    return write.order
            except ConflictError:
                if attempt == NUMBER_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def change_work_order(
        self, number: str, change: Callable[[WorkOrderRecord], OrderWrite | None]
    ) -> WorkOrderRecord:
        """Read the order under a lock, let ``change`` decide, and write its decision (the
        order, history and outbox) in the same transaction. ``change`` may raise (nothing is
        written) or return None (nothing to do). Raises OrderNotFound."""
        with self._write() as session:
            row = session.scalar(
                select(WorkOrderRow).where(WorkOrderRow.number == number).with_for_update()
            )
            if row is None:
                raise OrderNotFound(number)
            current = _order_record(row)
            write = change(current)
            if write is None:
                return current
            _update_row(row, write.order)
            _add_rest(session, write)
            return write.order

    def get_work_order(self, number: str) -> WorkOrderRecord | None:
        with self._read() as session:
            row = session.scalar(select(WorkOrderRow).where(WorkOrderRow.number == number))
            return None if row is None else _order_record(row)

    def list_work_orders(
        self, *, status: str | None = None, district_id: str | None = None, limit: int = 100
    ) -> list[WorkOrderRecord]:
        """Newest first."""
        query = select(WorkOrderRow).order_by(WorkOrderRow.id.desc()).limit(limit)
        if status is not None:
            query = query.where(WorkOrderRow.status == status)
        if district_id is not None:
            query = query.where(WorkOrderRow.district_id == district_id)
        with self._read() as session:
            return [_order_record(row) for row in session.scalars(query)]

    def open_work_orders(self) -> list[WorkOrderRecord]:
        """Orders a deadline may still apply to (not resolved, not closed)."""
        query = select(WorkOrderRow).where(WorkOrderRow.status.not_in(CLOSED_STATUSES))
        with self._read() as session:
            return [_order_record(row) for row in session.scalars(query.order_by(WorkOrderRow.id))]

    def work_orders_of(self, caller_number: str, limit: int) -> list[WorkOrderRecord]:
        """The caller's orders not yet closed (resolved ones wait for their follow-up call),
        newest first."""
        query = (
            select(WorkOrderRow)
            .where(WorkOrderRow.caller_number == caller_number, WorkOrderRow.status != "closed")
            .order_by(WorkOrderRow.id.desc())
            .limit(limit)
        )
        with self._read() as session:
            return [_order_record(row) for row in session.scalars(query)]

    def work_order_history(self, number: str) -> list[WorkOrderEventRecord]:
        query = select(WorkOrderEventRow).where(WorkOrderEventRow.number == number)
        with self._read() as session:
            rows = session.scalars(query.order_by(WorkOrderEventRow.id))
            return [_event_record(row) for row in rows]

    # The outbox

    def claim_due_outbox(
        self, now: datetime, *, limit: int, lease: timedelta
    ) -> list[OutboxRecord]:
        """Pending entries due by ``now``, oldest first, each leased until ``now + lease`` so that
        no other loop sends it meanwhile; an entry whose lease ran out (its sender died) is due
        again."""
        require_aware("now", now)
        due = (
            select(OutboxRow.id)
            .where(OutboxRow.state == EntryState.PENDING.value, OutboxRow.next_attempt_at <= now)
            .where((OutboxRow.claimed_until.is_(None)) | (OutboxRow.claimed_until <= now))
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
        )
        claimed = []
        with self._write() as session:
            for entry_id in list(session.scalars(due)):
                taken = session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id == entry_id, OutboxRow.state == EntryState.PENDING.value)
                    .where((OutboxRow.claimed_until.is_(None)) | (OutboxRow.claimed_until <= now))
                    .values(claimed_until=now + lease)
                )
                if getattr(taken, "rowcount", 0) == 1:
                    row = session.get(OutboxRow, entry_id)
                    if row is not None:
                        claimed.append(_outbox_record(row))
        return claimed

    def settle_outbox(self, entry_id: int, entry: OutboxEntry) -> None:
        """Record a try's result (transfers/outbox.py decided it) and release the lease."""
        with self._write() as session:
            row = session.get(OutboxRow, entry_id)
            if row is None:
                raise LookupError(f"no outbox entry {entry_id}")
            _set_entry(row, entry)
            row.claimed_until = None

    def outbox_entries(
        self, *, state: EntryState | None = None, order_number: str | None = None,
        limit: int = 100,
    ) -> list[OutboxRecord]:  # fmt: skip
        query = select(OutboxRow).order_by(OutboxRow.id).limit(limit)
        if state is not None:
            query = query.where(OutboxRow.state == state.value)
        if order_number is not None:
            query = query.where(OutboxRow.order_number == order_number)
        with self._read() as session:
            return [_outbox_record(row) for row in session.scalars(query)]

    def replay_outbox(
        self, entry_id: int, replay: Callable[[OutboxEntry], OutboxEntry]
    ) -> OutboxRecord | None:
        """Put a dead letter back (``replay`` is transfers.outbox.replay at a time); None if
        there is no such entry; ValueError (from ``replay``) if it is not dead."""
        with self._write() as session:
            row = session.get(OutboxRow, entry_id)
            if row is None:
                return None
            _set_entry(row, replay(_outbox_record(row).entry))
            row.claimed_until = None
            return _outbox_record(row)

    def count_outbox(self, state: EntryState) -> int:
        query = select(func.count()).select_from(OutboxRow).where(OutboxRow.state == state.value)
        with self._read() as session:
            return int(session.scalar(query) or 0)


def _add_rest(session: Session, write: OrderWrite) -> None:
    for event in write.events:
        session.add(WorkOrderEventRow(**dataclasses.asdict(event)))
    for record in write.outbox:
        row = OutboxRow(payload=record.payload)
        _set_entry(row, record.entry)
        session.add(row)
    # Flushed here so that a duplicate number or key fails inside the caller's retry loop.
    session.flush()


_ORDER_FIELDS = [f.name for f in dataclasses.fields(WorkOrderRecord)]


def _order_row(order: WorkOrderRecord, day: str, sequence: int) -> WorkOrderRow:
    values = dataclasses.asdict(order)
    values["payload"] = values.pop("details")
    return WorkOrderRow(day=day, sequence=sequence, **values)


def _update_row(row: WorkOrderRow, order: WorkOrderRecord) -> None:
    if order.number != row.number:
        raise ValueError(f"work order {row.number} cannot become {order.number}")
    for name in _ORDER_FIELDS:
        column = "payload" if name == "details" else name
        setattr(row, column, getattr(order, name))


def _order_record(row: WorkOrderRow) -> WorkOrderRecord:
    values = {name: getattr(row, "payload" if name == "details" else name)
              for name in _ORDER_FIELDS}  # fmt: skip
    return WorkOrderRecord(**values)


def _event_record(row: WorkOrderEventRow) -> WorkOrderEventRecord:
    names = [f.name for f in dataclasses.fields(WorkOrderEventRecord)]
    return WorkOrderEventRecord(**{name: getattr(row, name) for name in names})


_ENTRY_FIELDS = [f.name for f in dataclasses.fields(OutboxEntry)]


def _set_entry(row: OutboxRow, entry: OutboxEntry) -> None:
    for name in _ENTRY_FIELDS:
        value = getattr(entry, name)
        setattr(row, name, value.value if isinstance(value, EntryState) else value)


def _outbox_record(row: OutboxRow) -> OutboxRecord:
    values = {name: getattr(row, name) for name in _ENTRY_FIELDS}
    values["state"] = EntryState(values["state"])
    return OutboxRecord(OutboxEntry(**values), dict(row.payload), row.id)
