"""Work orders looked up by the caller's number: the agent's screen-pop lists the caller's
work orders still open (issue 6).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_work_orders_caller_number", "work_orders", ["caller_number"])


def downgrade() -> None:
    op.drop_index("ix_work_orders_caller_number", table_name="work_orders")
