"""Path analytics: where callers go in the IVR, where they hang up, which keys they get wrong and
how long each menu holds them. Pure: it reads calls' stored steps, nothing else.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

IVR_HANGUP = "ivr_hangup"
# Steps that end a caller's time at a node (besides entering the next node).
_LEAVING = {"queue_enter": "queue", "ivr_end": "ivr_end", "hangup": "hangup", "end": "end"}


class StepLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def at(self) -> datetime: ...
    @property
    def detail(self) -> Mapping[str, Any]: ...


class CallLike(Protocol):
    @property
    def outcome(self) -> str: ...
    @property
    def steps(self) -> Sequence[StepLike]: ...


@dataclass
class NodeStats:
    node: str
    entries: int = 0
    next: Counter[str] = field(default_factory=Counter)
    """Where callers went from here: a node, "queue:<name>", "ivr_end" or "hangup"."""
    hangups: int = 0
    """Callers who hung up while at this node (the call's outcome is ivr_hangup)."""
    wrong_keys: Counter[str] = field(default_factory=Counter)
    silences: int = 0
    seconds: list[float] = field(default_factory=list)

    def time_spent(self) -> dict[str, float | None]:
        if not self.seconds:
            return {"mean_s": None, "p50_s": None, "p90_s": None}
        ordered = sorted(self.seconds)
        return {
            "mean_s": round(statistics.fmean(ordered), 1),
            "p50_s": round(ordered[len(ordered) // 2], 1),
            "p90_s": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))], 1),
        }


@dataclass
class PathReport:
    calls: int
    nodes: dict[str, NodeStats]
    paths: Counter[tuple[str, ...]]


def build_report(calls: Iterable[CallLike]) -> PathReport:
    nodes: dict[str, NodeStats] = {}
    paths: Counter[tuple[str, ...]] = Counter()
    count = 0
    for call in calls:
        visited = _walk(call, nodes)
        if visited:
            count += 1
            paths[tuple(visited)] += 1
            if str(getattr(call.outcome, "value", call.outcome)) == IVR_HANGUP:
                nodes[visited[-1]].hangups += 1
    return PathReport(count, nodes, paths)


def _walk(call: CallLike, nodes: dict[str, NodeStats]) -> list[str]:
    visited: list[str] = []
    current: NodeStats | None = None
    entered: datetime | None = None
    for step in call.steps:
        kind = str(getattr(step.kind, "value", step.kind))
        if kind == "ivr_node":
            node = str(step.detail.get("node"))
            if current is not None and entered is not None:
                current.next[node] += 1
                current.seconds.append((step.at - entered).total_seconds())
            current = nodes.setdefault(node, NodeStats(node))
            current.entries += 1
            entered = step.at
            visited.append(node)
        elif current is not None and kind == "ivr_invalid":
            current.wrong_keys[str(step.detail.get("key", ""))] += 1
        elif current is not None and kind == "ivr_timeout":
            current.silences += 1
        elif current is not None and entered is not None and kind in _LEAVING:
            where = _LEAVING[kind]
            current.next[f"queue:{step.detail.get('queue')}" if where == "queue" else where] += 1
            current.seconds.append((step.at - entered).total_seconds())
            current = entered = None
    return visited


def report_json(report: PathReport, top_paths: int = 20) -> dict[str, Any]:
    return {
        "calls": report.calls,
        "nodes": [
            {
                "node": stats.node,
                "entries": stats.entries,
                "next": dict(stats.next.most_common()),
                "hangups": stats.hangups,
                "wrong_keys": dict(stats.wrong_keys.most_common()),
                "silences": stats.silences,
                **stats.time_spent(),
            }
            for stats in sorted(report.nodes.values(), key=lambda s: -s.entries)
        ],
        "paths": [
            {"nodes": list(path), "calls": n} for path, n in report.paths.most_common(top_paths)
        ],
    }


def render_report(report: PathReport, top_paths: int = 10) -> str:
    header = f"{'node':<28}{'in':>6}{'hung up':>9}{'wrong':>7}{'silent':>8}{'p50 s':>7}  next"
    lines = [f"{report.calls} call(s) through the IVR", "", header]
    for stats in sorted(report.nodes.values(), key=lambda s: -s.entries):
        spent = stats.time_spent()["p50_s"]
        following = ", ".join(f"{n} {c}" for n, c in stats.next.most_common(4))
        lines.append(
            f"{stats.node:<28}{stats.entries:>6}{stats.hangups:>9}{sum(stats.wrong_keys.values()):>7}"
            f"{stats.silences:>8}{'-' if spent is None else spent:>7}  {following}"
        )
    lines += ["", "most common paths:"]
    lines += [f"{n:>6}  {' > '.join(path)}" for path, n in report.paths.most_common(top_paths)]
    return "\n".join(lines)
