"""What the demo's callers do: one call per path of the flow, then more on the common paths.

Paths that need the clock elsewhere (a holiday, a Saturday when an office is shut) are grouped
into phases, each with an IVR clock that suits it; the demo runs the phases one after another.
After the calls, ``judge`` compares each stored call with the path it was scripted to take.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from hotline.flow_calls import ScriptedPath, find_time, script_path
from hotline.sipp.runner import Caller
from hotline.storage import CallRecord, StepKind
from ivr.flow import Flow
from ivr.flow_paths import flow_paths
from ivr.prompt import Prompt

DEMO_ID_NUMBER = "11010519491231002X"
"""GB 11643's own example, valid by its check digit; never a real person's number."""
NUMBER_BASE = 13900000000


@dataclass(frozen=True)
class Phase:
    at: datetime
    """The time the IVR judges opening hours by during this phase."""
    scripts: tuple[ScriptedPath, ...]
    callers: tuple[Caller, ...]
    """Caller.path indexes ``scripts``; the number says which call this is."""


@dataclass(frozen=True)
class Plan:
    phases: tuple[Phase, ...]
    paths_total: int
    unplaceable: tuple[str, ...]
    """Paths for which no clock in the next 60 days suits (say so, do not hide them)."""

    @property
    def calls(self) -> int:
        return sum(len(p.callers) for p in self.phases)

    def expected(self) -> dict[str, ScriptedPath]:
        """Caller number -> the path that caller was scripted to take."""
        return {c.number: p.scripts[c.path] for p in self.phases for c in p.callers}


def plan(flow: Flow, calls: int, prompt_seconds: Callable[[Prompt], float],
         start: datetime) -> Plan:  # fmt: skip
    groups: dict[tuple[tuple[str, bool], ...], list[ScriptedPath]] = {}
    unplaceable: list[str] = []
    paths = flow_paths(flow)
    clocks: dict[tuple[tuple[str, bool], ...], datetime] = {}
    for path in paths:
        needs = tuple(sorted(path.schedules.items()))
        if needs not in clocks:
            at = find_time(flow.schedules, dict(needs), start)
            if at is None:
                unplaceable.append(path.key)
                continue
            clocks[needs] = at
        script = script_path(flow, path, prompt_seconds, today=clocks[needs].date(),
                             valid_id=DEMO_ID_NUMBER)  # fmt: skip
        groups.setdefault(needs, []).append(script)
    ordered = sorted(groups.items(), key=lambda item: -len(item[1]))
    extra = max(0, calls - sum(len(s) for s in groups.values()))
    phases, number = [], NUMBER_BASE
    for index, (needs, scripts) in enumerate(ordered):
        count = len(scripts) + (extra if index == 0 else 0)
        callers = []
        for n in range(count):
            number += 1
            callers.append(Caller(str(number), f"demo caller {number % 10000}", n % len(scripts)))
        phases.append(Phase(clocks[needs], tuple(scripts), tuple(callers)))
    return Plan(tuple(phases), len(paths), tuple(unplaceable))


@dataclass(frozen=True)
class Verdict:
    as_scripted: int
    covered: int
    """Paths at least one call took node by node, ending as the path says."""
    wrong: tuple[str, ...]
    """Calls that did not end as scripted: number, expected and actual, for the summary."""


def judge(plan_: Plan, records: Sequence[CallRecord]) -> Verdict:
    expected = plan_.expected()
    covered: set[str] = set()
    wrong: list[str] = []
    seen = {r.caller_number: r for r in records if r.caller_number in expected}
    for number, script in expected.items():
        record = seen.get(number)
        if record is None:
            wrong.append(f"{number}: no record (expected {script.outcome} via {script.path.key})")
            continue
        nodes = tuple(str(s.detail.get("node")) for s in record.steps
                      if s.kind == StepKind.IVR_NODE)  # fmt: skip
        if record.outcome.value == script.outcome and nodes == script.path.nodes:
            # The nodes and the outcome are what the caller met; the keys were the script's.
            covered.add(script.path.key)
        else:
            wrong.append(f"{number}: {record.outcome.value} via {'>'.join(nodes)} "
                         f"(expected {script.outcome} via {script.path.key})")  # fmt: skip
    return Verdict(len(expected) - len(wrong), len(covered), tuple(wrong))
