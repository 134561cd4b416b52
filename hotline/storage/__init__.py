"""Storage: SQLAlchemy models, Alembic migrations and the `Store` the controller uses.

SQLite file by default, PostgreSQL by URL (`postgresql+psycopg://...`). Outside
this package only the names below are used; ORM objects never leave it.
"""

from hotline.storage.errors import (
    ConflictError,
    NotFoundError,
    StorageError,
    StorageUnavailable,
)
from hotline.storage.ivr_records import FlowVersion, HotTopic, SurveyResponse
from hotline.storage.records import (
    AgentRecord,
    AgentStateChange,
    CallRecord,
    CallStep,
    MessageStatus,
    OpenSession,
    Outcome,
    Role,
    SeatRecord,
    StepKind,
    TokenRecord,
    VoiceMessage,
)
from hotline.storage.store import Store

__all__ = [
    "AgentRecord",
    "AgentStateChange",
    "CallRecord",
    "CallStep",
    "ConflictError",
    "FlowVersion",
    "HotTopic",
    "MessageStatus",
    "NotFoundError",
    "OpenSession",
    "Outcome",
    "Role",
    "SeatRecord",
    "StepKind",
    "StorageError",
    "StorageUnavailable",
    "Store",
    "SurveyResponse",
    "TokenRecord",
    "VoiceMessage",
]
