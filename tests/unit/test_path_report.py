"""Path analytics from stored steps: where callers go, hang up, key wrongly, and for how long."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ivr.path_report import (
    CallPath,
    PathReport,
    PathStep,
    build_report,
    percentile,
    render_report,
    report_json,
)

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


def call(call_id: str, outcome: str, *events: tuple[float, str, dict[str, Any]]) -> CallPath:
    steps = tuple(PathStep(kind, T0 + timedelta(seconds=s), d) for s, kind, d in events)
    return CallPath(call_id, outcome, steps)


def node(name: str) -> dict[str, Any]:
    return {"flow": "12333", "version": 3, "node": name}


WRONG_KEY_THEN_PENSION_QUEUE = call(
    "1.1", "answered",
    (0, "ivr_node", node("welcome")), (5, "ivr_invalid", {"node": "welcome", "key": "7"}),
    (10, "ivr_input", {"node": "welcome", "digits": "1"}),
    (10, "ivr_node", node("pension")),
    (14, "ivr_node", node("pension_queue")),
    (14, "queue_enter", {"queue": "pension", "topic": "pension", "position": 1}),
    (90, "answer", {"agent": "A001"}), (300, "hangup", {}), (300, "end", {}),
)  # fmt: skip
SILENCE_THEN_HANGUP_IN_SUB_MENU = call(
    "1.2", "ivr_hangup",
    (0, "ivr_node", node("welcome")), (8, "ivr_timeout", {"node": "welcome"}),
    (20, "ivr_input", {"node": "welcome", "digits": "2"}),
    (20, "ivr_node", node("social_insurance")), (25, "hangup", {}), (25, "end", {}),
)  # fmt: skip
SELF_SERVED = call(
    "1.3", "self_served",
    (0, "ivr_node", node("welcome")), (4, "ivr_node", node("pension")),
    (30, "ivr_end", {"node": "pension", "outcome": "self_served"}), (31, "hangup", {}),
)  # fmt: skip
WRONG_ID_NUMBER_THEN_FALLBACK = call(
    "1.4", "fallback_answered",
    (0, "ivr_node", node("welcome")), (3, "ivr_node", node("id_entry")),
    (20, "ivr_invalid", {"node": "id_entry", "key": "310************012"}),
    (22, "fallback", {"reason": "agi failed"}),
)  # fmt: skip
NEVER_IN_THE_IVR = call("1.5", "fallback_answered", (0, "fallback", {}), (60, "answer", {}))
CALLS = [
    WRONG_KEY_THEN_PENSION_QUEUE,
    SILENCE_THEN_HANGUP_IN_SUB_MENU,
    SELF_SERVED,
    WRONG_ID_NUMBER_THEN_FALLBACK,
    NEVER_IN_THE_IVR,
]


@pytest.fixture
def report() -> PathReport:
    return build_report(CALLS)


@pytest.mark.parametrize(
    ("name", "field", "expected"),
    [
        ("welcome", "entries", 4),
        ("welcome", "next", {"pension": 2, "social_insurance": 1, "id_entry": 1}),
        ("welcome", "wrong_keys", {"7": 1}),
        ("welcome", "silences", 1),
        ("welcome", "hangups", 0),
        ("pension", "entries", 2),
        ("pension", "next", {"pension_queue": 1, "ivr_end": 1}),
        ("pension_queue", "next", {"queue:pension": 1}),
        ("social_insurance", "hangups", 1),
        ("social_insurance", "next", {"hangup": 1}),
        ("id_entry", "wrong_keys", {"18 digits": 1}),
        ("id_entry", "next", {"fallback": 1}),
    ],
)
def test_node_counts(report: PathReport, name: str, field: str, expected: object) -> None:
    value = getattr(report.nodes[name], field)
    assert (dict(value) if isinstance(expected, dict) else value) == expected


def test_only_calls_that_entered_a_node_count(report: PathReport) -> None:
    assert report.calls == 4
    assert set(report.nodes) == {
        "welcome", "pension", "pension_queue", "social_insurance", "id_entry",
    }  # fmt: skip


def test_the_whole_paths_are_counted(report: PathReport) -> None:
    assert report.paths == {
        ("welcome", "pension", "pension_queue"): 1,
        ("welcome", "social_insurance"): 1,
        ("welcome", "pension"): 1,
        ("welcome", "id_entry"): 1,
    }


def test_time_spent_runs_from_entering_a_node_to_leaving_it(report: PathReport) -> None:
    # welcome: 10 (wrong key, then 1), 20 (silence, then 2), 4, 3
    assert report.nodes["welcome"].seconds == [10.0, 20.0, 4.0, 3.0]
    assert report.nodes["welcome"].time_spent() == {"mean_s": 9.2, "p50_s": 4.0, "p90_s": 20.0}
    # pension: 4 to its queue node, 26 to the end of self-service
    assert report.nodes["pension"].seconds == [4.0, 26.0]
    assert report.nodes["pension_queue"].seconds == [0.0]


def test_a_node_no_caller_left_has_no_time(report: PathReport) -> None:
    still_there = build_report([call("2.1", "in_progress", (0, "ivr_node", node("welcome")))])
    assert still_there.nodes["welcome"].time_spent() == {
        "mean_s": None, "p50_s": None, "p90_s": None,
    }  # fmt: skip


def test_a_caller_sent_back_to_the_same_menu_enters_it_again() -> None:
    looped = build_report(
        [call("3.1", "ivr_hangup", (0, "ivr_node", node("welcome")),
              (5, "ivr_invalid", {"key": "9"}), (6, "ivr_node", node("welcome")),
              (9, "hangup", {}))]
    )  # fmt: skip
    welcome = looped.nodes["welcome"]
    assert (welcome.entries, dict(welcome.next), welcome.hangups) == (
        2,
        {"welcome": 1, "hangup": 1},
        1,
    )
    assert looped.paths == {("welcome", "welcome"): 1}


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([1.0], 50, 1.0),
        ([1.0], 90, 1.0),
        ([1.0, 2.0], 50, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.0),
        ([float(n) for n in range(1, 11)], 90, 9.0),
        ([float(n) for n in range(1, 12)], 90, 10.0),
    ],
)
def test_percentiles_are_nearest_rank(values: list[float], p: float, expected: float) -> None:
    assert percentile(values, p) == expected


def test_json_is_plain_data_with_nodes_by_entries(report: PathReport) -> None:
    data = report_json(report)
    assert json.loads(json.dumps(data)) == data
    assert data["calls"] == 4
    assert [n["node"] for n in data["nodes"]][:2] == ["welcome", "pension"]
    assert data["nodes"][0] == {
        "node": "welcome", "entries": 4, "next": {"pension": 2, "social_insurance": 1,
        "id_entry": 1}, "hangups": 0, "wrong_keys": {"7": 1}, "silences": 1,
        "mean_s": 9.2, "p50_s": 4.0, "p90_s": 20.0,
    }  # fmt: skip
    assert {"nodes": ["welcome", "pension", "pension_queue"], "calls": 1} in data["paths"]
    assert len(report_json(report, top_paths=2)["paths"]) == 2


def test_text_has_a_line_per_node_and_the_paths(report: PathReport) -> None:
    lines = render_report(report).splitlines()
    assert lines[0] == "4 call(s) through the IVR"
    welcome = next(line for line in lines if line.startswith("welcome "))
    assert welcome.split()[:8] == ["welcome", "4", "0", "1", "1", "9.2", "4.0", "20.0"]
    assert "pension 2" in welcome
    assert "     1  welcome > social_insurance" in lines
    no_time = render_report(build_report([call("4", "in_progress", (0, "ivr_node", node("w")))]))
    assert no_time.splitlines()[3].split()[5:8] == ["-", "-", "-"]


def test_an_empty_report() -> None:
    report = build_report([])
    assert report.calls == 0
    assert report_json(report) == {"calls": 0, "nodes": [], "paths": []}
    assert render_report(report).startswith("0 call(s)")
