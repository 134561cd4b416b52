"""API tokens in the Store, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import create_engine, text

from hotline.storage import ConflictError, Role, Store
from tests.unit import test_storage_support as support

# The storage tests share their database fixtures through this module.
database_url = support.database_url
postgres_admin_url = support.postgres_admin_url
postgres_url = support.postgres_url
store = support.store


def test_a_token_verifies_until_it_is_revoked(store: Store) -> None:
    token = store.create_token("desk-A001", Role.AGENT, agent_code="A001")

    record = store.verify_token(token)
    assert record is not None
    assert (record.name, record.role, record.agent_code) == ("desk-A001", Role.AGENT, "A001")

    assert store.revoke_token("desk-A001") is True
    assert store.verify_token(token) is None
    assert store.revoke_token("desk-A001") is False


def test_unknown_or_empty_tokens_do_not_verify(store: Store) -> None:
    store.create_token("wallboard", "supervisor")

    assert store.verify_token("not-a-token") is None
    assert store.verify_token("") is None


def test_only_the_tokens_sha256_is_stored(database_url: str, store: Store) -> None:
    token = store.create_token("ops", Role.ADMIN)

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT * FROM api_tokens")).all()
    finally:
        engine.dispose()

    assert len(rows) == 1
    assert token not in {str(value) for value in rows[0]}
    assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_creating_a_token_with_a_used_name_raises_conflict(store: Store) -> None:
    store.create_token("ops", Role.ADMIN)
    store.revoke_token("ops")

    with pytest.raises(ConflictError, match="'ops' already exists"):
        store.create_token("ops", Role.ADMIN)


def test_an_agent_token_needs_an_agent_code_and_other_roles_take_none(store: Store) -> None:
    with pytest.raises(ValueError, match="needs the agent's code"):
        store.create_token("desk", Role.AGENT)
    with pytest.raises(ValueError, match="only agent tokens"):
        store.create_token("boss", Role.SUPERVISOR, agent_code="A001")
    with pytest.raises(ValueError, match="'root'"):
        store.create_token("root", "root")
