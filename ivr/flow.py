"""An IVR flow, compiled: named nodes the interpreter (ivr/interpreter.py) steps through.

Flows are written as YAML (ivr/flow_yaml.py turns a file into these objects, checking every
reference); the interpreter never sees YAML. Every node knows the line it came from, so a report
or a log line can point an admin at the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ivr.prompt import Prompt

Requirements = tuple[tuple[str, int], ...]
"""(skill, minimum proficiency 1-5) pairs a caller's agent must have."""


@dataclass(frozen=True)
class Choice:
    goto: str
    language: str | None = None
    """The caller's language from here on (adds that language's skill to every route)."""


@dataclass(frozen=True)
class MenuNode:
    id: str
    prompt: Prompt
    choices: Mapping[str, Choice]
    invalid: Prompt
    no_input: Prompt
    on_failure: str
    """Where a caller goes after the last retry (wrong keys or silence): by default, a person."""
    retries: int
    timeout_ms: int
    line: int = 0


@dataclass(frozen=True)
class PlayNode:
    id: str
    prompt: Prompt
    next: str
    line: int = 0


@dataclass(frozen=True)
class QueueNode:
    """Terminal: the caller waits for an agent with these skills."""

    id: str
    queue: str
    topic: str
    requirements: Requirements = ()
    priority: int = 5
    """Lower is more urgent (urgent wage arrears, elderly callers...)."""
    schedule: str | None = None
    closed: str | None = None
    """Where callers go when the queue's schedule is closed."""
    prompt: Prompt | None = None
    line: int = 0


@dataclass(frozen=True)
class HangupNode:
    id: str
    prompt: Prompt | None = None
    line: int = 0


@dataclass(frozen=True)
class HoursNode:
    id: str
    schedule: str
    open: str
    closed: str
    line: int = 0


@dataclass(frozen=True)
class SelfServiceNode:
    """The answers to a topic's most-asked questions, with "0 for an agent" after each."""

    id: str
    topic: str
    intro: Prompt | None
    answers: tuple[Prompt, ...]
    """Read when the knowledge base offers nothing better for the topic."""
    after_each: Prompt
    agent: str
    next: str
    max_answers: int
    timeout_ms: int
    line: int = 0


@dataclass(frozen=True)
class IdEntryNode:
    """The caller keys an ID-card number (X as *, # to finish); checked by its check digit."""

    id: str
    prompt: Prompt
    invalid: Prompt
    accepted: Prompt | None
    next: str
    on_failure: str
    retries: int
    timeout_ms: int
    line: int = 0


@dataclass(frozen=True)
class CallbackNode:
    """Book a callback for the schedule's next opening to the caller's number."""

    id: str
    schedule: str
    queue: str
    topic: str
    booked: Prompt
    unavailable: Prompt
    """Played when the caller's number cannot be called back (withheld, not a mainland number)."""
    next: str
    line: int = 0


Node = (
    MenuNode | PlayNode | QueueNode | HangupNode | HoursNode | SelfServiceNode | IdEntryNode
    | CallbackNode
)  # fmt: skip
TERMINALS = (QueueNode, HangupNode)


@dataclass(frozen=True)
class Survey:
    """The satisfaction survey after the agent leaves: one key, 1 to 5."""

    prompt: Prompt
    thanks: Prompt
    invalid: Prompt
    retries: int = 1
    timeout_ms: int = 6000


@dataclass(frozen=True)
class Flow:
    name: str
    start: str
    person: str
    """The queue node every menu's key 0 leads to unless the menu says otherwise."""
    nodes: Mapping[str, Node]
    schedules: Mapping[str, object] = field(default_factory=dict)
    """Opening hours by name (ivr.hours.Schedule); the interpreter only asks whether one is open."""
    language_skills: Mapping[str, tuple[str, int] | None] = field(default_factory=dict)
    default_language: str = "mandarin"
    announcement: Prompt | None = None
    """Where a hot-topic announcement would be named; its text comes from the admin at run time."""
    announce_hot_topics: bool = True
    survey: Survey | None = None
    skill_labels: Mapping[str, str] = field(default_factory=dict)
    version: int = 0
    """The stored version this flow was loaded from (0: not stored)."""

    def node(self, node_id: str) -> Node:
        return self.nodes[node_id]

    @property
    def queue_skills(self) -> dict[str, tuple[str, ...]]:
        """Each queue the flow routes to, with the skills its callers ask for."""
        found: dict[str, set[str]] = {}
        for node in self.nodes.values():
            if isinstance(node, QueueNode):
                found.setdefault(node.queue, set()).update(s for s, _ in node.requirements)
        return {queue: tuple(sorted(skills)) for queue, skills in found.items()}

    @property
    def prompts(self) -> tuple[Prompt, ...]:
        """Every prompt whose text is known before a call, to be generated ahead of time."""
        found: list[Prompt] = []
        for node in self.nodes.values():
            found.extend(node_prompts(node))
        if self.survey is not None:
            found.extend((self.survey.prompt, self.survey.thanks, self.survey.invalid))
        return tuple(dict.fromkeys(found))


def node_prompts(node: Node) -> tuple[Prompt, ...]:  # noqa: PLR0911 - one return per node type
    if isinstance(node, MenuNode):
        return (node.prompt, node.invalid, node.no_input)
    if isinstance(node, PlayNode):
        return (node.prompt,)
    if isinstance(node, QueueNode | HangupNode):
        return () if node.prompt is None else (node.prompt,)
    if isinstance(node, SelfServiceNode):
        intro = () if node.intro is None else (node.intro,)
        return (*intro, *node.answers, node.after_each)
    if isinstance(node, IdEntryNode):
        accepted = () if node.accepted is None else (node.accepted,)
        return (node.prompt, node.invalid, *accepted)
    if isinstance(node, CallbackNode):
        return (node.booked, node.unavailable)
    return ()


def successors(node: Node) -> tuple[str, ...]:  # noqa: PLR0911 - one return per node type
    """Every node this one can lead to, for reference checks and reachability."""
    if isinstance(node, MenuNode):
        return (*(c.goto for c in node.choices.values()), node.on_failure)
    if isinstance(node, PlayNode | CallbackNode):
        return (node.next,)
    if isinstance(node, QueueNode):
        return () if node.closed is None else (node.closed,)
    if isinstance(node, HoursNode):
        return (node.open, node.closed)
    if isinstance(node, SelfServiceNode):
        return (node.agent, node.next)
    if isinstance(node, IdEntryNode):
        return (node.next, node.on_failure)
    return ()
