"""Work orders to district offices, their history, and the delivery outbox (issue 6).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def text(name: str, length: int, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def integer(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "work_orders",
        integer("id"),
        text("number", 32),
        text("day", 8),
        integer("sequence"),
        text("order_type", 32),
        text("district_id", 40),
        text("office_kind", 40),
        text("office", 200),
        text("office_endpoint", 200),
        text("status", 20),
        integer("version"),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        timestamp("deadline_at"),
        sa.Column("deadlines", JSON, nullable=False),
        sa.Column("escalated", JSON, nullable=False),
        sa.Column("payload", JSON, nullable=False),
        text("case_id", 150),
        text("caller_number", 32),
        text("agent", 32),
        sa.Column("district_chosen_by_agent", sa.Boolean(), nullable=False),
        timestamp("resolved_at", nullable=True),
        timestamp("follow_up_due_at", nullable=True),
        timestamp("created_at"),
        timestamp("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_work_orders_number")),
        sa.UniqueConstraint("day", "sequence", name=op.f("uq_work_orders_day_sequence")),
    )
    op.create_index(op.f("ix_work_orders_deadline_at"), "work_orders", ["deadline_at"])
    op.create_index(op.f("ix_work_orders_case_id"), "work_orders", ["case_id"])
    op.create_index(op.f("ix_work_orders_follow_up_due_at"), "work_orders", ["follow_up_due_at"])
    op.create_index("ix_work_orders_status_district_id", "work_orders", ["status", "district_id"])
    op.create_table(
        "work_order_events",
        integer("id"),
        text("number", 32),
        timestamp("at"),
        text("kind", 20),
        text("action", 60),
        text("from_status", 20),
        text("to_status", 20),
        text("actor", 120),
        text("detail", 500),
        integer("version"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_order_events")),
    )
    op.create_index(op.f("ix_work_order_events_number"), "work_order_events", ["number"])
    op.create_table(
        "outbox",
        integer("id"),
        text("idempotency_key", 80),
        text("order_number", 32),
        integer("version"),
        text("destination", 1000),
        sa.Column("payload", JSON, nullable=False),
        integer("attempts"),
        timestamp("next_attempt_at"),
        text("state", 12),
        text("last_error", 500, nullable=True),
        text("dead_reason", 540),
        integer("replays"),
        timestamp("replayed_at", nullable=True),
        timestamp("claimed_until", nullable=True),
        timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    op.create_index(op.f("ix_outbox_order_number"), "outbox", ["order_number"])
    op.create_index("ix_outbox_state_next_attempt_at", "outbox", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("work_order_events")
    op.drop_table("work_orders")
