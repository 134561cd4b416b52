"""The IVR's data: flow versions, survey responses, hot-topic announcements; callbacks booked
for later (out of hours); and the outcome of a call the IVR itself ends (self_served).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
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
    "callback_requested",
    "message_left",
)
NEW_OUTCOMES = (*OLD_OUTCOMES, "self_served")


def replace_outcome_check(outcomes: Sequence[str]) -> None:
    check = "outcome IN ({})".format(", ".join(f"'{outcome}'" for outcome in outcomes))
    with op.batch_alter_table("calls") as batch_op:
        batch_op.drop_constraint(op.f("ck_calls_outcome"), type_="check")
        batch_op.create_check_constraint(op.f("ck_calls_outcome"), check)


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    replace_outcome_check(NEW_OUTCOMES)
    with op.batch_alter_table("callbacks") as batch_op:
        batch_op.add_column(timestamp("due_at", nullable=True))
    op.create_table(
        "ivr_flow_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("comment", sa.String(length=200), nullable=False),
        timestamp("created_at"),
        sa.Column("reverted_from", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ivr_flow_versions")),
        sa.UniqueConstraint("flow", "version", name=op.f("uq_ivr_flow_versions_flow_version")),
    )
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_uniqueid", sa.String(length=150), nullable=False),
        sa.Column("agent_code", sa.String(length=32), nullable=True),
        sa.Column("queue", sa.String(length=80), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=False),
        timestamp("at"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_survey_responses_rating")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("call_uniqueid", name=op.f("uq_survey_responses_call_uniqueid")),
    )
    op.create_index(op.f("ix_survey_responses_agent_code"), "survey_responses", ["agent_code"])
    op.create_index(op.f("ix_survey_responses_at"), "survey_responses", ["at"])
    op.create_table(
        "hot_topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        timestamp("starts_at"),
        timestamp("ends_at"),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        timestamp("created_at"),
        timestamp("cancelled_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hot_topics")),
    )
    op.create_index(op.f("ix_hot_topics_starts_at"), "hot_topics", ["starts_at"])


def downgrade() -> None:
    # A call the IVR ended (self-service) is, to the old schema, a caller leaving the IVR.
    op.execute("UPDATE calls SET outcome = 'ivr_hangup' WHERE outcome = 'self_served'")
    replace_outcome_check(OLD_OUTCOMES)
    op.drop_table("hot_topics")
    op.drop_table("survey_responses")
    op.drop_table("ivr_flow_versions")
    with op.batch_alter_table("callbacks") as batch_op:
        batch_op.drop_column("due_at")
