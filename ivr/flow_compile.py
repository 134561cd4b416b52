"""A checked flow specification compiled into ivr/flow.py's nodes, with its references checked."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ivr.flow import (
    CallbackNode,
    Choice,
    Flow,
    HangupNode,
    HoursNode,
    IdEntryNode,
    MenuNode,
    Node,
    PlayNode,
    QueueNode,
    SelfServiceNode,
    Survey,
    successors,
)
from ivr.flow_spec import (
    CallbackSpec,
    FlowSpec,
    HangupSpec,
    HoursSpec,
    IdEntrySpec,
    MenuSpec,
    NodeSpec,
    PlaySpec,
    PromptField,
    PromptSpec,
    QueueSpec,
    SelfServiceSpec,
)
from ivr.prompt import Prompt

PERSON_KEY = "0"
Where = tuple[str, ...]


@dataclass(frozen=True)
class Problem:
    where: Where
    message: str


class ReferenceError_(Exception):  # noqa: N801 - the builtin ReferenceError means something else
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


def compile_flow(
    spec: FlowSpec, parse_schedule: Callable[[str, Mapping[str, Any]], object], version: int
) -> Flow:
    problems: list[Problem] = []
    schedules = _schedules(spec, parse_schedule, problems)
    nodes = {node_id: _node(spec, node_id, node) for node_id, node in spec.nodes.items()}
    problems.extend(_reference_problems(spec, nodes, schedules))
    if problems:
        raise ReferenceError_(problems)
    return Flow(
        name=spec.flow,
        start=spec.start,
        person=spec.person,
        nodes=nodes,
        schedules=schedules,
        language_skills={
            name: None if lang.skill is None else (lang.skill, lang.proficiency)
            for name, lang in spec.languages.items()
        },
        default_language=spec.language,
        announce_hot_topics=spec.hot_topics,
        survey=_survey(spec),
        skill_labels=dict(spec.skill_labels),
        version=version,
    )


def _schedules(spec: FlowSpec, parse: Callable[[str, Mapping[str, Any]], object],
               problems: list[Problem]) -> dict[str, object]:  # fmt: skip
    parsed: dict[str, object] = {}
    for name, raw in spec.schedules.items():
        try:
            parsed[name] = parse(name, raw)
        except ValueError as exc:
            problems.append(Problem(("schedules", name), f"schedules.{name}: {exc}"))
    return parsed


class _Prompts:
    """Names prompts after their node and role, in the flow's voice unless they say otherwise."""

    def __init__(self, spec: FlowSpec, node_id: str) -> None:
        self.voice = spec.voice
        self.node_id = node_id

    def __call__(self, role: str, field: PromptField) -> Prompt:
        name = f"{self.node_id}.{role}"
        if isinstance(field, PromptSpec):
            return Prompt(name, field.text, field.voice or self.voice, field.recording)
        return Prompt(name, field, self.voice)

    def maybe(self, role: str, field: PromptField | None) -> Prompt | None:
        return None if field is None else self(role, field)


def _node(spec: FlowSpec, node_id: str, node: NodeSpec) -> Node:  # noqa: PLR0911 - one per type
    prompt = _Prompts(spec, node_id)
    defaults = _Prompts(spec, "defaults")
    if isinstance(node, MenuSpec):
        return _menu(spec, node_id, node, prompt, defaults)
    if isinstance(node, PlaySpec):
        return PlayNode(node_id, prompt("prompt", node.prompt), node.next)
    if isinstance(node, QueueSpec):
        return QueueNode(
            node_id, node.queue, node.topic, tuple(node.skills.items()), node.priority,
            node.schedule, node.closed, prompt.maybe("prompt", node.prompt),
        )  # fmt: skip
    if isinstance(node, HangupSpec):
        return HangupNode(node_id, prompt.maybe("prompt", node.prompt))
    if isinstance(node, HoursSpec):
        return HoursNode(node_id, node.schedule, node.open, node.closed)
    if isinstance(node, SelfServiceSpec):
        return SelfServiceNode(
            node_id, node.topic, prompt.maybe("intro", node.intro),
            tuple(prompt(f"answer{i + 1}", a) for i, a in enumerate(node.answers)),
            prompt("after_each", node.after_each), node.agent or spec.person, node.next,
            node.max_answers, node.timeout_ms or spec.defaults.timeout_ms,
        )  # fmt: skip
    if isinstance(node, IdEntrySpec):
        return IdEntryNode(
            node_id, prompt("prompt", node.prompt), prompt("invalid", node.invalid),
            prompt.maybe("accepted", node.accepted), node.next, node.on_failure or spec.person,
            spec.defaults.retries if node.retries is None else node.retries,
            node.timeout_ms or spec.defaults.timeout_ms,
        )  # fmt: skip
    assert isinstance(node, CallbackSpec)
    return CallbackNode(
        node_id, node.schedule, node.queue, node.topic, prompt("booked", node.booked),
        prompt("unavailable", node.unavailable), node.next,
    )  # fmt: skip


def _menu(spec: FlowSpec, node_id: str, node: MenuSpec, prompt: _Prompts,
          defaults: _Prompts) -> MenuNode:  # fmt: skip
    choices = {
        key: Choice(target) if isinstance(target, str) else Choice(target.goto, target.language)
        for key, target in node.options.items()
    }
    if node.person:
        choices.setdefault(PERSON_KEY, Choice(spec.person))
    return MenuNode(
        node_id,
        prompt("prompt", node.prompt),
        choices,
        invalid=prompt("invalid", node.invalid)
        if node.invalid is not None
        else defaults("invalid", spec.defaults.invalid),
        no_input=prompt("no_input", node.no_input)
        if node.no_input is not None
        else defaults("no_input", spec.defaults.no_input),
        on_failure=node.on_failure or spec.person,
        retries=spec.defaults.retries if node.retries is None else node.retries,
        timeout_ms=node.timeout_ms or spec.defaults.timeout_ms,
    )


def _survey(spec: FlowSpec) -> Survey | None:
    if spec.survey is None:
        return None
    prompt = _Prompts(spec, "survey")
    return Survey(
        prompt("prompt", spec.survey.prompt), prompt("thanks", spec.survey.thanks),
        prompt("invalid", spec.survey.invalid), spec.survey.retries, spec.survey.timeout_ms,
    )  # fmt: skip


def _reference_problems(spec: FlowSpec, nodes: Mapping[str, Node],
                        schedules: Mapping[str, object]) -> Iterator[Problem]:  # fmt: skip
    for field_name in ("start", "person"):
        target = getattr(spec, field_name)
        if target not in nodes:
            yield Problem((field_name,), f"{field_name}: there is no node {target!r}")
    if spec.person in nodes and not isinstance(nodes[spec.person], QueueNode):
        yield Problem(("person",), f"person: {spec.person!r} must be a queue node")
    languages = {spec.language, *spec.languages}
    for node_id, node in nodes.items():
        yield from _node_problems(
            node_id, node, nodes, schedules=schedules, languages=languages, spec=spec
        )
    if spec.start in nodes:
        yield from _unreachable(spec.start, nodes)
        yield from _silent_loops(nodes)


def _node_problems(node_id: str, node: Node, nodes: Mapping[str, Node], *,
                   schedules: Mapping[str, object], languages: set[str],
                   spec: FlowSpec) -> Iterator[Problem]:  # fmt: skip
    where = ("nodes", node_id)
    for target in successors(node):
        if target not in nodes:
            yield Problem(where, f"nodes.{node_id}: leads to {target!r}, which is not a node")
    schedule = getattr(node, "schedule", None)
    if schedule is not None and schedule not in schedules and schedule not in spec.schedules:
        yield Problem(where, f"nodes.{node_id}: there is no schedule {schedule!r}")
    if isinstance(node, QueueNode) and node.schedule is not None and node.closed is None:
        yield Problem(where, f"nodes.{node_id}: a queue with a schedule needs 'closed'")
    if isinstance(node, MenuNode):
        for key, choice in node.choices.items():
            if choice.language is not None and choice.language not in languages:
                yield Problem(
                    (*where, "options", key),
                    f"nodes.{node_id}.options.{key}: unknown language {choice.language!r} "
                    f"(declare it under 'languages')",
                )


def _unreachable(start: str, nodes: Mapping[str, Node]) -> Iterator[Problem]:
    seen, todo = {start}, [start]
    while todo:
        for target in successors(nodes[todo.pop()]):
            if target in nodes and target not in seen:
                seen.add(target)
                todo.append(target)
    for node_id in nodes:
        if node_id not in seen:
            yield Problem(("nodes", node_id), f"nodes.{node_id}: no caller can reach this node")


def _silent_loops(nodes: Mapping[str, Node]) -> Iterator[Problem]:
    """Nodes that pass straight on (play, hours, callback, a closed queue) must not loop."""
    passing = (PlayNode, HoursNode, CallbackNode, QueueNode)
    for start_id, node in nodes.items():
        if not isinstance(node, passing):
            continue
        seen, todo = set(), list(successors(node))
        while todo:
            current = todo.pop()
            if current == start_id:
                message = f"nodes.{start_id}: loops back to itself without asking the caller"
                yield Problem(("nodes", start_id), message)
                break
            if current in seen or not isinstance(nodes.get(current), passing):
                continue
            seen.add(current)
            todo.extend(successors(nodes[current]))
