"""Path analytics from stored steps: where callers go, hang up, key wrongly, and for how long."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ivr.path_report import build_report, render_report, report_json

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@dataclass
class Step:
    kind: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Call:
    outcome: str
    steps: list[Step]


def call(outcome: str, *events: tuple[float, str, dict[str, Any]]) -> Call:
    return Call(outcome, [Step(kind, T0 + timedelta(seconds=s), d) for s, kind, d in events])


def node(name: str) -> dict[str, Any]:
    return {"node": name}


CALLS = [
    # wrong key at the welcome, then pension, then queued
    call("answered",
         (0, "ivr_node", node("welcome")), (5, "ivr_invalid", {"node": "welcome", "key": "7"}),
         (10, "ivr_node", node("pension")), (14, "queue_enter", {"queue": "pension"})),
    # silence at the welcome, then a hang-up in the social-insurance menu
    call("ivr_hangup",
         (0, "ivr_node", node("welcome")), (8, "ivr_timeout", node("welcome")),
         (20, "ivr_node", node("social_insurance")), (25, "hangup", {}), (25, "end", {})),
    # straight to pension, then self-service ends the call
    call("self_served",
         (0, "ivr_node", node("welcome")), (4, "ivr_node", node("pension")),
         (30, "ivr_end", node("pension"))),
    # a call that never reached the IVR (fallback) is not counted
    call("fallback_answered", (0, "fallback", {})),
]  # fmt: skip


def test_the_report_counts_entries_exits_hangups_wrong_keys_and_silences() -> None:
    report = build_report(CALLS)
    assert report.calls == 3
    welcome, pension = report.nodes["welcome"], report.nodes["pension"]
    assert welcome.entries == 3
    assert dict(welcome.next) == {"pension": 2, "social_insurance": 1}
    assert dict(welcome.wrong_keys) == {"7": 1}
    assert welcome.silences == 1
    assert dict(pension.next) == {"queue:pension": 1, "ivr_end": 1}
    assert report.nodes["social_insurance"].hangups == 1
    assert welcome.hangups == 0


def test_time_spent_per_node() -> None:
    spent = build_report(CALLS).nodes["welcome"].time_spent()
    assert spent == {"mean_s": 11.3, "p50_s": 10.0, "p90_s": 20.0}


def test_paths_json_and_text() -> None:
    report = build_report(CALLS)
    data = report_json(report)
    assert data["calls"] == 3
    assert {"nodes": ["welcome", "pension"], "calls": 2} in data["paths"]
    text = render_report(report)
    assert "welcome" in text
    assert "3 call(s)" in text


def test_an_empty_report() -> None:
    report = build_report([])
    assert report.calls == 0
    assert report_json(report)["nodes"] == []
