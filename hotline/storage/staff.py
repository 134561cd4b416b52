"""Agents, seats, skills and who sits where, inside a session the store opens."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from hotline.storage.errors import NotFoundError
from hotline.storage.models import (
    AgentRow,
    AgentSessionRow,
    AgentSkillRow,
    SeatRow,
    SkillRow,
    utcnow,
)
from hotline.storage.records import (
    AGENT_CODE_MAX,
    NAME_MAX,
    PROFICIENCY_MAX,
    PROFICIENCY_MIN,
    AgentRecord,
    OpenSession,
    SeatRecord,
    require_aware,
    require_max_len,
)
from hotline.storage.sql import upsert

SEAT_TECHNOLOGY = "PJSIP"


def ensure_seats(session: Session, names: Iterable[str]) -> None:
    """Add the seats that are missing, in one multi-row statement."""
    wanted = list(dict.fromkeys(names))  # drop duplicates, keep order
    for name in wanted:
        require_max_len("seat name", name, NAME_MAX)
    if not wanted:
        return
    now = utcnow()
    rows = [{"name": n, "endpoint": f"{SEAT_TECHNOLOGY}/{n}", "created_at": now} for n in wanted]
    statement = upsert(session, SeatRow).on_conflict_do_nothing(index_elements=[SeatRow.name])
    session.execute(statement, rows)


def list_seats(session: Session) -> list[SeatRecord]:
    rows = session.scalars(select(SeatRow).order_by(SeatRow.name))
    return [SeatRecord(name=row.name, endpoint=row.endpoint) for row in rows]


def ensure_skills(session: Session, labels: Mapping[str, str]) -> None:
    """Add missing skills and bring the labels of existing ones up to date."""
    for name, label in labels.items():
        require_max_len("skill name", name, 64)
        require_max_len("skill label", label, NAME_MAX)
    if not labels:
        return
    statement = upsert(session, SkillRow)
    statement = statement.on_conflict_do_update(
        index_elements=[SkillRow.name], set_={"label": statement.excluded.label}
    )
    session.execute(statement, [{"name": n, "label": lb} for n, lb in labels.items()])


def upsert_agent(
    session: Session,
    code: str,
    name: str,
    skills: Mapping[str, int] | None,
    *,
    active: bool,
) -> AgentRecord:
    require_max_len("agent code", code, AGENT_CODE_MAX)
    require_max_len("agent name", name, NAME_MAX)
    agent = _find_agent(session, code)
    if agent is None:
        agent = AgentRow(code=code, name=name, active=active)
        session.add(agent)
    agent.name = name
    agent.active = active
    if skills is not None:
        _replace_skills(session, agent, skills)
    session.flush()
    return _agent_record(agent)


def load_agent(session: Session, code: str) -> AgentRecord | None:
    agent = _find_agent(session, code)
    return None if agent is None else _agent_record(agent)


def load_agents(session: Session) -> list[AgentRecord]:
    statement = select(AgentRow).options(selectinload(AgentRow.skills)).order_by(AgentRow.code)
    return [_agent_record(agent) for agent in session.scalars(statement)]


def open_session(session: Session, agent_code: str, seat_name: str, at: datetime) -> None:
    """Seat the agent; idempotent when the agent already sits at that seat."""
    require_aware("at", at)
    agent_id = _require_id(session, AgentRow.id, AgentRow.code, agent_code, "agent")
    seat_id = _require_id(session, SeatRow.id, SeatRow.name, seat_name, "seat")
    same = select(AgentSessionRow.id).where(
        AgentSessionRow.agent_id == agent_id,
        AgentSessionRow.seat_id == seat_id,
        AgentSessionRow.logged_out_at.is_(None),
    )
    if session.execute(same).first() is not None:
        return
    # A missed logout (controller down, softphone crash) must not block the next
    # login: whatever is still open for this agent or at this seat ends now.
    session.execute(
        update(AgentSessionRow)
        .where(
            AgentSessionRow.logged_out_at.is_(None),
            or_(AgentSessionRow.agent_id == agent_id, AgentSessionRow.seat_id == seat_id),
        )
        .values(logged_out_at=at)
    )
    session.add(AgentSessionRow(agent_id=agent_id, seat_id=seat_id, logged_in_at=at))


def close_session(session: Session, agent_code: str, at: datetime) -> bool:
    """End the agent's open session; False when there was none."""
    require_aware("at", at)
    agent_ids = select(AgentRow.id).where(AgentRow.code == agent_code).scalar_subquery()
    statement = (
        update(AgentSessionRow)
        .where(AgentSessionRow.agent_id == agent_ids, AgentSessionRow.logged_out_at.is_(None))
        .values(logged_out_at=at)
    )
    # An UPDATE always yields a CursorResult; Session.execute is typed more loosely.
    result = cast(CursorResult[Any], session.execute(statement))
    return result.rowcount > 0


def open_sessions(session: Session) -> list[OpenSession]:
    statement = (
        select(AgentRow.code, SeatRow.name, AgentSessionRow.logged_in_at)
        .join(AgentRow, AgentRow.id == AgentSessionRow.agent_id)
        .join(SeatRow, SeatRow.id == AgentSessionRow.seat_id)
        .where(AgentSessionRow.logged_out_at.is_(None))
        .order_by(AgentRow.code)
    )
    return [OpenSession(code, seat, at) for code, seat, at in session.execute(statement)]


def _find_agent(session: Session, code: str) -> AgentRow | None:
    statement = select(AgentRow).where(AgentRow.code == code)
    return session.scalars(statement.options(selectinload(AgentRow.skills))).one_or_none()


def _require_id(
    session: Session,
    id_column: InstrumentedAttribute[int],
    key_column: InstrumentedAttribute[str],
    key: str,
    what: str,
) -> int:
    found = session.execute(select(id_column).where(key_column == key)).scalar_one_or_none()
    if found is None:
        raise NotFoundError(f"no {what} {key!r}")
    return found


def _replace_skills(session: Session, agent: AgentRow, wanted: Mapping[str, int]) -> None:
    for skill_name, proficiency in wanted.items():
        if not PROFICIENCY_MIN <= proficiency <= PROFICIENCY_MAX:
            raise ValueError(
                f"proficiency of {skill_name!r} is {proficiency}, "
                f"expected {PROFICIENCY_MIN}..{PROFICIENCY_MAX}"
            )
    skills = _skills_by_name(session, wanted)
    current = {link.skill.name: link for link in agent.skills}
    for skill_name, link in current.items():
        if skill_name not in wanted:
            agent.skills.remove(link)
    for skill_name, proficiency in wanted.items():
        if skill_name in current:
            current[skill_name].proficiency = proficiency
        else:
            agent.skills.append(AgentSkillRow(skill=skills[skill_name], proficiency=proficiency))


def _skills_by_name(session: Session, names: Iterable[str]) -> dict[str, SkillRow]:
    wanted = set(names)
    rows = session.scalars(select(SkillRow).where(SkillRow.name.in_(wanted)))
    found = {row.name: row for row in rows}
    missing = sorted(wanted - found.keys())
    if missing:
        raise NotFoundError(f"unknown skills {missing}: add them with ensure_skills first")
    return found


def _agent_record(agent: AgentRow) -> AgentRecord:
    return AgentRecord(
        code=agent.code,
        name=agent.name,
        active=agent.active,
        created_at=agent.created_at,
        skills={link.skill.name: link.proficiency for link in agent.skills},
    )
