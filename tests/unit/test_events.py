"""Events are contracts: one topic per event, under hotline/v1/, with a JSON payload."""

from __future__ import annotations

import dataclasses
import json
import typing
from datetime import UTC, datetime, timedelta, timezone

import pytest

from hotline import events
from hotline.events import ALL_EVENTS, TOPIC_ROOT, CallArrived, Event

AT = datetime(2024, 3, 1, 9, 30, 15, 250000, tzinfo=UTC)


def value_for(name: str, hint: object) -> object:
    if hint is str:
        return f"{name}-1"
    if hint is int:
        return 7
    if hint == float | None or hint is float:
        return 12.5
    if hint is bool:
        return True
    if hint is datetime:
        return AT
    if typing.get_origin(hint) is tuple:
        return ()
    if hint == str | None:
        return None
    assert hint == int | None, f"no sample value for {name}: {hint}"
    return None


def sample(kind: type[Event], at: datetime = AT) -> Event:
    """An instance with every field filled by a value of its declared type."""
    hints = typing.get_type_hints(kind)
    fields = [f.name for f in dataclasses.fields(kind) if f.name != "at"]
    return kind(at=at, **{name: value_for(name, hints[name]) for name in fields})


def test_given_all_events_when_listed_then_every_event_class_in_the_module_is_there() -> None:
    declared = {
        obj
        for obj in vars(events).values()
        if isinstance(obj, type) and issubclass(obj, Event) and obj is not Event
    }
    assert declared == set(ALL_EVENTS)
    assert len(ALL_EVENTS) == len(set(ALL_EVENTS))


def test_given_all_events_when_comparing_topic_templates_then_each_is_distinct() -> None:
    templates = [kind.topic_template for kind in ALL_EVENTS]
    assert len(templates) == len(set(templates))
    topics = [sample(kind).topic for kind in ALL_EVENTS]
    assert len(topics) == len(set(topics))


@pytest.mark.parametrize("kind", ALL_EVENTS, ids=lambda k: k.__name__)
def test_given_an_event_when_its_topic_is_built_then_it_is_under_hotline_v1(
    kind: type[Event],
) -> None:
    event = sample(kind)
    assert event.topic.startswith(f"{TOPIC_ROOT}/")
    assert TOPIC_ROOT == "hotline/v1"
    assert "{" not in event.topic
    assert not set(event.topic) & {"+", "#", "\x00"}
    assert "//" not in event.topic


@pytest.mark.parametrize("kind", ALL_EVENTS, ids=lambda k: k.__name__)
def test_given_an_event_when_payload_is_built_then_json_with_event_name_and_iso_at(
    kind: type[Event],
) -> None:
    event = sample(kind)
    payload = json.loads(json.dumps(event.payload(), ensure_ascii=False))
    assert payload["event"] == kind.__name__ == event.name
    assert datetime.fromisoformat(payload["at"]) == AT
    assert payload["at"] == "2024-03-01T09:30:15.250000+00:00"
    for f in dataclasses.fields(kind):
        assert f.name in payload
    assert "topic_template" not in payload


def test_given_an_event_when_built_then_it_is_frozen() -> None:
    event = CallArrived(AT, "1709256600.42", "13800138000", "12333")
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.call_id = "other"  # type: ignore[misc]


def test_given_a_call_event_when_topic_is_built_then_it_names_the_call() -> None:
    event = CallArrived(AT, "1709256600.42", "13800138000", "12333")
    assert event.topic == "hotline/v1/calls/1709256600.42/arrived"


def test_given_a_non_utc_time_when_payload_is_built_then_offset_is_kept() -> None:
    shanghai = timezone(timedelta(hours=8))
    event = sample(CallArrived, at=AT.astimezone(shanghai))
    assert event.payload()["at"] == "2024-03-01T17:30:15.250000+08:00"
