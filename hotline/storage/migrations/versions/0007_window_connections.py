"""Window connections (transfers) and their steps (issue 6).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def text(name: str, length: int, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "window_transfers",
        text("case_id", 40),
        text("call_id", 150),
        text("agent", 32),
        text("office_endpoint", 64),
        text("summary", 500),
        text("caller_channel", 150),
        text("agent_channel", 150),
        text("clerk_channel", 150, nullable=True),
        text("state", 32),
        text("reason", 64),
        sa.Column("agent_present", sa.Boolean(), nullable=False),
        sa.Column("finished", sa.Boolean(), nullable=False),
        timestamp("dialled_at", nullable=True),
        timestamp("created_at"),
        timestamp("updated_at"),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_index("ix_window_transfers_call_id", "window_transfers", ["call_id"])
    op.create_index("ix_window_transfers_open", "window_transfers", ["finished", "created_at"])
    op.create_table(
        "window_transfer_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        text("case_id", 40),
        sa.Column("seq", sa.Integer(), nullable=False),
        timestamp("at"),
        text("from_state", 32),
        text("event", 32),
        text("to_state", 32),
        sa.ForeignKeyConstraint(["case_id"], ["window_transfers.case_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "seq"),
    )


def downgrade() -> None:
    op.drop_table("window_transfer_steps")
    op.drop_index("ix_window_transfers_open", table_name="window_transfers")
    op.drop_index("ix_window_transfers_call_id", table_name="window_transfers")
    op.drop_table("window_transfers")
