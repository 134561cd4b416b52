"""API tokens: only their sha256 is stored; the token is shown once, at creation."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.storage.errors import ConflictError
from hotline.storage.models import ApiTokenRow
from hotline.storage.records import (
    AGENT_CODE_MAX,
    NAME_MAX,
    Role,
    TokenRecord,
    require_aware,
    require_max_len,
)

# 32 random bytes: 43 URL-safe characters, far beyond guessing.
TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    # A fast hash is enough: the token is random, not a password to stretch.
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, role: Role, agent_code: str | None) -> str:
    _validate(name, role, agent_code)
    if _find_by_name(session, name) is not None:
        raise ConflictError(f"an API token named {name!r} already exists (maybe revoked)")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        ApiTokenRow(name=name, role=role.value, token_hash=hash_token(token), agent_code=agent_code)
    )
    return token


def find_token(session: Session, token: str) -> TokenRecord | None:
    """The token's record, or None when it is unknown or revoked."""
    statement = select(ApiTokenRow).where(ApiTokenRow.token_hash == hash_token(token))
    row = session.scalars(statement).one_or_none()
    if row is None or row.revoked_at is not None:
        return None
    return TokenRecord(
        name=row.name, role=Role(row.role), agent_code=row.agent_code, created_at=row.created_at
    )


def revoke_token(session: Session, name: str, at: datetime) -> bool:
    """Revoke the named token; False when there is none or it was already revoked."""
    require_aware("at", at)
    row = _find_by_name(session, name)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = at
    return True


def _find_by_name(session: Session, name: str) -> ApiTokenRow | None:
    return session.scalars(select(ApiTokenRow).where(ApiTokenRow.name == name)).one_or_none()


def _validate(name: str, role: Role, agent_code: str | None) -> None:
    if not name:
        raise ValueError("a token needs a name")
    require_max_len("token name", name, NAME_MAX)
    require_max_len("agent code", agent_code, AGENT_CODE_MAX)
    # An agent token acts for one agent; other roles act for nobody in particular.
    if role is Role.AGENT and not agent_code:
        raise ValueError("an agent token needs the agent's code")
    if role is not Role.AGENT and agent_code is not None:
        raise ValueError(f"only agent tokens carry an agent code, not {role.value} tokens")
