"""Skills, requirements and routing policy as data: what a call needs, how that relaxes with the
wait, and how each queue chooses among eligible agents.

A call carries requirements such as ``(("medical_insurance", 3), ("mandarin", 1))``: an agent is
eligible when, for every requirement, their proficiency in that skill (1-5, 0 when absent) is at
least the minimum. A queue's relax rules, sorted by ``after_s``, loosen the requirements as the
wait grows; the rules are cumulative (after 90 s both the 30 s and the 90 s rule apply) and only
ever relax, so an agent eligible at some wait stays eligible at any longer wait.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, NamedTuple

# The hotline's vocabulary (IVR topics and languages); skills outside it are allowed, these are
# the ones the IVR and the agent screens know by name.
SKILLS = (
    "pension",
    "medical_insurance",
    "work_injury",
    "unemployment",
    "labour_contract",
    "wages",
    "employment",
    "housing_fund",
    "inspection_complaint",
    "residence_permit",
)
LANGUAGES = ("mandarin", "shanghainese", "english")
MIN_PROFICIENCY, MAX_PROFICIENCY = 1, 5

Strategy = Literal["longest_idle", "best_skill", "round_robin"]
STRATEGIES: tuple[Strategy, ...] = ("longest_idle", "best_skill", "round_robin")
OFFER_CALLBACK = "offer_callback"
OVERFLOW = "overflow:"
DEFAULT_OFFER_TIMEOUT_S = 20.0


class Requirement(NamedTuple):
    """One skill a call needs, at a minimum proficiency. A plain ``(skill, n)`` pair also works."""

    skill: str
    min_proficiency: int = MIN_PROFICIENCY


Requirements = tuple[Requirement, ...]


def check_proficiency(skill: str, level: int) -> None:
    if not MIN_PROFICIENCY <= level <= MAX_PROFICIENCY:
        raise ValueError(f"proficiency for {skill!r} must be 1-5, not {level}")


def parse_requirements(pairs: Iterable[tuple[str, int]]) -> Requirements:
    """Validated requirements from ``(skill, min_proficiency)`` pairs; one per skill."""
    result = tuple(Requirement(skill, level) for skill, level in pairs)
    for skill, level in result:
        check_proficiency(skill, level)
    if len({r.skill for r in result}) != len(result):
        raise ValueError(f"a skill is required twice in {result}")
    return result


def skill_levels(skills: Mapping[str, int]) -> dict[str, int]:
    """Validated agent skills, ``{"pension": 4, "mandarin": 5}``."""
    for skill, level in skills.items():
        check_proficiency(skill, level)
    return dict(skills)


def meets(skills: Mapping[str, int], needs: Requirements) -> bool:
    """True when an agent with ``skills`` satisfies every requirement."""
    for skill, level in needs:  # noqa: SIM110 - a plain loop is faster; runs per agent and call
        if skills.get(skill, 0) < level:
            return False
    return True


@dataclass(frozen=True)
class RelaxRule:
    """After ``after_s`` of waiting: lower every minimum to ``min_proficiency``, stop requiring
    ``drop_skills``, and emit ``action`` once ("offer_callback" or "overflow:<queue>")."""

    after_s: float
    min_proficiency: int | None = None
    drop_skills: tuple[str, ...] = ()
    action: str | None = None

    def __post_init__(self) -> None:
        if self.after_s < 0:
            raise ValueError(f"after_s must not be negative: {self.after_s}")
        if self.min_proficiency is not None:
            check_proficiency("min_proficiency", self.min_proficiency)
        action = self.action
        if action is not None and action != OFFER_CALLBACK and not _is_overflow(action):
            raise ValueError(f"unknown relax action {action!r}")

    def relax(self, needs: Requirements) -> Requirements:
        floor = self.min_proficiency
        return tuple(
            Requirement(skill, level if floor is None else min(level, floor))
            for skill, level in needs
            if skill not in self.drop_skills
        )


def _is_overflow(action: str) -> bool:
    return action.startswith(OVERFLOW) and len(action) > len(OVERFLOW)


def overflow_target(action: str) -> str | None:
    """The queue named by an "overflow:<queue>" action, else None."""
    return action[len(OVERFLOW) :] if _is_overflow(action) else None


@dataclass(frozen=True)
class QueuePolicy:
    name: str
    strategy: Strategy = "longest_idle"
    wrapup_s: float = 0.0
    offer_timeout_s: float = DEFAULT_OFFER_TIMEOUT_S
    relax: tuple[RelaxRule, ...] = ()
    max_misses: int = 3
    preferred_agent_wait_s: float = 20.0
    priority_aging_per_min: float = 1.0

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"queue {self.name}: unknown strategy {self.strategy!r}")
        if self.max_misses < 1:
            raise ValueError(f"queue {self.name}: max_misses must be at least 1")
        if min(self.wrapup_s, self.offer_timeout_s, self.preferred_agent_wait_s) < 0:
            raise ValueError(f"queue {self.name}: times must not be negative")
        if self.priority_aging_per_min < 0:
            raise ValueError(f"queue {self.name}: priority aging must not be negative")
        object.__setattr__(self, "relax", tuple(sorted(self.relax, key=lambda r: r.after_s)))

    @cached_property
    def thresholds(self) -> tuple[float, ...]:
        return tuple(rule.after_s for rule in self.relax)

    def stage(self, waited_s: float) -> int:
        """How many relax rules apply after waiting ``waited_s`` (rules are sorted by after_s)."""
        return bisect_right(self.thresholds, waited_s)

    def relaxed(self, needs: Requirements, stage: int) -> Requirements:
        for rule in self.relax[:stage]:
            needs = rule.relax(needs)
        return needs


@dataclass(frozen=True)
class RoutingPolicy:
    """A QueuePolicy per queue; a queue not listed follows ``default``."""

    queues: tuple[QueuePolicy, ...] = ()
    default: QueuePolicy = field(default_factory=lambda: QueuePolicy("default"))

    def __post_init__(self) -> None:
        names = [q.name for q in self.queues]
        if len(set(names)) != len(names):
            raise ValueError(f"a queue is listed twice in {names}")

    @cached_property
    def by_name(self) -> dict[str, QueuePolicy]:
        return {q.name: q for q in self.queues}

    def for_queue(self, queue: str) -> QueuePolicy:
        return self.by_name.get(queue, self.default)
