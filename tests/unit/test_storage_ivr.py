"""The IVR's data in the store, on SQLite and PostgreSQL: flow versions, surveys, hot topics,
out-of-hours callbacks and the calls path analytics reads."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from hotline.storage import CallRecord, CallStep, Outcome, StepKind, Store, SurveyResponse
from queues import callbacks as cb
from tests.unit import test_storage_support as support
from tests.unit.test_storage_support import at

database_url = support.database_url
postgres_admin_url = support.postgres_admin_url
postgres_url = support.postgres_url
store = support.store


def test_flow_versions_number_themselves_and_keep_every_text(store: Store) -> None:
    first = store.save_flow_version("f", "v1", author="system", comment="shipped", at=at(0))
    second = store.save_flow_version("f", "v2", author="admin", comment="new topic", at=at(60))
    reverted = store.save_flow_version(
        "f", "v1", author="admin", comment="revert", at=at(120), reverted_from=1
    )
    assert (first.version, second.version, reverted.version) == (1, 2, 3)
    assert store.latest_flow_version("f") == reverted
    assert store.get_flow_version("f", 2) == second
    assert [v.version for v in store.list_flow_versions("f")] == [3, 2, 1]
    assert store.latest_flow_version("other") is None
    other = store.save_flow_version("other", "x", author="a", comment="", at=at(0))
    assert other.version == 1


def test_a_survey_keeps_the_first_rating_of_a_call(store: Store) -> None:
    store.save_survey(SurveyResponse("c1", "A001", "pension", 4, at(10)))
    store.save_survey(SurveyResponse("c1", "A001", "pension", 1, at(20)))
    store.save_survey(SurveyResponse("c2", "A001", "pension", 2, at(30)))
    store.save_survey(SurveyResponse("c3", "A002", "general", 5, at(40)))
    found = store.list_surveys(at(0), at(100))
    assert [(r.call_uniqueid, r.rating) for r in found] == [("c1", 4), ("c2", 2), ("c3", 5)]
    assert [r.call_uniqueid for r in store.list_surveys(at(0), at(100), "A002")] == ["c3"]
    assert store.survey_summary(at(0), at(100)) == {
        "A001": {"count": 2, "mean": 3.0}, "A002": {"count": 1, "mean": 5.0},
    }  # fmt: skip


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_a_rating_outside_one_to_five_is_refused(rating: int) -> None:
    with pytest.raises(ValueError, match="1 to 5"):
        SurveyResponse("c1", None, None, rating, at(0))


def test_the_newest_active_hot_topic_is_the_one_played(store: Store) -> None:
    old = store.create_hot_topic("旧政策", starts_at=at(0), ends_at=at(3600), created_by="admin",
                                 at=at(0))  # fmt: skip
    new = store.create_hot_topic("新政策", starts_at=at(60), ends_at=at(120), created_by="admin",
                                 at=at(60))  # fmt: skip
    assert store.active_hot_topic(at(30)) == old
    assert store.active_hot_topic(at(90)) == new
    assert store.active_hot_topic(at(200)) == old
    assert store.cancel_hot_topic(old.id, at(300))
    assert not store.cancel_hot_topic(old.id, at(301))
    assert store.active_hot_topic(at(400)) is None
    assert [t.id for t in store.list_hot_topics()] == [new.id, old.id]


def test_a_hot_topic_must_end_after_it_starts(store: Store) -> None:
    with pytest.raises(ValueError, match="end after"):
        store.create_hot_topic("x", starts_at=at(60), ends_at=at(60), created_by="a", at=at(0))


def test_an_out_of_hours_callback_keeps_its_due_time(store: Store) -> None:
    booked = cb.Callback(
        id="cb-1", call_uniqueid="1.1", number="13812345678", queue="general", topic="later",
        priority=5, requirements=(), queued_at=at(7200), requested_at=at(0), due_at=at(7200),
    )  # fmt: skip
    store.save_callback(booked)
    (loaded,) = store.list_callbacks(open_only=True)
    assert loaded.due_at == at(7200)
    store.save_callback(replace(loaded, status=cb.CallbackStatus.CANCELLED))
    assert store.list_callbacks(open_only=True) == []


def test_path_steps_are_the_calls_that_went_through_the_ivr(store: Store) -> None:
    through = CallRecord(
        uniqueid="1.1", linkedid="1.1", caller_number="13800000001", caller_name="",
        dialed="12333", arrived_at=at(0), outcome=Outcome.SELF_SERVED, ended_at=at(30),
        steps=(CallStep(at(0), StepKind.IVR_NODE, {"node": "welcome"}),
               CallStep(at(30), StepKind.IVR_END, {"node": "welcome"})),
    )  # fmt: skip
    fallback = replace(through, uniqueid="1.2", linkedid="1.2", outcome=Outcome.FALLBACK_ANSWERED,
                       steps=(CallStep(at(0), StepKind.FALLBACK, {}),))  # fmt: skip
    store.record_call(through)
    store.record_call(fallback)
    found = store.ivr_path_steps(at(-60), at(60), 100)
    assert [r.uniqueid for r in found] == ["1.1"]
    assert found[0].outcome is Outcome.SELF_SERVED
    assert store.ivr_path_steps(at(-60), at(0) - timedelta(seconds=1), 100) == []
