"""Read an IVR flow from YAML: every error names the file and line, and nothing half-loads.

Three passes: YAML is composed into nodes that remember their lines (duplicate keys are errors,
not silently overwritten); pydantic checks the shape (ivr/flow_spec.py); then references are
checked (every goto names a node, every node is reachable, every menu reaches a person) and the
flow is compiled into ivr/flow.py's objects.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ivr.flow import Flow
from ivr.flow_compile import ReferenceError_, compile_flow
from ivr.flow_spec import FlowSpec
from ivr.yaml_lines import DataFileError, Lines, Problem, compose, line_of

MAX_FLOW_BYTES = 1_000_000

ScheduleParser = Callable[[str, Mapping[str, Any]], object]
"""Turns one ``schedules:`` entry into a schedule, raising ValueError with what is wrong."""


class FlowError(DataFileError):
    """A flow file that cannot be used; ``problems`` lists every error found, with its line."""


def load_flow_file(path: Path, schedules: ScheduleParser, version: int = 0) -> Flow:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlowError([Problem(str(path), 0, f"cannot read the flow: {exc}")]) from exc
    return load_flow_text(text, str(path), schedules, version)


def load_flow_text(text: str, source: str, schedules: ScheduleParser, version: int = 0) -> Flow:
    if len(text.encode()) > MAX_FLOW_BYTES:
        raise FlowError([Problem(source, 0, f"the flow is over {MAX_FLOW_BYTES} bytes")])
    data, lines = _compose(text, source)
    try:
        spec = FlowSpec.model_validate(data)
    except ValidationError as exc:
        raise FlowError([_problem(source, lines, e) for e in exc.errors()]) from exc
    try:
        return compile_flow(spec, schedules, version)
    except ReferenceError_ as exc:
        raise FlowError(
            [Problem(source, lines.get(p.where, 0), p.message) for p in exc.problems]
        ) from exc


def _compose(text: str, source: str) -> tuple[Any, Lines]:
    try:
        return compose(text, source, empty="the flow file is empty")
    except DataFileError as exc:
        raise FlowError(exc.problems) from exc


def _problem(source: str, lines: Lines, error: Any) -> Problem:
    location = tuple(str(part) for part in error["loc"])
    where = ".".join(location) or "the flow"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        message = "unknown key (check its spelling and the README's list of fields)"
    elif error["type"] == "union_tag_invalid":
        message = f"unknown node type; expected one of {error['ctx']['expected_tags']}"
    return Problem(source, line_of(lines, location), f"{where}: {message}")
