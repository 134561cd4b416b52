"""SQLAlchemy models: the schema, as the migrations must also build it.

Only the storage package imports these; everything outside it works with the
records in `records.py`. Names follow one convention so that Alembic's batch
mode on SQLite (which rebuilds tables) can find every constraint by name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from hotline.storage.records import (
    AGENT_CODE_MAX,
    AGENT_STATE_MAX,
    CALL_TEXT_LIMITS,
    NAME_MAX,
    PROFICIENCY_MAX,
    PROFICIENCY_MIN,
    REASON_MAX,
    JsonValue,
    Outcome,
    Role,
    require_aware,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC timestamps on every backend.

    PostgreSQL keeps the offset; SQLite has no time-zone type, so we store the
    UTC wall time there (same text format, so it still sorts) and put the UTC
    zone back when reading.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        require_aware("timestamp", value)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in_check(column: str, values: type[Outcome] | type[Role]) -> str:
    allowed = ", ".join(f"'{value.value}'" for value in values)
    return f"{column} IN ({allowed})"


# JSONB on PostgreSQL so later reports can query step details efficiently.
StepDetail = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class CallRow(Base):
    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint(_in_check("outcome", Outcome), name="outcome"),
        # "this agent's calls today" for the agent desktop and supervisor views
        Index(None, "agent_code", "arrived_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uniqueid: Mapped[str] = mapped_column(String(CALL_TEXT_LIMITS["uniqueid"]), unique=True)
    linkedid: Mapped[str] = mapped_column(String(CALL_TEXT_LIMITS["linkedid"]), index=True)
    # "this caller's previous calls" for the screen-pop
    caller_number: Mapped[str] = mapped_column(
        String(CALL_TEXT_LIMITS["caller_number"]), index=True
    )
    caller_name: Mapped[str] = mapped_column(String(CALL_TEXT_LIMITS["caller_name"]))
    dialed: Mapped[str] = mapped_column(String(CALL_TEXT_LIMITS["dialed"]))
    arrived_at: Mapped[datetime] = mapped_column(index=True)
    answered_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    queue: Mapped[str | None] = mapped_column(String(CALL_TEXT_LIMITS["queue"]))
    agent_code: Mapped[str | None] = mapped_column(String(CALL_TEXT_LIMITS["agent_code"]))
    seat: Mapped[str | None] = mapped_column(String(CALL_TEXT_LIMITS["seat"]))
    outcome: Mapped[str] = mapped_column(String(24))
    wait_ms: Mapped[int | None]
    talk_ms: Mapped[int | None]
    fallback: Mapped[bool] = mapped_column(default=False)
    hangup_cause: Mapped[str | None] = mapped_column(String(CALL_TEXT_LIMITS["hangup_cause"]))
    disposition: Mapped[str | None] = mapped_column(String(CALL_TEXT_LIMITS["disposition"]))

    steps: Mapped[list[CallStepRow]] = relationship(
        order_by="CallStepRow.seq",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class CallStepRow(Base):
    __tablename__ = "call_steps"
    # The unique (call_id, seq) index is also the "steps of a call" index.
    __table_args__ = (UniqueConstraint("call_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    seq: Mapped[int]
    at: Mapped[datetime]
    # No CHECK on kind: new step kinds (whisper, conference, survey...) should
    # not each need a table rebuild; `StepKind` validates on the way in.
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, JsonValue]] = mapped_column(StepDetail)


class AgentRow(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(AGENT_CODE_MAX), unique=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    skills: Mapped[list[AgentSkillRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class SeatRow(Base):
    __tablename__ = "seats"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    endpoint: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SkillRow(Base):
    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(NAME_MAX))


class AgentSkillRow(Base):
    __tablename__ = "agent_skills"
    __table_args__ = (
        CheckConstraint(
            f"proficiency BETWEEN {PROFICIENCY_MIN} AND {PROFICIENCY_MAX}",
            name="proficiency_range",
        ),
    )

    agent_id: Mapped[int] = mapped_column(
        ForeignKey("agents.id", ondelete="CASCADE"), primary_key=True
    )
    skill_id: Mapped[int] = mapped_column(
        ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True
    )
    proficiency: Mapped[int]

    skill: Mapped[SkillRow] = relationship(lazy="joined")


class AgentSessionRow(Base):
    __tablename__ = "agent_sessions"
    # At most one open session per agent and per seat, enforced by the database
    # so two controllers (or a missed logout) cannot seat one agent twice.
    __table_args__ = (
        Index(
            "uq_agent_sessions_open_agent",
            "agent_id",
            unique=True,
            sqlite_where="logged_out_at IS NULL",
            postgresql_where="logged_out_at IS NULL",
        ),
        Index(
            "uq_agent_sessions_open_seat",
            "seat_id",
            unique=True,
            sqlite_where="logged_out_at IS NULL",
            postgresql_where="logged_out_at IS NULL",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("seats.id"), index=True)
    logged_in_at: Mapped[datetime]
    logged_out_at: Mapped[datetime | None]


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(_in_check("role", Role), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    # sha256 hex of the token; the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agent_code: Mapped[str | None] = mapped_column(String(AGENT_CODE_MAX))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class AgentStateChangeRow(Base):
    """An append-only log; no foreign key, so it outlives agents and seats removed later."""

    __tablename__ = "agent_state_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_code: Mapped[str] = mapped_column(String(AGENT_CODE_MAX), index=True)
    seat: Mapped[str] = mapped_column(String(NAME_MAX))
    # No CHECK on the states, as for step kinds: a new state needs no table rebuild.
    previous: Mapped[str] = mapped_column(String(AGENT_STATE_MAX))
    state: Mapped[str] = mapped_column(String(AGENT_STATE_MAX))
    reason: Mapped[str] = mapped_column(String(REASON_MAX))
    at: Mapped[datetime] = mapped_column(index=True)


class CallbackRow(Base):
    """A queued callback (queues.callbacks.Callback): open ones are restored after a restart."""

    __tablename__ = "callbacks"

    id: Mapped[str] = mapped_column(String(CALL_TEXT_LIMITS["uniqueid"]), primary_key=True)
    call_uniqueid: Mapped[str] = mapped_column(String(CALL_TEXT_LIMITS["uniqueid"]), index=True)
    number: Mapped[str] = mapped_column(String(CALL_TEXT_LIMITS["caller_number"]))
    queue: Mapped[str] = mapped_column(String(CALL_TEXT_LIMITS["queue"]))
    topic: Mapped[str] = mapped_column(String(CALL_TEXT_LIMITS["queue"]))
    priority: Mapped[int]
    requirements: Mapped[JsonValue] = mapped_column(StepDetail, nullable=False)
    queued_at: Mapped[datetime]
    requested_at: Mapped[datetime] = mapped_column(index=True)
    # No CHECK on the status, as for agent states: a new status needs no table rebuild.
    status: Mapped[str] = mapped_column(String(AGENT_STATE_MAX), index=True)
    attempts: Mapped[int]
    last_result: Mapped[str] = mapped_column(String(CALL_TEXT_LIMITS["hangup_cause"]))
    leg_uniqueid: Mapped[str | None] = mapped_column(String(CALL_TEXT_LIMITS["uniqueid"]))
    agent_code: Mapped[str | None] = mapped_column(String(AGENT_CODE_MAX))
    updated_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    """A callback booked for later (out of hours) joins its queue at this time."""


class VoiceMessageRow(Base):
    __tablename__ = "voice_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_uniqueid: Mapped[str] = mapped_column(String(CALL_TEXT_LIMITS["uniqueid"]), unique=True)
    caller_number: Mapped[str] = mapped_column(String(CALL_TEXT_LIMITS["caller_number"]))
    queue: Mapped[str] = mapped_column(String(CALL_TEXT_LIMITS["queue"]))
    topic: Mapped[str] = mapped_column(String(CALL_TEXT_LIMITS["queue"]))
    audio: Mapped[str] = mapped_column(String(255))
    duration_ms: Mapped[int]
    recorded_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    handled_by: Mapped[str | None] = mapped_column(String(AGENT_CODE_MAX))
    handled_at: Mapped[datetime | None]


class FlowVersionRow(Base):
    """Every version of every IVR flow, never changed once written: the history of the IVR."""

    __tablename__ = "ivr_flow_versions"
    __table_args__ = (UniqueConstraint("flow", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flow: Mapped[str] = mapped_column(String(NAME_MAX))
    version: Mapped[int]
    source: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(NAME_MAX))
    comment: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    reverted_from: Mapped[int | None]


class SurveyResponseRow(Base):
    __tablename__ = "survey_responses"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_uniqueid: Mapped[str] = mapped_column(String(CALL_TEXT_LIMITS["uniqueid"]), unique=True)
    agent_code: Mapped[str | None] = mapped_column(String(AGENT_CODE_MAX), index=True)
    queue: Mapped[str | None] = mapped_column(String(CALL_TEXT_LIMITS["queue"]))
    rating: Mapped[int]
    at: Mapped[datetime] = mapped_column(index=True)


class HotTopicRow(Base):
    __tablename__ = "hot_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(NAME_MAX))
    created_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]


# The knowledge base and work-order tables live in their own modules; importing them registers
# them here.
from hotline.storage import (  # noqa: E402, F401
    handoff_models,
    kb_models,
    transfer_models,
    wo_models,
)
