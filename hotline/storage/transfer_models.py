"""Window connections (issue 6): one row per transfer, and every step it took.

Imported at the end of `models.py`, so that `Base.metadata` (and Alembic) sees these tables.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.storage.models import Base

CASE_ID_MAX = 40
CHANNEL_MAX = 150
STATE_MAX = 32


class WindowTransferRow(Base):
    """A caller's connection to a district window: enough to rebuild it after a restart."""

    __tablename__ = "window_transfers"
    __table_args__ = (Index("ix_window_transfers_open", "finished", "created_at"),)

    case_id: Mapped[str] = mapped_column(String(CASE_ID_MAX), primary_key=True)
    call_id: Mapped[str] = mapped_column(String(CHANNEL_MAX), index=True)
    agent: Mapped[str] = mapped_column(String(32))
    office_endpoint: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(500))
    caller_channel: Mapped[str] = mapped_column(String(CHANNEL_MAX))
    agent_channel: Mapped[str] = mapped_column(String(CHANNEL_MAX))
    clerk_channel: Mapped[str | None] = mapped_column(String(CHANNEL_MAX))
    state: Mapped[str] = mapped_column(String(STATE_MAX))
    reason: Mapped[str] = mapped_column(String(64))
    agent_present: Mapped[bool]
    finished: Mapped[bool]
    dialled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WindowTransferStepRow(Base):
    """One transition ``from_state -[event]-> to_state`` at ``at``, in order (``seq``)."""

    __tablename__ = "window_transfer_steps"
    __table_args__ = (UniqueConstraint("case_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[str] = mapped_column(
        String(CASE_ID_MAX), ForeignKey("window_transfers.case_id", ondelete="CASCADE")
    )
    seq: Mapped[int]
    at: Mapped[datetime]
    from_state: Mapped[str] = mapped_column(String(STATE_MAX))
    event: Mapped[str] = mapped_column(String(STATE_MAX))
    to_state: Mapped[str] = mapped_column(String(STATE_MAX))
