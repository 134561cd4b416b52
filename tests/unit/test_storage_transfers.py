"""Window connections in the store: the latest state, steps in order, open ones after a restart."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from hotline.storage import Store
from hotline.storage.transfer_store import TransferRecord
from tests.unit import test_storage_support as support
from tests.unit.test_storage_support import at
from transfers.case import Step

database_url = support.database_url
postgres_admin_url = support.postgres_admin_url
postgres_url = support.postgres_url
store = support.store

START = at(10)


def record(**changes: object) -> TransferRecord:
    base = TransferRecord(
        case_id="c0ffee000001", call_id="1700000000.1", agent="1001",
        office_endpoint="win-changning-si", summary="养老金认证", caller_channel="PJSIP/trunk-1",
        agent_channel="PJSIP/seat001-1", clerk_channel=None, state="requested", reason="",
        agent_present=True, finished=False, dialled_at=None, created_at=START, updated_at=START,
    )  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_a_transfer_keeps_its_steps_in_order_and_leaves_the_open_list_when_finished(
    store: Store,
) -> None:
    first = Step(START, "", "agent_requested", "requested")
    second = Step(START + timedelta(seconds=1), "requested", "hold_started", "caller_on_hold")
    store.save_transfer(record(), [first])
    store.save_transfer(record(state="caller_on_hold"), [second])
    assert [r.state for r in store.open_transfers()] == ["caller_on_hold"]
    done = Step(
        START + timedelta(seconds=9), "caller_on_hold", "window_closed", "returned_to_agent"
    )
    later = START + timedelta(seconds=9)
    store.save_transfer(record(state="returned_to_agent", finished=True, updated_at=later), [done])
    found = store.get_transfer("c0ffee000001")
    assert found is not None
    saved, steps = found
    assert saved.state == "returned_to_agent" and saved.created_at == START
    assert [str(s) for s in steps] == [str(first), str(second), str(done)]
    assert store.open_transfers() == []
    assert store.get_transfer("unknown") is None
