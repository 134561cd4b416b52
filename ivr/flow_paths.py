"""Every path through a flow: the node sequences from the start to an end, and the keys that
take a caller along each. The demo and the tests place one call per path; the path report
compares them with the paths callers really took.

A path follows valid choices only (wrong keys and silence are retries of the same node) and
visits a node at most once (a "back" key leads to a node already on the path). Hours nodes
branch on the clock: a path says which schedules it needs open or closed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ivr.flow import (
    CallbackNode,
    Flow,
    HangupNode,
    HoursNode,
    IdEntryNode,
    MenuNode,
    PlayNode,
    QueueNode,
    SelfServiceNode,
)

AGENT_KEY = "0"

VALID_ID = "<valid id>"
"""Stands for a valid ID number keyed by the caller (the caller's script supplies one)."""
LISTEN_ON = "1"
"""Any key but 0 and 9 moves on to the next answer in self-service."""


@dataclass(frozen=True)
class FlowPath:
    nodes: tuple[str, ...]
    inputs: tuple[str, ...]
    """What the caller keys at each question, in order (VALID_ID stands for an ID number)."""
    schedules: Mapping[str, bool]
    """Schedules this path needs open (True) or closed (False)."""

    @property
    def end(self) -> str:
        return self.nodes[-1]

    @property
    def key(self) -> str:
        """Two paths may pass the same nodes by different keys (0 and 1 both reach a person)."""
        return f"{'>'.join(self.nodes)} [{' '.join(self.inputs)}]"


def flow_paths(flow: Flow) -> list[FlowPath]:
    return list(_walk(flow, flow.start, (), (), {}))


def _walk(flow: Flow, node_id: str, nodes: tuple[str, ...], inputs: tuple[str, ...],
          schedules: dict[str, bool]) -> Iterator[FlowPath]:  # fmt: skip
    if node_id in nodes:
        return  # back to a node already on this path: not a new path
    nodes = (*nodes, node_id)
    node = flow.node(node_id)
    for target, keys, needs in _edges(flow, node):
        clash = any(schedules.get(name, wanted) != wanted for name, wanted in needs.items())
        if clash:
            continue  # this branch contradicts what the path already assumed about the clock
        yield from _walk(flow, target, nodes, inputs + keys, {**schedules, **needs})
    if isinstance(node, QueueNode | HangupNode) and not _closed_only(node, schedules):
        yield FlowPath(nodes, inputs, _needs_open(node, schedules))


def _closed_only(node: QueueNode | HangupNode, schedules: Mapping[str, bool]) -> bool:
    return (
        isinstance(node, QueueNode)
        and node.schedule is not None
        and (schedules.get(node.schedule) is False)
    )


def _needs_open(node: QueueNode | HangupNode, schedules: dict[str, bool]) -> dict[str, bool]:
    if isinstance(node, QueueNode) and node.schedule is not None:
        return {**schedules, node.schedule: True}
    return schedules


Edge = tuple[str, tuple[str, ...], dict[str, bool]]


def _edges(flow: Flow, node: object) -> list[Edge]:  # noqa: PLR0911 - one branch per node type
    if isinstance(node, MenuNode):
        return [(c.goto, (key,), {}) for key, c in sorted(node.choices.items())]
    if isinstance(node, PlayNode | CallbackNode):
        return [(node.next, (), {})]
    if isinstance(node, HoursNode):
        return [(node.open, (), {node.schedule: True}), (node.closed, (), {node.schedule: False})]
    if isinstance(node, QueueNode):
        if node.schedule is None or node.closed is None:
            return []
        return [(node.closed, (), {node.schedule: False})]
    if isinstance(node, SelfServiceNode):
        listen_all = (LISTEN_ON,) * min(node.max_answers, len(node.answers))
        return [(node.agent, (AGENT_KEY,), {}), (node.next, listen_all, {})]
    if isinstance(node, IdEntryNode):
        return [(node.next, (VALID_ID,), {})]
    return []
