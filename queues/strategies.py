"""How a queue chooses among the free agents eligible for a call.

- ``longest_idle``: the agent available the longest (then by code);
- ``best_skill``: the highest proficiency in the call's requirements, compared in the order the
  requirements are listed (the topic first, then the language), even in skills a relax rule has
  stopped requiring; then longest idle;
- ``round_robin``: the next agent by code after the one this queue offered last, wrapping round.

Within one decision the free agents are indexed by skill (``FreeAgents``); the eligible ones are
ranked once per kind of call (``rank``), and ``pick`` takes the first still available, keeping a
cursor, since an agent offered a call is not available again within the same decision.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from queues.agent_states import AgentState
from queues.records import AgentSlot
from queues.skills import Requirements, Strategy, meets

AVAILABLE = AgentState.AVAILABLE


class FreeAgents:
    """The agents free at the start of one decision, indexed by skill on first use."""

    def __init__(self, agents: list[AgentSlot]) -> None:
        self.agents = agents
        self._by_skill: dict[str, list[AgentSlot]] | None = None

    def __len__(self) -> int:
        return len(self.agents)

    def eligible(self, needs: Requirements) -> list[AgentSlot]:
        """Those still available who meet ``needs``."""
        return [a for a in self._pool(needs) if a.state is AVAILABLE and meets(a.skills, needs)]

    def any_eligible(self, needs: Requirements) -> bool:
        return any(a.state is AVAILABLE and meets(a.skills, needs) for a in self._pool(needs))

    def _pool(self, needs: Requirements) -> list[AgentSlot]:
        """The agents with the rarest of the skills needed (proficiency is never 0)."""
        if not needs or len(self.agents) < 8:
            return self.agents
        if self._by_skill is None:
            self._by_skill = {}
            for agent in self.agents:
                for skill in agent.skills:
                    self._by_skill.setdefault(skill, []).append(agent)
        by_skill = self._by_skill
        return min((by_skill.get(skill, []) for skill, _level in needs), key=len)


@dataclass
class Ranked:
    agents: list[AgentSlot]
    cursor: int = 0
    """Agents before it have been offered a call in this decision."""


def rank(strategy: Strategy, needs: Requirements, agents: list[AgentSlot]) -> Ranked:
    return Ranked(sorted(agents, key=_sort_key(strategy, needs)))


def pick(strategy: Strategy, ranked: Ranked, last: str | None) -> AgentSlot | None:
    """The first ranked agent still available (round robin: the first after ``last``)."""
    agents = ranked.agents
    if strategy == "round_robin" and last is not None:
        after = next((a for a in agents if a.code > last and a.state is AVAILABLE), None)
        if after is not None:
            return after
    index = ranked.cursor
    while index < len(agents) and agents[index].state is not AVAILABLE:
        index += 1
    ranked.cursor = index
    return agents[index] if index < len(agents) else None


def _sort_key(strategy: Strategy, needs: Requirements) -> Callable[[AgentSlot], Any]:
    if strategy == "best_skill":
        skills = [skill for skill, _level in needs]
        return lambda a: ([-a.skills.get(s, 0) for s in skills], a.idle_since, a.code)
    if strategy == "round_robin":
        return lambda a: a.code
    return lambda a: (a.idle_since, a.code)
