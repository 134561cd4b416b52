"""Work orders in the store, on SQLite and PostgreSQL: numbers per day (also under concurrent
writers), one transaction for an order, its history and its outbox, leases and dead letters."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from hotline.storage import Store
from hotline.storage.errors import ConflictError
from hotline.storage.wo_records import (
    OrderWrite,
    OutboxRecord,
    WorkOrderEventRecord,
    WorkOrderRecord,
)
from hotline.storage.wo_store import OrderNotFound
from tests.unit import test_storage_support as support
from tests.unit.test_storage_support import at
from transfers.outbox import EntryState, RetryPolicy, failed, new_entry, replay

database_url = support.database_url
postgres_admin_url = support.postgres_admin_url
postgres_url = support.postgres_url
store = support.store

DAY = "20240301"
TOPIC = "hotline/v1/work-orders/changning/inspection_brigade/"


def order(number: str, **changes: object) -> WorkOrderRecord:
    base = WorkOrderRecord(
        number=number, order_type="inspection_complaint", district_id="changning",
        office_kind="inspection_brigade", office="长宁区劳动保障监察大队",
        office_endpoint="win-changning-insp", status="new", version=1, urgent=False,
        deadline_at=at(3600), deadlines=[], escalated=[],
        details={"employer": "某公司", "issues": ["unpaid_wages"]}, case_id="call-1",
        caller_number="13800138000", agent="7001", district_chosen_by_agent=False,
        created_at=at(0), updated_at=at(0),
    )  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def write(sequence: int, *, day: str = DAY) -> OrderWrite:
    number = f"WO-{day}-{sequence:04d}"
    event = WorkOrderEventRecord(number, at(0), "status", "create", "", "new", "agent:7001")
    entry = new_entry(number, 1, TOPIC + number, at(0))
    return OrderWrite(order(number), [event], [OutboxRecord(entry, {"number": number})])


def test_numbers_run_per_day_from_one(store: Store) -> None:
    first = store.create_work_order(DAY, write)
    second = store.create_work_order(DAY, write)
    other_day = store.create_work_order("20240302", lambda n: write(n, day="20240302"))
    assert (first.number, second.number) == ("WO-20240301-0001", "WO-20240301-0002")
    assert other_day.number == "WO-20240302-0001"
    assert [e.action for e in store.work_order_history(first.number)] == ["create"]
    assert len(store.outbox_entries(state=EntryState.PENDING)) == 3


def test_concurrent_writers_never_share_a_number(store: Store) -> None:
    with ThreadPoolExecutor(max_workers=6) as pool:
        made = list(pool.map(lambda _: store.create_work_order(DAY, write).number, range(12)))
    assert sorted(made) == [f"WO-{DAY}-{n:04d}" for n in range(1, 13)]


def test_a_failed_write_leaves_nothing_behind(store: Store) -> None:
    def broken(sequence: int) -> OrderWrite:
        made = write(sequence)
        # The same idempotency key twice: the outbox refuses the second, so nothing is kept.
        return dataclasses.replace(made, outbox=made.outbox * 2)

    with pytest.raises(ConflictError):
        store.create_work_order(DAY, broken)
    assert store.list_work_orders() == []
    assert store.work_order_history(f"WO-{DAY}-0001") == []
    assert store.outbox_entries() == []


def test_a_change_that_raises_writes_nothing(store: Store) -> None:
    made = store.create_work_order(DAY, write)

    def refuse(_: WorkOrderRecord) -> OrderWrite:
        raise ValueError("the office may not do that")

    with pytest.raises(ValueError, match="may not"):
        store.change_work_order(made.number, refuse)
    with pytest.raises(OrderNotFound):
        store.change_work_order("WO-20240301-0099", refuse)
    assert store.get_work_order(made.number) == made


def test_a_change_writes_the_order_its_history_and_outbox_together(store: Store) -> None:
    made = store.create_work_order(DAY, write)
    changed = dataclasses.replace(made, status="acknowledged", version=2, updated_at=at(60))
    event = WorkOrderEventRecord(made.number, at(60), "status", "acknowledge", "new",
                                 "acknowledged", "office:brigade", "", 2)  # fmt: skip
    store.change_work_order(made.number, lambda _: OrderWrite(changed, [event]))
    assert store.get_work_order(made.number) == changed
    assert [e.to_status for e in store.work_order_history(made.number)] == ["new", "acknowledged"]
    assert store.list_work_orders(status="acknowledged", district_id="changning") == [changed]
    assert store.list_work_orders(status="new") == []
    assert store.open_work_orders() == [changed]


def test_a_claimed_entry_is_not_claimed_again_until_its_lease_ends(store: Store) -> None:
    store.create_work_order(DAY, write)
    lease = timedelta(seconds=30)
    (claimed,) = store.claim_due_outbox(at(1), limit=10, lease=lease)
    assert store.claim_due_outbox(at(2), limit=10, lease=lease) == []
    assert [c.id for c in store.claim_due_outbox(at(40), limit=10, lease=lease)] == [claimed.id]


def test_failures_back_off_then_dead_letters_replay_with_the_same_key(store: Store) -> None:
    store.create_work_order(DAY, write)
    policy = RetryPolicy(base_delay_s=1, max_attempts=2, jitter=0)
    (claimed,) = store.claim_due_outbox(at(1), limit=10, lease=timedelta(seconds=30))
    retry = failed(claimed.entry, "connection refused", at(1), policy, jitter_fraction=0.5)
    store.settle_outbox(claimed.id, retry)
    assert store.claim_due_outbox(at(1.5), limit=10, lease=timedelta(seconds=30)) == []
    (again,) = store.claim_due_outbox(at(2), limit=10, lease=timedelta(seconds=30))
    store.settle_outbox(again.id, failed(again.entry, "refused", at(2), policy,
                                         jitter_fraction=0.5))  # fmt: skip
    (dead,) = store.outbox_entries(state=EntryState.DEAD)
    assert dead.entry.dead_reason == "gave up after 2 attempts"
    assert store.count_outbox(EntryState.DEAD) == 1
    replayed = store.replay_outbox(dead.id, lambda e: replay(e, at(10)))
    assert replayed is not None and replayed.entry.state is EntryState.PENDING
    assert replayed.entry.idempotency_key == dead.entry.idempotency_key
    assert store.replay_outbox(9999, lambda e: replay(e, at(10))) is None
    with pytest.raises(ValueError, match="not dead"):
        store.replay_outbox(dead.id, lambda e: replay(e, at(11)))
