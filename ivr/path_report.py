"""Path analytics: where callers go in the IVR, where they hang up, which keys they get wrong and
how long each menu holds them. Pure: it reads calls' stored steps, nothing else.

Input: one `CallPath` per call (the store's `ivr_path_steps` builds them), its steps in order.
A caller is *at* a node from its ``ivr_node`` step until the next ``ivr_node`` step or until
they leave the IVR: ``queue_enter`` (exit ``queue:<name>``), ``ivr_end`` (the flow ended the
call), ``fallback`` (the IVR failed, the call went to the fallback queue), ``hangup`` or ``end``.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

IVR_HANGUP = "ivr_hangup"
"""The outcome of a call whose caller hung up in the IVR."""
IVR_NODE = "ivr_node"
# Steps that end a caller's time at a node (besides entering the next node), and their exit.
LEAVING: Mapping[str, str] = {
    "queue_enter": "queue",
    "ivr_end": "ivr_end",
    "fallback": "fallback",
    "hangup": "hangup",
    "end": "end",
}
# Every step kind the report reads; the store loads only these.
PATH_KINDS = frozenset({IVR_NODE, "ivr_invalid", "ivr_timeout", *LEAVING})


@dataclass(frozen=True, slots=True)
class PathStep:
    kind: str
    at: datetime
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CallPath:
    """One call's steps, in order; ``outcome`` as stored (e.g. "ivr_hangup", "answered")."""

    call_id: str
    outcome: str
    steps: Sequence[PathStep]


@dataclass
class NodeStats:
    node: str
    entries: int = 0
    next: Counter[str] = field(default_factory=Counter)
    """Where callers went from here: a node, "queue:<name>", "ivr_end", "fallback", "hangup",
    "end"."""
    hangups: int = 0
    """Calls that ended ivr_hangup with this node their last ``ivr_node`` step."""
    wrong_keys: Counter[str] = field(default_factory=Counter)
    """By key; a longer entry (an ID number, masked) counts as "<n> digits"."""
    silences: int = 0
    seconds: list[float] = field(default_factory=list)
    """Time from entering the node to leaving it, per visit that left it."""

    def time_spent(self) -> dict[str, float | None]:
        """Mean and nearest-rank 50th and 90th percentiles, in seconds (None: no visit left)."""
        if not self.seconds:
            return {"mean_s": None, "p50_s": None, "p90_s": None}
        ordered = sorted(self.seconds)
        return {
            "mean_s": round(statistics.fmean(ordered), 1),
            "p50_s": round(percentile(ordered, 50), 1),
            "p90_s": round(percentile(ordered, 90), 1),
        }


@dataclass
class PathReport:
    calls: int
    """Calls that entered at least one node."""
    nodes: dict[str, NodeStats]
    paths: Counter[tuple[str, ...]]
    """Whole node sequences, one per call."""


def percentile(ordered: Sequence[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def build_report(calls: Iterable[CallPath]) -> PathReport:
    nodes: dict[str, NodeStats] = {}
    paths: Counter[tuple[str, ...]] = Counter()
    count = 0
    for call in calls:
        visited = _walk(call.steps, nodes)
        if not visited:
            continue
        count += 1
        paths[tuple(visited)] += 1
        if call.outcome == IVR_HANGUP:
            nodes[visited[-1]].hangups += 1
    return PathReport(count, nodes, paths)


def _walk(steps: Iterable[PathStep], nodes: dict[str, NodeStats]) -> list[str]:
    """Add one call's steps to the nodes' counts; the nodes it entered, in order."""
    visited: list[str] = []
    current: NodeStats | None = None
    entered = datetime.min
    for step in steps:
        if step.kind == IVR_NODE:
            node = str(step.detail.get("node"))
            if current is not None:
                _leave(current, node, step.at - entered)
            current, entered = nodes.setdefault(node, NodeStats(node)), step.at
            current.entries += 1
            visited.append(node)
        elif current is None:
            continue
        elif step.kind == "ivr_invalid":
            current.wrong_keys[_key(step.detail.get("key"))] += 1
        elif step.kind == "ivr_timeout":
            current.silences += 1
        elif step.kind in LEAVING:
            _leave(current, _exit(step), step.at - entered)
            current = None
    return visited


def _leave(stats: NodeStats, to: str, spent: timedelta) -> None:
    stats.next[to] += 1
    stats.seconds.append(max(0.0, spent.total_seconds()))


def _exit(step: PathStep) -> str:
    where = LEAVING[step.kind]
    return f"queue:{step.detail.get('queue')}" if where == "queue" else where


def _key(key: object) -> str:
    text = "" if key is None else str(key)
    return text if len(text) <= 1 else f"{len(text)} digits"


# Output


def _by_entries(report: PathReport) -> list[NodeStats]:
    return sorted(report.nodes.values(), key=lambda s: (-s.entries, s.node))


def report_json(report: PathReport, top_paths: int = 20) -> dict[str, Any]:
    """The report as JSON-able data: nodes by entries (most first), the commonest paths."""
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
            for stats in _by_entries(report)
        ],
        "paths": [
            {"nodes": list(path), "calls": n} for path, n in report.paths.most_common(top_paths)
        ],
    }


def render_report(report: PathReport, top_paths: int = 10) -> str:
    """Plain text for ``hotline ivr report``: one line per node, then the commonest paths."""
    header = (
        f"{'node':<28}{'in':>6}{'hung up':>9}{'wrong':>7}{'silent':>8}"
        f"{'mean s':>8}{'p50 s':>7}{'p90 s':>7}  next"
    )
    lines = [f"{report.calls} call(s) through the IVR", "", header]
    lines += [_node_line(stats) for stats in _by_entries(report)]
    lines += ["", "most common paths:"]
    lines += [f"{n:>6}  {' > '.join(path)}" for path, n in report.paths.most_common(top_paths)]
    return "\n".join(lines)


def _node_line(stats: NodeStats) -> str:
    spent = {name: "-" if v is None else str(v) for name, v in stats.time_spent().items()}
    following = ", ".join(f"{n} {c}" for n, c in stats.next.most_common(4))
    return (
        f"{stats.node:<28}{stats.entries:>6}{stats.hangups:>9}{stats.wrong_keys.total():>7}"
        f"{stats.silences:>8}{spent['mean_s']:>8}{spent['p50_s']:>7}{spent['p90_s']:>7}"
        f"  {following}"
    )
