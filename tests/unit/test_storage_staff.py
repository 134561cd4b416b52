"""Seats, skills, agents and agent sessions in the Store, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from datetime import UTC

import pytest

from hotline.storage import NotFoundError, Store
from tests.unit import test_storage_support as support
from tests.unit.test_storage_support import T0, at

# The storage tests share their database fixtures through this module.
database_url = support.database_url
postgres_admin_url = support.postgres_admin_url
postgres_url = support.postgres_url
store = support.store


# Seats, skills, agents


def test_ensuring_seats_twice_keeps_one_seat_per_name(store: Store) -> None:
    store.ensure_seats(["seat001", "seat002", "seat001"])
    store.ensure_seats(["seat002", "seat003"])

    seats = store.list_seats()

    assert [seat.name for seat in seats] == ["seat001", "seat002", "seat003"]
    assert seats[0].endpoint == "PJSIP/seat001"


def test_ensuring_220_seats_is_one_batch_not_a_round_trip_per_seat(store: Store) -> None:
    names = [f"seat{n:03d}" for n in range(1, 221)]

    started = time.perf_counter()
    store.ensure_seats(names)
    store.ensure_seats(names)
    elapsed = time.perf_counter() - started

    assert len(store.list_seats()) == 220
    assert elapsed < 3.0  # generous: a loaded CI machine; one round trip per seat is far slower


def test_upsert_agent_creates_then_updates_and_replaces_skills(store: Store) -> None:
    store.ensure_skills({"pension": "养老", "unemployment": "失业保险", "injury": "工伤保险"})
    store.ensure_skills({"pension": "养老保险"})

    created = store.upsert_agent("A001", "李娜", {"pension": 5, "injury": 2})
    renamed = store.upsert_agent("A001", "李娜娜")
    reskilled = store.upsert_agent("A001", "李娜娜", {"pension": 3, "unemployment": 4})

    assert created.skills == {"pension": 5, "injury": 2}
    assert renamed.skills == created.skills
    assert renamed.created_at == created.created_at
    assert reskilled.skills == {"pension": 3, "unemployment": 4}
    assert store.get_agent("A001") == reskilled
    assert store.get_agent("A404") is None


def test_list_agents_orders_by_code_and_keeps_inactive_ones(store: Store) -> None:
    store.upsert_agent("A002", "王强", active=False)
    store.upsert_agent("A001", "李娜")

    agents = store.list_agents()

    assert [(agent.code, agent.active) for agent in agents] == [("A001", True), ("A002", False)]
    assert all(agent.created_at.tzinfo == UTC for agent in agents)


def test_upsert_agent_with_an_unknown_skill_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="ensure_skills"):
        store.upsert_agent("A001", "李娜", {"pension": 3})
    assert store.get_agent("A001") is None


def test_upsert_agent_rejects_proficiency_6(store: Store) -> None:
    store.ensure_skills({"pension": "养老保险"})

    with pytest.raises(ValueError, match=r"expected 1\.\.5"):
        store.upsert_agent("A001", "李娜", {"pension": 6})


# Agent sessions


def seat_agents(store: Store) -> None:
    store.ensure_seats(["seat001", "seat002"])
    store.upsert_agent("A001", "李娜")
    store.upsert_agent("A002", "王强")


def test_given_agents_logged_in_when_the_controller_restarts_then_it_knows_who_sits_where(
    database_url: str, store: Store
) -> None:
    seat_agents(store)
    store.open_agent_session("A001", "seat001", T0)
    store.open_agent_session("A002", "seat002", at(5))
    store.close()

    restarted = Store.open(database_url)
    try:
        sessions = restarted.open_agent_sessions()
    finally:
        restarted.close()

    assert sessions == [("A001", "seat001", T0), ("A002", "seat002", at(5))]
    assert sessions[0].logged_in_at.tzinfo == UTC


def test_logging_in_at_a_seat_left_open_closes_the_stale_session(store: Store) -> None:
    seat_agents(store)
    store.open_agent_session("A001", "seat001", T0)

    store.open_agent_session("A002", "seat001", at(60))

    assert store.open_agent_sessions() == [("A002", "seat001", at(60))]
    assert store.close_agent_session("A001", at(90)) is False


def test_logging_in_again_at_the_same_seat_keeps_the_first_login_time(store: Store) -> None:
    seat_agents(store)
    store.open_agent_session("A001", "seat001", T0)

    store.open_agent_session("A001", "seat001", at(30))

    assert store.open_agent_sessions() == [("A001", "seat001", T0)]


def test_closing_a_session_logs_the_agent_out_once(store: Store) -> None:
    seat_agents(store)
    store.open_agent_session("A001", "seat001", T0)

    assert store.close_agent_session("A001", at(3600)) is True
    assert store.close_agent_session("A001", at(3601)) is False
    assert store.open_agent_sessions() == []


def test_opening_a_session_for_an_unknown_agent_or_seat_raises_not_found(store: Store) -> None:
    seat_agents(store)

    with pytest.raises(NotFoundError, match="agent 'A404'"):
        store.open_agent_session("A404", "seat001", T0)
    with pytest.raises(NotFoundError, match="seat 'seat404'"):
        store.open_agent_session("A001", "seat404", T0)
