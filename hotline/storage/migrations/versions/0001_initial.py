"""Initial schema: calls and their steps, agents, seats, skills, sessions, API tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-27

Written from Alembic's autogenerate output, then reviewed. Plain SQLAlchemy
types only: a migration must keep working when the models change later
(`UTCDateTime` is `DateTime(timezone=True)` in the database).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN_SESSION = "logged_out_at IS NULL"
OUTCOMES = (
    "answered",
    "abandoned",
    "failed",
    "fallback_answered",
    "fallback_abandoned",
    "ivr_hangup",
    "in_progress",
)


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    create_calls()
    create_call_steps()
    create_staff()
    create_agent_sessions()
    create_api_tokens()


def create_calls() -> None:
    outcomes = ", ".join(f"'{outcome}'" for outcome in OUTCOMES)
    op.create_table(
        "calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uniqueid", sa.String(length=150), nullable=False),
        sa.Column("linkedid", sa.String(length=150), nullable=False),
        sa.Column("caller_number", sa.String(length=40), nullable=False),
        sa.Column("caller_name", sa.String(length=80), nullable=False),
        sa.Column("dialed", sa.String(length=40), nullable=False),
        timestamp("arrived_at"),
        timestamp("answered_at", nullable=True),
        timestamp("ended_at", nullable=True),
        sa.Column("queue", sa.String(length=80), nullable=True),
        sa.Column("agent_code", sa.String(length=32), nullable=True),
        sa.Column("seat", sa.String(length=80), nullable=True),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("wait_ms", sa.Integer(), nullable=True),
        sa.Column("talk_ms", sa.Integer(), nullable=True),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        sa.Column("hangup_cause", sa.String(length=64), nullable=True),
        sa.CheckConstraint(f"outcome IN ({outcomes})", name=op.f("ck_calls_outcome")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calls")),
        sa.UniqueConstraint("uniqueid", name=op.f("uq_calls_uniqueid")),
    )
    op.create_index(op.f("ix_calls_arrived_at"), "calls", ["arrived_at"])
    op.create_index(op.f("ix_calls_linkedid"), "calls", ["linkedid"])
    op.create_index(op.f("ix_calls_agent_code_arrived_at"), "calls", ["agent_code", "arrived_at"])


def create_call_steps() -> None:
    detail = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
    op.create_table(
        "call_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        timestamp("at"),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("detail", detail, nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["calls.id"],
            name=op.f("fk_call_steps_call_id_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_steps")),
        sa.UniqueConstraint("call_id", "seq", name=op.f("uq_call_steps_call_id_seq")),
    )


def create_staff() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
        sa.UniqueConstraint("code", name=op.f("uq_agents_code")),
    )
    op.create_table(
        "seats",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("endpoint", sa.String(length=120), nullable=False),
        timestamp("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seats")),
        sa.UniqueConstraint("name", name=op.f("uq_seats_name")),
    )
    op.create_table(
        "skills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skills")),
        sa.UniqueConstraint("name", name=op.f("uq_skills_name")),
    )
    op.create_table(
        "agent_skills",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("proficiency", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "proficiency BETWEEN 1 AND 5", name=op.f("ck_agent_skills_proficiency_range")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_agent_skills_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["skill_id"],
            ["skills.id"],
            name=op.f("fk_agent_skills_skill_id_skills"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agent_id", "skill_id", name=op.f("pk_agent_skills")),
    )


def create_agent_sessions() -> None:
    op.create_table(
        "agent_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("seat_id", sa.Integer(), nullable=False),
        timestamp("logged_in_at"),
        timestamp("logged_out_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_agent_sessions_agent_id_agents")
        ),
        sa.ForeignKeyConstraint(
            ["seat_id"], ["seats.id"], name=op.f("fk_agent_sessions_seat_id_seats")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_sessions")),
    )
    op.create_index(op.f("ix_agent_sessions_agent_id"), "agent_sessions", ["agent_id"])
    op.create_index(op.f("ix_agent_sessions_seat_id"), "agent_sessions", ["seat_id"])
    # Partial unique indexes: at most one open session per agent and per seat.
    for column in ("agent_id", "seat_id"):
        op.create_index(
            f"uq_agent_sessions_open_{column.removesuffix('_id')}",
            "agent_sessions",
            [column],
            unique=True,
            sqlite_where=sa.text(OPEN_SESSION),
            postgresql_where=sa.text(OPEN_SESSION),
        )


def create_api_tokens() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("agent_code", sa.String(length=32), nullable=True),
        timestamp("created_at"),
        timestamp("revoked_at", nullable=True),
        sa.CheckConstraint(
            "role IN ('agent', 'supervisor', 'admin')", name=op.f("ck_api_tokens_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("name", name=op.f("uq_api_tokens_name")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )


def downgrade() -> None:
    # Children first; dropping a table drops its indexes.
    for table in (
        "api_tokens",
        "agent_sessions",
        "agent_skills",
        "skills",
        "seats",
        "agents",
        "call_steps",
        "calls",
    ):
        op.drop_table(table)
