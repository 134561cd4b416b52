"""The screen-pop names the caller's work orders not yet closed: the number they were told,
where it went and how far it is (a resolved one waits for its follow-up call)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime

from hotline.bus import EventHub
from hotline.controller import Controller
from hotline.events import CallOffered, Event, ScreenPop
from hotline.knowledge import KnowledgeBaseNotReady
from hotline.screen_pops import ScreenPops
from hotline.storage import Store
from hotline.storage.wo_records import OrderWrite, WorkOrderEventRecord, WorkOrderRecord
from queues.router import Router
from tests.unit import test_storage_support as support
from tests.unit.test_controller import CollectingRecorder
from tests.unit.test_storage_support import at
from tests.unit.test_storage_work_orders import DAY, order

database_url = support.database_url
postgres_admin_url = support.postgres_admin_url
postgres_url = support.postgres_url
store = support.store
CALLER = "13800138000"


class NoKnowledge:
    def topic_entries(self, topic: str | None, limit: int) -> list[object]:
        raise KnowledgeBaseNotReady("not loaded in this test")


def file(store: Store, **changes: object) -> WorkOrderRecord:
    def write(sequence: int) -> OrderWrite:
        number = f"WO-{DAY}-{sequence:04d}"
        made = dataclasses.replace(order(number), **changes)  # type: ignore[arg-type]
        event = WorkOrderEventRecord(number, at(0), "status", "create", "", "new", "agent:7001")
        return OrderWrite(made, [event], [])

    return store.create_work_order(DAY, write)


async def test_the_callers_orders_not_yet_closed_are_on_the_screen_pop(store: Store) -> None:
    new = file(store)
    file(store, status="closed")
    resolved = file(store, status="resolved", follow_up_due_at=at(86_400))
    file(store, caller_number="13900139000")  # someone else's
    hub = EventHub()
    popped: list[Event] = []
    hub.add(popped.append)
    controller = Controller(Router(), hub, CollectingRecorder())
    controller.call_arrived("c1", "c1", CALLER, "", "12333")
    pops = ScreenPops(controller, NoKnowledge(), store, hub)  # type: ignore[arg-type]
    pops(CallOffered(at(0), "c1", "A001", "seat001"))
    await asyncio.gather(*pops._tasks)
    [pop] = [e for e in popped if isinstance(e, ScreenPop)]
    assert [(o.number, o.status) for o in pop.work_orders] == [
        (resolved.number, "resolved"), (new.number, "new"),
    ]  # fmt: skip
    assert datetime.fromisoformat(pop.work_orders[0].follow_up_due_at) == at(86_400)
    assert pop.work_orders[1].office == "长宁区劳动保障监察大队"
    assert pop.payload()["work_orders"][1]["number"] == new.number
