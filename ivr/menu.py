"""A single-level key menu as a pure state machine: input in, the next effect out.

The foundation's IVR: one Mandarin welcome menu whose keys choose a topic; a wrong key or
silence replays the menu, and after the last retry the caller goes to a person. The IVR issue
replaces this with whole flows loaded from YAML; the effects stay the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str


@dataclass(frozen=True)
class PlayAndCollect:
    prompt: Prompt
    max_digits: int
    timeout_ms: int


@dataclass(frozen=True)
class Play:
    prompt: Prompt


Requirements = tuple[tuple[str, int], ...]
"""(skill, minimum proficiency 1-5) pairs a caller's agent must have."""


@dataclass(frozen=True)
class RouteToAgent:
    queue: str
    topic: str
    requirements: Requirements = ()
    priority: int = 5
    """Lower is more urgent (urgent wage arrears, elderly callers...)."""


Effect = PlayAndCollect | Play | RouteToAgent


@dataclass(frozen=True)
class Option:
    key: str
    topic: str
    queue: str
    requirements: Requirements = ()
    priority: int = 5

    @property
    def route(self) -> RouteToAgent:
        return RouteToAgent(self.queue, self.topic, self.requirements, self.priority)


@dataclass(frozen=True)
class Menu:
    prompt: Prompt
    invalid: Prompt
    no_input: Prompt
    options: tuple[Option, ...]
    default: Option
    """Where silence or wrong keys lead after the last retry: a person."""
    retries: int = 2
    digit_timeout_ms: int = 5000

    def option(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)

    @property
    def prompts(self) -> tuple[Prompt, ...]:
        return (self.prompt, self.invalid, self.no_input)


@dataclass
class MenuRun:
    """One caller's way through a menu. ``start()`` then ``receive(digits)`` until routed."""

    menu: Menu
    attempts: int = 0
    path: list[str] = field(default_factory=list)

    def start(self) -> Effect:
        return self._ask()

    def receive(self, digits: str) -> list[Effect]:
        """Digits collected ('' means the caller pressed nothing before the timeout)."""
        key = digits[:1]
        chosen = self.menu.option(key) if key else None
        self.path.append(key or "timeout")
        if chosen is not None:
            return [chosen.route]
        complaint = self.menu.invalid if key else self.menu.no_input
        if self.attempts > self.menu.retries:
            return [Play(complaint), self.menu.default.route]
        return [Play(complaint), self._ask()]

    def _ask(self) -> PlayAndCollect:
        self.attempts += 1
        return PlayAndCollect(self.menu.prompt, max_digits=1, timeout_ms=self.menu.digit_timeout_ms)


GENERAL = Option(key="0", topic="general", queue="general")

WELCOME_12333 = Menu(
    prompt=Prompt(
        "welcome",
        "欢迎致电一二三三三。养老保险请按一，医疗保险请按二，人工服务请按零。",
    ),
    invalid=Prompt("invalid", "您的输入有误。"),
    no_input=Prompt("no_input", "我们没有收到您的按键。"),
    options=(
        Option(key="1", topic="pension", queue="pension", requirements=(("pension", 3),)),
        Option(
            key="2",
            topic="medical_insurance",
            queue="medical_insurance",
            requirements=(("medical_insurance", 3),),
        ),
        GENERAL,
    ),
    default=GENERAL,
)
