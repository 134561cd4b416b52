"""The IVR interpreter: steps a caller through a flow; digits in, effects out. No I/O.

``FlowRun(flow, facts).start()`` returns the first effects; every ``Collect`` among them is
answered by ``receive(digits)`` (``""`` for silence), which returns the next ones, until a
``Route`` or a ``Hangup`` ends the IVR. ``Step`` effects are what the call's path records: the
node entered, a wrong key, silence, with the node where each happened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

from ivr.flow import (
    CallbackNode,
    Flow,
    HangupNode,
    HoursNode,
    IdEntryNode,
    MenuNode,
    Node,
    PlayNode,
    QueueNode,
    Requirements,
    SelfServiceNode,
)
from ivr.id_numbers import id_from_keys, mask_id_number, validate_id_number
from ivr.prompt import Prompt

MAX_NODES_PER_CALL = 200
"""A flow that loops without asking the caller anything must not spin forever."""
ID_MAX_DIGITS = 18
REPEAT_KEY = "9"
AGENT_KEY = "0"


@dataclass(frozen=True)
class Play:
    prompt: Prompt
    node: str


@dataclass(frozen=True)
class Collect:
    prompt: Prompt
    node: str
    max_digits: int
    timeout_ms: int
    secret: bool = False
    """The digits are personal (an ID number): record only a masked form."""


@dataclass(frozen=True)
class Route:
    """Terminal: the caller waits for an agent."""

    queue: str
    topic: str
    node: str
    requirements: Requirements = ()
    priority: int = 5
    preferred_agent: str | None = None
    """An agent the caller waits for first (a transfer to a named agent)."""
    waiting_since: float | None = None
    """On the routing core's clock, when the caller's place dates from: a caller coming back
    (a failed window connection) keeps their place; None is now."""


@dataclass(frozen=True)
class Hangup:
    """Terminal: the IVR is done and the call ends."""

    node: str


@dataclass(frozen=True)
class BookCallback:
    """Book a callback at the schedule's next opening; the flow goes on either way."""

    node: str
    schedule: str
    queue: str
    topic: str


@dataclass(frozen=True)
class IdentityGiven:
    """A valid ID number was keyed; only its masked form leaves the interpreter."""

    node: str
    masked: str


@dataclass(frozen=True)
class Step:
    """A step for the call's path: kind as in hotline.storage.StepKind, detail as stored."""

    kind: str
    detail: Mapping[str, str | int]


Effect = Play | Collect | Route | Hangup | BookCallback | IdentityGiven | Step


@dataclass(frozen=True)
class CallFacts:
    """What the interpreter may know about the world when a call starts."""

    today: date
    open_schedules: frozenset[str] = frozenset()
    hot_topic: Prompt | None = None
    answers: Callable[[str], tuple[Prompt, ...]] | None = None
    """Answers for a topic from the knowledge base, best first; empty: use the flow's own."""
    callback_possible: bool = True
    """The caller's number can be called back (a mainland number, not withheld)."""


class FlowLoopError(Exception):
    """The flow moved through too many nodes without asking the caller anything."""


@dataclass
class FlowRun:
    """One caller's way through one flow."""

    flow: Flow
    facts: CallFacts
    node_id: str = ""
    language: str = ""
    attempts: int = 0
    answer_index: int = 0
    path: list[str] = field(default_factory=list)
    done: bool = False

    def start(self) -> list[Effect]:
        self.language = self.flow.default_language
        effects: list[Effect] = []
        if self.flow.announce_hot_topics and self.facts.hot_topic is not None:
            effects.append(Step("ivr_announcement", {"prompt": self.facts.hot_topic.name}))
            effects.append(Play(self.facts.hot_topic, self.flow.start))
        return effects + self._enter(self.flow.start)

    def receive(self, digits: str) -> list[Effect]:
        """The digits a ``Collect`` gathered ('' when the caller pressed nothing)."""
        if self.done:
            raise RuntimeError("the caller's flow has already ended")
        node = self.flow.node(self.node_id)
        if isinstance(node, MenuNode):
            return self._menu_input(node, digits)
        if isinstance(node, SelfServiceNode):
            return self._self_service_input(node, digits)
        if isinstance(node, IdEntryNode):
            return self._id_input(node, digits)
        raise RuntimeError(f"node {node.id!r} does not collect keys")

    # -- entering nodes ---------------------------------------------------------------------

    def _enter(self, node_id: str) -> list[Effect]:
        effects: list[Effect] = []
        while True:
            if len(self.path) >= MAX_NODES_PER_CALL:
                raise FlowLoopError(f"flow {self.flow.name!r} passed {len(self.path)} nodes")
            node = self.flow.node(node_id)
            self.node_id, self.attempts, self.answer_index = node_id, 0, 0
            self.path.append(node_id)
            effects.append(Step("ivr_node", self._node_detail(node_id)))
            following = self._arrive(node, effects)
            if following is None:
                return effects
            node_id = following

    def _arrive(self, node: Node, effects: list[Effect]) -> str | None:
        """Effects of arriving at a node; the next node to pass straight on to, or None."""
        if isinstance(node, HoursNode):
            return node.open if node.schedule in self.facts.open_schedules else node.closed
        if isinstance(node, PlayNode):
            effects.append(Play(node.prompt, node.id))
            return node.next
        if isinstance(node, CallbackNode):
            return self._callback(node, effects)
        if isinstance(node, QueueNode):
            return self._queue(node, effects)
        if isinstance(node, HangupNode):
            if node.prompt is not None:
                effects.append(Play(node.prompt, node.id))
            effects.append(Hangup(node.id))
            self.done = True
            return None
        effects.extend(self._ask(node))
        return None

    def _queue(self, node: QueueNode, effects: list[Effect]) -> str | None:
        if node.schedule is not None and node.schedule not in self.facts.open_schedules:
            assert node.closed is not None  # the loader requires it with a schedule
            return node.closed
        if node.prompt is not None:
            effects.append(Play(node.prompt, node.id))
        effects.append(
            Route(node.queue, node.topic, node.id, self._requirements(node), node.priority)
        )
        self.done = True
        return None

    def _callback(self, node: CallbackNode, effects: list[Effect]) -> str:
        if self.facts.callback_possible:
            effects.append(BookCallback(node.id, node.schedule, node.queue, node.topic))
            effects.append(Play(node.booked, node.id))
        else:
            effects.append(Play(node.unavailable, node.id))
        return node.next

    def _requirements(self, node: QueueNode) -> Requirements:
        language = self.flow.language_skills.get(self.language)
        if language is None or any(skill == language[0] for skill, _ in node.requirements):
            return node.requirements
        return (*node.requirements, language)

    def _ask(self, node: Node) -> list[Effect]:
        self.attempts += 1
        if isinstance(node, MenuNode):
            return [Collect(node.prompt, node.id, 1, node.timeout_ms)]
        if isinstance(node, IdEntryNode):
            return [Collect(node.prompt, node.id, ID_MAX_DIGITS + 1, node.timeout_ms, secret=True)]
        if isinstance(node, SelfServiceNode):
            return self._next_answer(node)
        raise RuntimeError(f"node {node.id!r} does not ask anything")  # pragma: no cover

    # -- menus ------------------------------------------------------------------------------

    def _menu_input(self, node: MenuNode, digits: str) -> list[Effect]:
        key = digits[:1]
        choice = node.choices.get(key) if key else None
        if choice is not None:
            step = Step("ivr_input", {"node": node.id, "digits": key})
            if choice.language is not None:
                self.language = choice.language
            return [step, *self._enter(choice.goto)]
        return self._retry(node, key, node.invalid if key else node.no_input, node.on_failure)

    def _retry(self, node: MenuNode | IdEntryNode, key: str, complaint: Prompt,
               on_failure: str) -> list[Effect]:  # fmt: skip
        step = (
            Step("ivr_invalid", {"node": node.id, "key": key})
            if key
            else Step("ivr_timeout", {"node": node.id})
        )
        if self.attempts > node.retries:
            return [step, Play(complaint, node.id), *self._enter(on_failure)]
        return [step, Play(complaint, node.id), *self._ask(node)]

    # -- self-service -----------------------------------------------------------------------

    def _answers(self, node: SelfServiceNode) -> tuple[Prompt, ...]:
        from_kb = self.facts.answers(node.topic) if self.facts.answers is not None else ()
        return (from_kb or node.answers)[: node.max_answers]

    def _next_answer(self, node: SelfServiceNode) -> list[Effect]:
        answers = self._answers(node)
        if self.answer_index >= len(answers):
            return self._enter(node.next)
        effects: list[Effect] = []
        if self.answer_index == 0 and node.intro is not None:
            effects.append(Play(node.intro, node.id))
        effects.append(Play(answers[self.answer_index], node.id))
        effects.append(Collect(node.after_each, node.id, 1, node.timeout_ms))
        return effects

    def _self_service_input(self, node: SelfServiceNode, digits: str) -> list[Effect]:
        key = digits[:1]
        step: Step = (
            Step("ivr_input", {"node": node.id, "digits": key})
            if key
            else Step("ivr_timeout", {"node": node.id})
        )
        if key == AGENT_KEY:
            return [step, *self._enter(node.agent)]
        if key != REPEAT_KEY:
            self.answer_index += 1
        return [step, *self._next_answer(node)]

    # -- ID numbers -------------------------------------------------------------------------

    def _id_input(self, node: IdEntryNode, digits: str) -> list[Effect]:
        keys = digits.removesuffix("#")
        if keys == AGENT_KEY:
            return [Step("ivr_input", {"node": node.id, "digits": AGENT_KEY}),
                    *self._enter(self.flow.person)]  # fmt: skip
        number = id_from_keys(keys)
        if validate_id_number(number, today=self.facts.today).valid:
            masked = mask_id_number(number)
            accepted: list[Effect] = [] if node.accepted is None else [Play(node.accepted, node.id)]
            return [
                Step("ivr_input", {"node": node.id, "digits": masked}),
                IdentityGiven(node.id, masked),
                *accepted,
                *self._enter(node.next),
            ]
        shown = mask_id_number(number) if keys else ""
        return self._retry(node, shown, node.invalid, node.on_failure)

    def _node_detail(self, node_id: str) -> dict[str, str | int]:
        return {"flow": self.flow.name, "version": self.flow.version, "node": node_id}
