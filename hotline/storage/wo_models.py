"""The work orders' tables: the orders handed to district offices, their history, and the outbox
that delivers them (MQTT and webhooks) with retries and dead letters.

Imported at the end of `models.py`, so that `Base.metadata` (and Alembic) sees these tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from hotline.storage.models import Base
from hotline.storage.wo_records import DETAIL_MAX
from hotline.storage.wo_records import WORK_ORDER_LIMITS as L

Json = JSON().with_variant(JSONB(), "postgresql")
DESTINATION_MAX = 1000
KEY_MAX = 80


class WorkOrderRow(Base):
    """One order, as it is now. ``day`` and ``sequence`` make the number; their uniqueness is
    what keeps two agents creating orders at once from getting the same number."""

    __tablename__ = "work_orders"
    __table_args__ = (
        UniqueConstraint("day", "sequence"),
        Index("ix_work_orders_status_district_id", "status", "district_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(L["number"]), unique=True)
    day: Mapped[str] = mapped_column(String(8))
    sequence: Mapped[int]
    order_type: Mapped[str] = mapped_column(String(L["order_type"]))
    district_id: Mapped[str] = mapped_column(String(L["district_id"]))
    office_kind: Mapped[str] = mapped_column(String(L["office_kind"]))
    office: Mapped[str] = mapped_column(String(L["office"]))
    office_endpoint: Mapped[str] = mapped_column(String(L["office"]))
    status: Mapped[str] = mapped_column(String(L["status"]))
    version: Mapped[int]
    urgent: Mapped[bool]
    deadline_at: Mapped[datetime] = mapped_column(index=True)
    deadlines: Mapped[Any] = mapped_column(Json)
    escalated: Mapped[Any] = mapped_column(Json)
    payload: Mapped[Any] = mapped_column(Json)
    """The type's fields (employer, issues, amount owed...)."""
    case_id: Mapped[str] = mapped_column(String(L["case_id"]), index=True)
    """The call the order was made on."""
    caller_number: Mapped[str] = mapped_column(String(L["caller_number"]), index=True)
    """The caller's screen-pop lists their orders not yet closed (hotline/screen_pops.py)."""
    agent: Mapped[str] = mapped_column(String(L["agent"]))
    district_chosen_by_agent: Mapped[bool]
    resolved_at: Mapped[datetime | None]
    follow_up_due_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WorkOrderEventRow(Base):
    """The order's history: every status change, escalation and follow-up, when and by whom."""

    __tablename__ = "work_order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(L["number"]), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60))
    from_status: Mapped[str] = mapped_column(String(L["status"]))
    to_status: Mapped[str] = mapped_column(String(L["status"]))
    actor: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(String(DETAIL_MAX))
    version: Mapped[int]


class OutboxRow(Base):
    """A delivery to make: written with the order's change, sent by the delivery loop.
    ``claimed_until`` is the loop's lease on the entry, so that it is never sent twice at once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(KEY_MAX), unique=True)
    order_number: Mapped[str] = mapped_column(String(L["number"]), index=True)
    version: Mapped[int]
    destination: Mapped[str] = mapped_column(String(DESTINATION_MAX))
    payload: Mapped[Any] = mapped_column(Json)
    attempts: Mapped[int]
    next_attempt_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12))
    last_error: Mapped[str | None] = mapped_column(String(DETAIL_MAX))
    dead_reason: Mapped[str] = mapped_column(String(DETAIL_MAX + 40))
    replays: Mapped[int]
    replayed_at: Mapped[datetime | None]
    claimed_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
