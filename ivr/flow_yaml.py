"""Read an IVR flow from YAML: every error names the file and line, and nothing half-loads.

Three passes: YAML is composed into nodes that remember their lines (duplicate keys are errors,
not silently overwritten); pydantic checks the shape (ivr/flow_spec.py); then references are
checked (every goto names a node, every node is reachable, every menu reaches a person) and the
flow is compiled into ivr/flow.py's objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from ivr.flow import Flow
from ivr.flow_compile import ReferenceError_, compile_flow
from ivr.flow_spec import FlowSpec

MAX_FLOW_BYTES = 1_000_000

ScheduleParser = Callable[[str, Mapping[str, Any]], object]
"""Turns one ``schedules:`` entry into a schedule, raising ValueError with what is wrong."""


@dataclass(frozen=True)
class FlowProblem:
    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


class FlowError(Exception):
    """A flow file that cannot be used; ``problems`` lists every error found, with its line."""

    def __init__(self, problems: Sequence[FlowProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def load_flow_file(path: Path, schedules: ScheduleParser, version: int = 0) -> Flow:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError([FlowProblem(str(path), 0, f"cannot read the flow: {exc}")]) from exc
    return load_flow_text(text, str(path), schedules, version)


def load_flow_text(text: str, source: str, schedules: ScheduleParser, version: int = 0) -> Flow:
    if len(text.encode()) > MAX_FLOW_BYTES:
        raise FlowError([FlowProblem(source, 0, f"the flow is over {MAX_FLOW_BYTES} bytes")])
    data, lines = _compose(text, source)
    try:
        spec = FlowSpec.model_validate(data)
    except ValidationError as exc:
        raise FlowError([_problem(source, lines, e) for e in exc.errors()]) from exc
    try:
        return compile_flow(spec, schedules, version)
    except ReferenceError_ as exc:
        raise FlowError(
            [FlowProblem(source, lines.get(p.where, 0), p.message) for p in exc.problems]
        ) from exc


Lines = dict[tuple[str, ...], int]


def _compose(text: str, source: str) -> tuple[Any, Lines]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        raise FlowError([FlowProblem(source, line, f"not valid YAML: {problem}")]) from exc
    if root is None:
        raise FlowError([FlowProblem(source, 1, "the flow file is empty")])
    lines: Lines = {}
    problems: list[FlowProblem] = []
    data = _to_python(root, (), lines, problems, source)
    if problems:
        raise FlowError(problems)
    return data, lines


def _to_python(node: yaml.Node, where: tuple[str, ...], lines: Lines,
               problems: list[FlowProblem], source: str) -> Any:  # fmt: skip
    lines[where] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in result:
                line = key_node.start_mark.line + 1
                problems.append(FlowProblem(source, line, f"{key!r} is written twice"))
                continue
            result[key] = _to_python(value_node, (*where, key), lines, problems, source)
            # An error about an entry points at its key ("main:"), not where its value begins.
            lines[(*where, key)] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [
            _to_python(item, (*where, str(i)), lines, problems, source)
            for i, item in enumerate(node.value)
        ]
    return yaml.SafeLoader("").construct_object(node)


def _problem(source: str, lines: Lines, error: Any) -> FlowProblem:
    location = tuple(str(part) for part in error["loc"])
    found = _deepest(location, (), lines)
    where = ".".join(location) or "the flow"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key (check its spelling and the README's list of fields)"
    elif error["type"] == "union_tag_invalid":
        message = f"unknown node type; expected one of {error['ctx']['expected_tags']}"
    return FlowProblem(source, lines.get(found, 0), f"{where}: {message}")


def _deepest(location: tuple[str, ...], found: tuple[str, ...], lines: Lines) -> tuple[str, ...]:
    """The longest path through the file that follows the error's location, skipping the parts
    pydantic adds that are not in the file (a union member's tag: "menu", "str"...)."""
    if not location:
        return found
    head, rest = location[0], location[1:]
    skipped = _deepest(rest, found, lines)
    if (*found, head) not in lines:
        return skipped
    taken = _deepest(rest, (*found, head), lines)
    return taken if len(taken) > len(skipped) else skipped
