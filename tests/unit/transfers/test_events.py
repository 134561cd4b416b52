"""The events transfers publish: unique topics, JSON-ready payloads, no caller numbers."""

from __future__ import annotations

import dataclasses
import json

from tests.unit.transfers.conftest import at
from transfers.events import EVENT_TYPES, TransferChanged, WorkOrderChanged


def test_every_event_type_has_its_own_topic() -> None:
    templates = [event.topic_template for event in EVENT_TYPES]
    assert len(templates) == len(set(templates))


def test_no_event_carries_a_callers_number_or_a_name() -> None:
    for event in EVENT_TYPES:
        names = {field.name for field in dataclasses.fields(event)}
        assert not names & {"caller_number", "name", "name_masked", "phone"}


def test_a_transfer_event_has_its_topic_and_a_json_payload() -> None:
    event = TransferChanged(
        at(2026, 11, 25, 10, 0), "case-7", "window", "conference", "", "win-changning-si"
    )
    assert event.topic == "hotline/v1/transfers/case-7/conference"
    payload = event.payload()
    assert payload["event"] == "TransferChanged"
    assert payload["at"] == "2026-11-25T10:00:00+08:00"
    json.dumps(payload)


def test_a_work_order_event_is_json_ready() -> None:
    event = WorkOrderChanged(
        at(2026, 11, 25, 10, 0),
        "WO-20261125-0001",
        "generic",
        "new",
        1,
        "xuhui",
        "employment_centre",
    )
    assert event.topic == "hotline/v1/work-orders/WO-20261125-0001/status"
    json.dumps(event.payload())
