"""Handoffs in the store: latest state, steps in order, open ones listed for a restart."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from hotline.storage import Store
from hotline.storage.handoff_store import HandoffRecord
from tests.unit import test_storage_support as support
from tests.unit.test_storage_support import at
from transfers.case import Step

database_url = support.database_url
postgres_admin_url = support.postgres_admin_url
postgres_url = support.postgres_url
store = support.store

START = at(10)


def record(**changes: object) -> HandoffRecord:
    base = HandoffRecord(
        case_id="c0ffee000002", call_id="1700000000.1", kind="warm", agent="A001",
        target_kind="agent", target="A002", note="医保报销", topic="medical",
        caller_channel="PJSIP/trunk-1", agent_channel="PJSIP/seat001-1", target_channel=None,
        received_by=None, state="requested", reason="", agent_present=True, finished=False,
        created_at=START, updated_at=START,
    )  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_a_handoff_keeps_its_steps_in_order_and_leaves_the_open_list_when_finished(
    store: Store,
) -> None:
    first = Step(START, "", "warm_requested", "requested")
    second = Step(START + timedelta(seconds=1), "requested", "hold_started", "caller_on_hold")
    store.save_handoff(record(), [first])
    store.save_handoff(record(state="caller_on_hold"), [second])
    assert [r.state for r in store.open_handoffs()] == ["caller_on_hold"]
    later = START + timedelta(seconds=9)
    done = Step(later, "caller_on_hold", "target_answered", "consulted")
    store.save_handoff(
        record(state="completed", finished=True, received_by="A002", updated_at=later), [done]
    )
    found = store.get_handoff("c0ffee000002")
    assert found is not None
    saved, steps = found
    assert (saved.state, saved.received_by, saved.created_at) == ("completed", "A002", START)
    assert [str(s) for s in steps] == [str(first), str(second), str(done)]
    assert store.open_handoffs() == []
    assert store.get_handoff("unknown") is None
