"""Queued callbacks, voice messages, and the two outcomes they give a call.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

The outcome CHECK on `calls` is replaced (on SQLite batch mode rebuilds the table, copying its
rows; `migrate` runs that with foreign keys OFF so the call steps survive).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_OUTCOMES = (
    "answered",
    "abandoned",
    "failed",
    "fallback_answered",
    "fallback_abandoned",
    "ivr_hangup",
    "in_progress",
)
NEW_OUTCOMES = (*OLD_OUTCOMES, "callback_requested", "message_left")
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def outcome_check(outcomes: Sequence[str]) -> str:
    return "outcome IN ({})".format(", ".join(f"'{outcome}'" for outcome in outcomes))


def replace_outcome_check(outcomes: Sequence[str]) -> None:
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_constraint(op.f("ck_calls_outcome"), type_="check")
        batch_op.create_check_constraint(op.f("ck_calls_outcome"), outcome_check(outcomes))


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    replace_outcome_check(NEW_OUTCOMES)
    op.create_table(
        "callbacks",
        sa.Column("id", sa.String(length=150), nullable=False),
        sa.Column("call_uniqueid", sa.String(length=150), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("queue", sa.String(length=80), nullable=False),
        sa.Column("topic", sa.String(length=80), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("requirements", JSON, nullable=False),
        timestamp("queued_at"),
        timestamp("requested_at"),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_result", sa.String(length=64), nullable=False),
        sa.Column("leg_uniqueid", sa.String(length=150), nullable=True),
        sa.Column("agent_code", sa.String(length=32), nullable=True),
        timestamp("updated_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
    )
    op.create_index(op.f("ix_callbacks_call_uniqueid"), "callbacks", ["call_uniqueid"])
    op.create_index(op.f("ix_callbacks_requested_at"), "callbacks", ["requested_at"])
    op.create_index(op.f("ix_callbacks_status"), "callbacks", ["status"])
    op.create_table(
        "voice_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_uniqueid", sa.String(length=150), nullable=False),
        sa.Column("caller_number", sa.String(length=40), nullable=False),
        sa.Column("queue", sa.String(length=80), nullable=False),
        sa.Column("topic", sa.String(length=80), nullable=False),
        sa.Column("audio", sa.String(length=255), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        timestamp("recorded_at"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("handled_by", sa.String(length=32), nullable=True),
        timestamp("handled_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voice_messages")),
        sa.UniqueConstraint("call_uniqueid", name=op.f("uq_voice_messages_call_uniqueid")),
    )
    op.create_index(op.f("ix_voice_messages_recorded_at"), "voice_messages", ["recorded_at"])
    op.create_index(op.f("ix_voice_messages_status"), "voice_messages", ["status"])


def downgrade() -> None:
    # Calls that ended as a callback request or a message become "abandoned": they left the
    # queue without an agent, which is what the old schema can say.
    op.execute(
        "UPDATE calls SET outcome = 'abandoned' "
        "WHERE outcome IN ('callback_requested', 'message_left')"
    )
    replace_outcome_check(OLD_OUTCOMES)
    op.drop_table("voice_messages")
    op.drop_table("callbacks")
