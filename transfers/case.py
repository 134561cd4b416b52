"""What a transfer carries and records: the case, the people on a call, the steps taken."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Role(enum.StrEnum):
    """Who a channel of a transfer belongs to."""

    CALLER = "caller"
    AGENT = "agent"
    CLERK = "clerk"
    """The district window's clerk (or, in a warm transfer, the agent or queue consulted)."""
    SUPERVISOR = "supervisor"


@dataclass(frozen=True)
class CaseContext:
    """The case the caller brings: it goes with the caller to the window, queue or agent."""

    case_id: str
    call_id: str
    summary: str
    """What the caller needs, in a sentence (read to the clerk in the briefing)."""
    topic: str = ""
    """The policy category of the call (kb/), for the screen-pop of whoever takes it."""
    district_id: str | None = None
    work_orders: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """One transition: ``from_state -[event]-> to_state`` at ``at``."""

    at: datetime
    from_state: str
    event: str
    to_state: str

    def __str__(self) -> str:
        return f"{self.from_state} -[{self.event}]-> {self.to_state}"
