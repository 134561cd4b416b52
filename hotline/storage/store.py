"""The store: hotline's one door to its database.

Synchronous on purpose: the controller calls it through `asyncio.to_thread`.
Each method opens its own session, so threads never share one, and returns
plain records, never ORM objects.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hotline.storage import agent_changes, calls, followups, migrate, staff, tokens
from hotline.storage.engine import (
    SQLITE_BEGIN,
    make_engine,
    mask_url,
    parse_url,
    unavailable_error,
)
from hotline.storage.errors import ConflictError, StorageError
from hotline.storage.handoff_store import HandoffStoreMixin
from hotline.storage.ivr_store import IvrStoreMixin
from hotline.storage.kb_store import KbStoreMixin
from hotline.storage.records import (
    AgentRecord,
    AgentStateChange,
    CallRecord,
    MessageStatus,
    OpenSession,
    Role,
    SeatRecord,
    TokenRecord,
    VoiceMessage,
    require_aware,
)
from hotline.storage.transfer_store import TransferStoreMixin
from hotline.storage.wo_store import WorkOrderStoreMixin
from queues.callbacks import Callback

log = logging.getLogger(__name__)

# SQLSTATEs PostgreSQL uses for a missing table or column.
_SCHEMA_SQLSTATES = {"42P01", "42703"}


class Store(
    HandoffStoreMixin, IvrStoreMixin, KbStoreMixin, TransferStoreMixin, WorkOrderStoreMixin
):
    """Calls, agents, seats, skills, agent sessions, agent state changes and API tokens."""

    def __init__(self, url: URL, engine: Engine) -> None:
        self._url = url
        self._engine = engine
        self._read_sessions = sessionmaker(engine, expire_on_commit=False)
        writer = engine
        if engine.dialect.name == "sqlite":
            writer = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        self._write_sessions = sessionmaker(writer, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | URL) -> Store:
        """Create the engine (no connection yet); a SQLite file's folder is created."""
        parsed = parse_url(url)
        return cls(parsed, make_engine(parsed))

    def __repr__(self) -> str:
        return f"Store({mask_url(self._url)!r})"

    @property
    def url(self) -> str:
        """The database URL with its password masked, for logs and messages."""
        return mask_url(self._url)

    def migrate(self) -> None:
        """Bring the schema to the latest revision; harmless when already there."""
        migrate.upgrade(self._url)

    def close(self) -> None:
        self._engine.dispose()

    def check(self) -> None:
        """Raise StorageUnavailable, saying what to do, when the database is unreachable."""
        try:
            with self._engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except DBAPIError as exc:
            raise unavailable_error(self._url, exc) from exc

    # Calls

    def record_call(self, record: CallRecord) -> int:
        """Write the call and all its steps in one transaction; idempotent on uniqueid."""
        with self._write() as session:
            return calls.save_call(session, record)

    def get_call(self, uniqueid: str) -> CallRecord | None:
        with self._read() as session:
            return calls.load_call(session, uniqueid)

    def list_calls(self, since: datetime | None = None, limit: int = 100) -> list[CallRecord]:
        """Calls that arrived at or after `since`, newest first, at most `limit`."""
        require_aware("since", since)
        _require_limit(limit)
        with self._read() as session:
            return calls.load_calls(session, since, limit)

    def calls_from(self, number: str, before: datetime, limit: int = 5) -> list[CallRecord]:
        """The number's calls that arrived before `before`, newest first, without steps."""
        _require_limit(limit)
        if not number:
            return []
        with self._read() as session:
            return calls.calls_from(session, number, before, limit)

    def recent_answerers(self, since: datetime) -> list[tuple[str, str, datetime]]:
        """(caller number, agent, answered at) of the calls answered by an agent since then."""
        require_aware("since", since)
        with self._read() as session:
            return calls.load_answerers(session, since)

    def mean_talk_seconds(self, since: datetime) -> float | None:
        """The mean talk time of the calls answered since then (None if there were none)."""
        require_aware("since", since)
        with self._read() as session:
            return calls.mean_talk_seconds(session, since)

    def set_disposition(self, uniqueid: str, code: str) -> bool:
        """Record the call's reason code (e.g. "pension.query"); False when no such call.

        Later `record_call`s without a disposition keep it.
        """
        with self._write() as session:
            return calls.set_disposition(session, uniqueid, code)

    def count_calls(self) -> int:
        with self._read() as session:
            return calls.count_calls(session)

    # Agents, seats, skills

    def ensure_seats(self, names: Iterable[str]) -> None:
        """Add missing seats (endpoint PJSIP/<name>); existing ones are left alone."""
        with self._write() as session:
            staff.ensure_seats(session, names)

    def list_seats(self) -> list[SeatRecord]:
        with self._read() as session:
            return staff.list_seats(session)

    def ensure_skills(self, labels: Mapping[str, str]) -> None:
        """Add missing skills (machine name -> label) and update existing labels."""
        with self._write() as session:
            staff.ensure_skills(session, labels)

    def upsert_agent(
        self,
        code: str,
        name: str,
        skills: Mapping[str, int] | None = None,
        *,
        active: bool = True,
    ) -> AgentRecord:
        """Create or update an agent. `skills` (name -> proficiency 1..5), when
        given, replaces the agent's skills; None leaves them as they are."""
        with self._write() as session:
            return staff.upsert_agent(session, code, name, skills, active=active)

    def get_agent(self, code: str) -> AgentRecord | None:
        with self._read() as session:
            return staff.load_agent(session, code)

    def list_agents(self) -> list[AgentRecord]:
        with self._read() as session:
            return staff.load_agents(session)

    def open_agent_session(self, agent_code: str, seat_name: str, at: datetime) -> None:
        """Record that the agent sat down at the seat; closes stale sessions."""
        with self._write() as session:
            staff.open_session(session, agent_code, seat_name, at)

    def close_agent_session(self, agent_code: str, at: datetime) -> bool:
        """Record the agent's logout; False when the agent had no open session."""
        with self._write() as session:
            return staff.close_session(session, agent_code, at)

    def open_agent_sessions(self) -> list[OpenSession]:
        """(agent_code, seat_name, logged_in_at) of everyone still logged in."""
        with self._read() as session:
            return staff.open_sessions(session)

    # Agent state changes

    def record_agent_changes(self, changes: Sequence[AgentStateChange]) -> None:
        """Append the controller's batch of changes in one transaction, one multi-row insert."""
        if not changes:
            return
        with self._write() as session:
            agent_changes.save_changes(session, changes)

    def list_agent_changes(
        self,
        agent_code: str | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[AgentStateChange]:
        """Changes at or after `since` (of one agent, when given), oldest first, at most `limit`."""
        require_aware("since", since)
        _require_limit(limit)
        with self._read() as session:
            return agent_changes.load_changes(session, agent_code, since, limit)

    def pause_time_by_reason(self, since: datetime, until: datetime) -> dict[str, float]:
        """Seconds agents spent paused between `since` and `until`, per pause reason.

        A pause still open at `until` counts up to `until`; one begun before
        `since` counts from `since`.
        """
        require_aware("since", since)
        require_aware("until", until)
        if until < since:
            raise ValueError(f"until ({until.isoformat()}) is before since ({since.isoformat()})")
        with self._read() as session:
            return agent_changes.load_pause_time(session, since, until)

    # Queued callbacks and voice messages

    def save_callback(self, callback: Callback) -> None:
        """Insert or update the callback (by id) as it moves through its states."""
        with self._write() as session:
            followups.save_callback(session, callback)

    def list_callbacks(
        self, *, open_only: bool = False, since: datetime | None = None, limit: int = 1000
    ) -> list[Callback]:
        """Callbacks requested at or after `since` (only those still to be made, when
        `open_only`), oldest first, at most `limit`."""
        require_aware("since", since)
        _require_limit(limit)
        with self._read() as session:
            return followups.load_callbacks(session, open_only, since, limit)

    def save_message(self, message: VoiceMessage) -> int:
        """Store a caller's voice message (once per call); returns its id."""
        with self._write() as session:
            return followups.save_message(session, message)

    def list_messages(
        self, status: MessageStatus | str | None = None, limit: int = 100
    ) -> list[VoiceMessage]:
        """Voice messages, newest first, of one status when given."""
        _require_limit(limit)
        wanted = None if status is None else MessageStatus(status)
        with self._read() as session:
            return followups.load_messages(session, wanted, limit)

    def get_message(self, message_id: int) -> VoiceMessage | None:
        with self._read() as session:
            return followups.load_message(session, message_id)

    def mark_message_handled(self, message_id: int, by: str, at: datetime) -> bool:
        """Record who dealt with the message; False when there is no such message."""
        require_aware("at", at)
        with self._write() as session:
            return followups.mark_handled(session, message_id, by, at)

    # API tokens

    def create_token(self, name: str, role: Role | str, agent_code: str | None = None) -> str:
        """Create a token and return it; only its hash is kept, so show it now."""
        with self._write() as session:
            token = tokens.create_token(session, name, Role(role), agent_code)
        log.info("API token %r created for role %s", name, Role(role).value)
        return token

    def verify_token(self, token: str) -> TokenRecord | None:
        """The token's record when it is known and not revoked, else None."""
        if not token:
            return None
        with self._read() as session:
            return tokens.find_token(session, token)

    def revoke_token(self, name: str, at: datetime | None = None) -> bool:
        with self._write() as session:
            revoked = tokens.revoke_token(session, name, at or datetime.now(UTC))
        if revoked:
            log.info("API token %r revoked", name)
        return revoked

    # Sessions and error translation

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with self._translated_errors(), self._write_sessions.begin() as session:
            yield session

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._translated_errors(), self._read_sessions() as session:
            yield session

    @contextmanager
    def _translated_errors(self) -> Iterator[None]:
        """Driver errors become StorageErrors that say what happened, not the SQL."""
        try:
            yield
        except IntegrityError as exc:
            raise ConflictError(_reason(exc)) from exc
        except DBAPIError as exc:
            if _is_schema_missing(exc):
                raise StorageError(
                    f"the database at {self.url} has no or an old schema ({_reason(exc)}); "
                    "run the migrations (Store.migrate)"
                ) from exc
            if isinstance(exc, OperationalError):
                raise unavailable_error(self._url, exc) from exc
            raise StorageError(_reason(exc)) from exc


def _require_limit(limit: int) -> None:
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")


def _reason(exc: DBAPIError) -> str:
    return " ".join(str(exc.orig).split())


def _is_schema_missing(exc: DBAPIError) -> bool:
    if getattr(exc.orig, "sqlstate", None) in _SCHEMA_SQLSTATES:
        return True
    message = str(exc.orig)
    return "no such table" in message or "no such column" in message
