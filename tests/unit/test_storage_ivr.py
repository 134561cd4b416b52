"""The IVR's data in the store, on SQLite and PostgreSQL: flow versions, surveys, hot topics,
out-of-hours callbacks and the calls path analytics reads."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from hotline.storage import (
    CallRecord,
    CallStep,
    FlowVersion,
    HotTopic,
    Outcome,
    StepKind,
    Store,
    SurveyResponse,
    ivr_data,
)
from ivr.path_report import build_report
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


def test_writers_at_once_get_distinct_versions(store: Store) -> None:
    """On PostgreSQL the losers of the race for a number retry; SQLite writers queue."""
    writers, start = 6, threading.Barrier(6)
    versions: list[int] = []

    def write(n: int) -> None:
        start.wait()
        saved = store.save_flow_version("f", f"v{n}", author=f"admin{n}", comment="", at=at(n))
        versions.append(saved.version)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(versions) == list(range(1, writers + 1))
    stored = store.list_flow_versions("f", limit=100)
    assert {v.source for v in stored} == {f"v{n}" for n in range(writers)}


def test_a_megabyte_flow_text_is_kept_whole(store: Store) -> None:
    source = "# 政策\n" * 160_000  # 960,000 characters, more bytes in UTF-8
    store.save_flow_version("big", source, author="admin", comment="", at=at(0))
    latest = store.latest_flow_version("big")
    assert latest is not None and latest.source == source


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"flow": ""}, "name"),
        ({"version": 0}, "from 1"),
        ({"reverted_from": 3}, "cannot revert"),
        ({"source": "x" * 1_000_001}, "source"),
        ({"comment": "x" * 201}, "comment"),
        ({"created_at": datetime(2024, 3, 1)}, "aware"),
    ],
)
def test_a_bad_flow_version_is_refused(fields: dict[str, object], message: str) -> None:
    good = FlowVersion("f", 3, "v", "admin", "", at(0), reverted_from=2)
    with pytest.raises(ValueError, match=message):
        replace(good, **fields)


def test_a_revert_must_name_an_earlier_version(store: Store) -> None:
    store.save_flow_version("f", "v1", author="a", comment="", at=at(0))
    with pytest.raises(ValueError, match="cannot revert"):
        store.save_flow_version("f", "v1", author="a", comment="", at=at(1), reverted_from=2)
    assert [v.version for v in store.list_flow_versions("f")] == [1]


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


@pytest.mark.parametrize("rating", [0, 6, -1, 3.0, True])
def test_a_rating_outside_one_to_five_is_refused(rating: int) -> None:
    with pytest.raises(ValueError, match="1 to 5"):
        SurveyResponse("c1", None, None, rating, at(0))


def test_surveys_of_a_period_and_ratings_no_agent_answered(store: Store) -> None:
    store.save_survey(SurveyResponse("c1", None, None, 3, at(0)))
    store.save_survey(SurveyResponse("c2", "A001", "pension", 4, at(60)))
    store.save_survey(SurveyResponse("c3", "A001", "pension", 5, at(61)))
    assert [r.call_uniqueid for r in store.list_surveys(at(0), at(60))] == ["c1"]
    assert store.survey_summary(at(0), at(120)) == {
        "": {"count": 1, "mean": 3.0}, "A001": {"count": 2, "mean": 4.5},
    }  # fmt: skip
    assert store.survey_summary(at(120), at(180)) == {}


@pytest.mark.parametrize(
    ("text", "message"), [("", "needs a text"), ("  ", "needs a text"), ("政" * 501, "limit")]
)
def test_a_hot_topic_text_is_checked(store: Store, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        store.create_hot_topic(text, starts_at=at(0), ends_at=at(60), created_by="a", at=at(0))
    assert store.list_hot_topics() == []


def test_hot_topics_are_read_once_for_many_calls_and_again_after_a_change(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[datetime] = []
    read = ivr_data.hot_topics_not_over

    def counted(session: Session, when: datetime, limit: int) -> list[HotTopic]:
        reads.append(when)
        return read(session, when, limit)

    monkeypatch.setattr(ivr_data, "hot_topics_not_over", counted)
    assert store.active_hot_topic(at(10)) is None
    first = store.create_hot_topic("新政策", starts_at=at(60), ends_at=at(120), created_by="a",
                                   at=at(20))  # fmt: skip
    assert [store.active_hot_topic(at(s)) for s in (30, 60, 90, 119, 120)] == [
        None, first, first, first, None,
    ]  # fmt: skip
    assert len(reads) == 2  # before and after the change, not once per call
    assert store.active_hot_topic(at(5)) is None  # earlier than what was read: read again
    assert store.cancel_hot_topic(first.id, at(95))
    assert store.active_hot_topic(at(96)) is None
    assert len(reads) == 4


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


def ivr_call(uniqueid: str, arrived: float, outcome: Outcome, *steps: CallStep) -> CallRecord:
    return CallRecord(
        uniqueid=uniqueid, linkedid=uniqueid, caller_number="13800000001", caller_name="",
        dialed="12333", arrived_at=at(arrived), outcome=outcome, steps=steps,
    )  # fmt: skip


def test_path_steps_are_the_calls_that_went_through_the_ivr(store: Store) -> None:
    through = ivr_call(
        "1.1", 0, Outcome.SELF_SERVED,
        CallStep(at(0), StepKind.ARRIVAL, {"number": "13800000001"}),
        CallStep(at(0), StepKind.IVR_NODE, {"flow": "12333", "version": 2, "node": "welcome"}),
        CallStep(at(1), StepKind.IVR_PROMPT, {"node": "welcome", "prompt": "p", "file": "f"}),
        CallStep(at(5), StepKind.IVR_INVALID, {"node": "welcome", "key": "7"}),
        CallStep(at(9), StepKind.IVR_TIMEOUT, {"node": "welcome"}),
        CallStep(at(30), StepKind.IVR_END, {"node": "welcome"}),
        CallStep(at(31), StepKind.HANGUP, {"cause": "16"}),
    )  # fmt: skip
    fallback = ivr_call("1.2", 1, Outcome.FALLBACK_ANSWERED, CallStep(at(1), StepKind.FALLBACK))
    store.record_call(through)
    store.record_call(fallback)

    (found,) = store.ivr_path_steps(at(-60), at(60), 100)

    assert (found.call_id, found.outcome) == ("1.1", "self_served")
    assert [(s.kind, s.at) for s in found.steps] == [
        ("ivr_node", at(0)), ("ivr_invalid", at(5)), ("ivr_timeout", at(9)),
        ("ivr_end", at(30)), ("hangup", at(31)),
    ]  # fmt: skip
    assert found.steps[0].detail == {"flow": "12333", "version": 2, "node": "welcome"}
    assert build_report([found]).nodes["welcome"].wrong_keys == {"7": 1}


def test_path_steps_keep_the_newest_calls_of_the_period(store: Store) -> None:
    for n in range(5):
        store.record_call(ivr_call(
            f"2.{n}", n * 60, Outcome.IVR_HANGUP,
            CallStep(at(n * 60), StepKind.IVR_NODE, {"node": "welcome"}),
            CallStep(at(n * 60 + 1), StepKind.IVR_NODE, {"node": "pension"}),
        ))  # fmt: skip

    newest = store.ivr_path_steps(at(0), at(240), 2)  # until is exclusive: 2.4 is out

    assert [c.call_id for c in newest] == ["2.3", "2.2"]
    assert [len(c.steps) for c in newest] == [2, 2]
    assert len(store.ivr_path_steps(at(0), at(241), 100)) == 5
    assert store.ivr_path_steps(at(-60), at(0), 100) == []


def test_path_steps_need_aware_times_and_a_limit(store: Store) -> None:
    with pytest.raises(ValueError, match="limit"):
        store.ivr_path_steps(at(0), at(60), 0)
    with pytest.raises(ValueError, match="until"):
        store.ivr_path_steps(at(0), datetime(2024, 3, 1), 10)
