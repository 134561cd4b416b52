"""Blind and warm transfers to a queue or agent (handoffs) and their steps (issue 6).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def text(name: str, length: int, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "handoffs",
        text("case_id", 40),
        text("call_id", 150),
        text("kind", 8),
        text("agent", 32),
        text("target_kind", 8),
        text("target", 64),
        text("note", 500),
        text("topic", 64),
        text("caller_channel", 150),
        text("agent_channel", 150),
        text("target_channel", 150, nullable=True),
        text("received_by", 32, nullable=True),
        text("state", 32),
        text("reason", 64),
        sa.Column("agent_present", sa.Boolean(), nullable=False),
        sa.Column("finished", sa.Boolean(), nullable=False),
        timestamp("created_at"),
        timestamp("updated_at"),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_handoffs_call_id", "handoffs", ["call_id"])
    op.create_index("ix_handoffs_open", "handoffs", ["finished", "created_at"])
    op.create_table(
        "handoff_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        text("case_id", 40),
        sa.Column("seq", sa.Integer(), nullable=False),
        timestamp("at"),
        text("from_state", 32),
        text("event", 32),
        text("to_state", 32),
        sa.ForeignKeyConstraint(["case_id"], ["handoffs.case_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "seq"),
    )


def downgrade() -> None:
    op.drop_table("handoff_steps")
    op.drop_index("ix_handoffs_open", table_name="handoffs")
    op.drop_index("ix_handoffs_call_id", table_name="handoffs")
    op.drop_table("handoffs")
