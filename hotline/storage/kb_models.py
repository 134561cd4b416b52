"""The knowledge base's tables: every version of every policy provision, the entries agents
mark as the answer to a call, and the questions no entry answered.

Imported at the end of `models.py`, so that `Base.metadata` (and Alembic) sees these tables.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hotline.storage.models import Base
from hotline.storage.records import AGENT_CODE_MAX, CALL_TEXT_LIMITS, NAME_MAX

PROVISION_ID_MAX = 40
TOPIC_MAX = 80


class KbProvisionRow(Base):
    """One version of a provision (or a local guidance entry). Rows are never overwritten: a
    changed text is a new version, and a provision withdrawn from the corpus is retired."""

    __tablename__ = "kb_provisions"
    __table_args__ = (
        UniqueConstraint("provision_id", "version"),
        Index("ix_kb_provisions_law_id", "law_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provision_id: Mapped[str] = mapped_column(String(PROVISION_ID_MAX), index=True)
    version: Mapped[int]
    source: Mapped[str] = mapped_column(String(16))
    law_id: Mapped[str] = mapped_column(String(PROVISION_ID_MAX))
    law_title: Mapped[str] = mapped_column(String(300))
    category: Mapped[str] = mapped_column(String(40))
    law_category: Mapped[str] = mapped_column(String(40))
    domain: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(40))
    article_no: Mapped[str] = mapped_column(String(80))
    chapter: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    version_date: Mapped[str] = mapped_column(String(10))
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    text_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(NAME_MAX))
    superseded_at: Mapped[datetime | None]
    """When a newer version was recorded (the text is kept)."""
    retired_at: Mapped[datetime | None]
    """When the provision left the corpus (its law re-imported without it) or an admin
    withdrew the guidance entry: no version of it is served after that."""


class KbMarkRow(Base):
    """An agent's mark: this entry answered this call. Hit rates are counted from these."""

    __tablename__ = "kb_marks"
    __table_args__ = (UniqueConstraint("call_uniqueid", "provision_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_uniqueid: Mapped[str] = mapped_column(String(CALL_TEXT_LIMITS["uniqueid"]))
    provision_id: Mapped[str] = mapped_column(String(PROVISION_ID_MAX))
    agent_code: Mapped[str] = mapped_column(String(AGENT_CODE_MAX))
    topic: Mapped[str] = mapped_column(String(TOPIC_MAX), index=True)
    at: Mapped[datetime] = mapped_column(index=True)


class KbGapRow(Base):
    """A question an agent could not answer from the knowledge base: a gap to fill."""

    __tablename__ = "kb_gaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_uniqueid: Mapped[str | None] = mapped_column(String(CALL_TEXT_LIMITS["uniqueid"]))
    agent_code: Mapped[str] = mapped_column(String(AGENT_CODE_MAX))
    topic: Mapped[str] = mapped_column(String(TOPIC_MAX))
    question: Mapped[str] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(index=True)
