"""The knowledge base: versioned policy provisions and guidance entries, agents' marks (hit
rates), the questions no entry answered (gaps); and calls indexed by caller number, for the
screen-pop's previous calls.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def text(name: str, length: int, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def upgrade() -> None:
    op.create_index(op.f("ix_calls_caller_number"), "calls", ["caller_number"])
    op.create_table(
        "kb_provisions",
        sa.Column("id", sa.Integer(), nullable=False),
        text("provision_id", 40),
        sa.Column("version", sa.Integer(), nullable=False),
        text("source", 16),
        text("law_id", 40),
        text("law_title", 300),
        text("category", 40),
        text("law_category", 40),
        text("domain", 40),
        text("level", 40),
        text("article_no", 80),
        text("chapter", 300),
        sa.Column("text", sa.Text(), nullable=False),
        text("version_date", 10),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_to", sa.Date(), nullable=True),
        text("text_hash", 64),
        timestamp("created_at"),
        text("created_by", 80),
        timestamp("superseded_at", nullable=True),
        timestamp("retired_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_provisions")),
        sa.UniqueConstraint(
            "provision_id", "version", name=op.f("uq_kb_provisions_provision_id_version")
        ),
    )
    op.create_index(op.f("ix_kb_provisions_provision_id"), "kb_provisions", ["provision_id"])
    op.create_index("ix_kb_provisions_law_id", "kb_provisions", ["law_id"])
    op.create_table(
        "kb_marks",
        sa.Column("id", sa.Integer(), nullable=False),
        text("call_uniqueid", 150),
        text("provision_id", 40),
        text("agent_code", 32),
        text("topic", 80),
        timestamp("at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_marks")),
        sa.UniqueConstraint(
            "call_uniqueid", "provision_id", name=op.f("uq_kb_marks_call_uniqueid_provision_id")
        ),
    )
    op.create_index(op.f("ix_kb_marks_topic"), "kb_marks", ["topic"])
    op.create_index(op.f("ix_kb_marks_at"), "kb_marks", ["at"])
    op.create_table(
        "kb_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        text("call_uniqueid", 150, nullable=True),
        text("agent_code", 32),
        text("topic", 80),
        text("question", 500),
        timestamp("at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kb_gaps")),
    )
    op.create_index(op.f("ix_kb_gaps_at"), "kb_gaps", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_kb_gaps_at"), table_name="kb_gaps")
    op.drop_table("kb_gaps")
    op.drop_index(op.f("ix_kb_marks_at"), table_name="kb_marks")
    op.drop_index(op.f("ix_kb_marks_topic"), table_name="kb_marks")
    op.drop_table("kb_marks")
    op.drop_index("ix_kb_provisions_law_id", table_name="kb_provisions")
    op.drop_index(op.f("ix_kb_provisions_provision_id"), table_name="kb_provisions")
    op.drop_table("kb_provisions")
    op.drop_index(op.f("ix_calls_caller_number"), table_name="calls")
