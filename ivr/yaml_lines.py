"""YAML composed into plain data that remembers the line of every key, for errors with file:line.

Shared by every data file admins edit (IVR flows, the district directory): duplicate keys are
errors rather than silently overwritten, and a pydantic error's location is mapped back to the
deepest line the file has for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

Lines = dict[tuple[str, ...], int]


@dataclass(frozen=True)
class Problem:
    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


class DataFileError(Exception):
    """A data file that cannot be used; ``problems`` lists every error found, with its line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def compose(text: str, source: str, empty: str = "the file is empty") -> tuple[Any, Lines]:
    """The document as dicts, lists and scalars, and the line of every path (1-based)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        raise DataFileError([Problem(source, line, f"not valid YAML: {problem}")]) from exc
    if root is None:
        raise DataFileError([Problem(source, 1, empty)])
    lines: Lines = {}
    problems: list[Problem] = []
    data = _to_python(root, (), lines, problems, source)
    if problems:
        raise DataFileError(problems)
    return data, lines


def _to_python(node: yaml.Node, where: tuple[str, ...], lines: Lines,
               problems: list[Problem], source: str) -> Any:  # fmt: skip
    lines[where] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in result:
                line = key_node.start_mark.line + 1
                problems.append(Problem(source, line, f"{key!r} is written twice"))
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


def line_of(lines: Lines, location: Sequence[object]) -> int:
    """The line of the longest prefix of ``location`` found in the file (pydantic adds parts
    that are not in the file, such as a union member's tag: those are skipped)."""
    return lines.get(_deepest(tuple(str(part) for part in location), (), lines), 0)


def _deepest(location: tuple[str, ...], found: tuple[str, ...], lines: Lines) -> tuple[str, ...]:
    if not location:
        return found
    head, rest = location[0], location[1:]
    skipped = _deepest(rest, found, lines)
    if (*found, head) not in lines:
        return skipped
    taken = _deepest(rest, (*found, head), lines)
    return taken if len(taken) > len(skipped) else skipped
