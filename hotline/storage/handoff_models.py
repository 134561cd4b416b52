"""Blind and warm transfers to a queue or an agent (issue 6): one row each, and its steps.

Apart from the window connections' tables: a handoff has a target (queue or agent) and a note,
not an office and a clerk. Imported at the end of `models.py` so that `Base.metadata` sees them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.storage.models import Base
from hotline.storage.transfer_models import CASE_ID_MAX, CHANNEL_MAX, STATE_MAX

NOTE_MAX = 500


class HandoffRow(Base):
    """A caller handed to another queue or agent, with the case: enough to settle it after a
    controller restart."""

    __tablename__ = "handoffs"
    __table_args__ = (Index("ix_handoffs_open", "finished", "created_at"),)

    case_id: Mapped[str] = mapped_column(String(CASE_ID_MAX), primary_key=True)
    call_id: Mapped[str] = mapped_column(String(CHANNEL_MAX), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    agent: Mapped[str] = mapped_column(String(32))
    target_kind: Mapped[str] = mapped_column(String(8))
    target: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(NOTE_MAX))
    topic: Mapped[str] = mapped_column(String(64))
    caller_channel: Mapped[str] = mapped_column(String(CHANNEL_MAX))
    agent_channel: Mapped[str] = mapped_column(String(CHANNEL_MAX))
    target_channel: Mapped[str | None] = mapped_column(String(CHANNEL_MAX))
    received_by: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(STATE_MAX))
    reason: Mapped[str] = mapped_column(String(64))
    agent_present: Mapped[bool]
    finished: Mapped[bool]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class HandoffStepRow(Base):
    """One transition ``from_state -[event]-> to_state`` at ``at``, in order (``seq``)."""

    __tablename__ = "handoff_steps"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(
        String(CASE_ID_MAX), ForeignKey("handoffs.case_id", ondelete="CASCADE")
    )
    seq: Mapped[int]
    at: Mapped[datetime]
    from_state: Mapped[str] = mapped_column(String(STATE_MAX))
    event: Mapped[str] = mapped_column(String(STATE_MAX))
    to_state: Mapped[str] = mapped_column(String(STATE_MAX))
