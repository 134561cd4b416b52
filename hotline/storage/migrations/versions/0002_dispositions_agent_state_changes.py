"""Call dispositions and the log of agent state changes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04

Written from Alembic's comparison of the models with a 0001 database, then
reviewed. Adding a nullable column keeps every existing call (disposition
NULL); on SQLite it is a plain ALTER TABLE. Dropping it again rebuilds
`calls` on SQLite (batch mode), copying its rows; `migrate` runs that with
foreign keys OFF so the call steps survive the rebuild.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch_op:
        batch_op.add_column(sa.Column("disposition", sa.String(length=64), nullable=True))
    create_agent_state_changes()


def create_agent_state_changes() -> None:
    op.create_table(
        "agent_state_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_code", sa.String(length=32), nullable=False),
        sa.Column("seat", sa.String(length=80), nullable=False),
        sa.Column("previous", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_state_changes")),
    )
    op.create_index(
        op.f("ix_agent_state_changes_agent_code"), "agent_state_changes", ["agent_code"]
    )
    op.create_index(op.f("ix_agent_state_changes_at"), "agent_state_changes", ["at"])


def downgrade() -> None:
    # Dropping the table drops its indexes; the logged changes are lost.
    op.drop_table("agent_state_changes")
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_column("disposition")
