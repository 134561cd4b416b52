"""The knowledge base's queries, inside a session the store opens."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from itertools import islice
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Executable, and_, func, insert, select, update
from sqlalchemy.orm import Session

from hotline.storage.kb_models import KbGapRow, KbMarkRow, KbProvisionRow
from hotline.storage.kb_records import (
    ImportResult,
    KbGap,
    KbMark,
    ProvisionVersion,
    UnmarkedCalls,
    content_hash,
)
from hotline.storage.models import CallRow
from hotline.storage.sql import upsert
from kb.corpus import Provision

BATCH = 2_000
T = TypeVar("T")
Latest = dict[str, tuple[int, str, bool]]
"""provision id -> (latest version, its content hash, retired)"""


def latest_versions(session: Session, law_ids: set[str] | None = None) -> Latest:
    statement = select(
        KbProvisionRow.provision_id, KbProvisionRow.version, KbProvisionRow.text_hash,
        KbProvisionRow.retired_at, KbProvisionRow.law_id,
    )  # fmt: skip
    latest: Latest = {}
    for pid, version, digest, retired_at, law_id in session.execute(statement):
        if law_ids is not None and law_id not in law_ids:
            continue
        if pid not in latest or version > latest[pid][0]:
            latest[pid] = (version, digest, retired_at is not None)
    return latest


def record_batch(
    session: Session, batch: Sequence[Provision], latest: Latest, *,
    source: str, author: str, at: datetime,
) -> ImportResult:  # fmt: skip
    """New provisions become version 1; changed ones a new version, the old text kept."""
    added = changed = unchanged = 0
    rows = []
    superseded = []
    for provision in batch:
        digest = content_hash(provision)
        known = latest.get(provision.id)
        if known is not None and known[1] == digest and not known[2]:
            unchanged += 1
            continue
        version = 1 if known is None else known[0] + 1
        if known is None:
            added += 1
        else:
            changed += 1
            superseded.append(provision.id)
        rows.append(_row(provision, version, digest, source=source, author=author, at=at))
        latest[provision.id] = (version, digest, False)
    if superseded:
        session.execute(
            update(KbProvisionRow)
            .where(KbProvisionRow.provision_id.in_(superseded))
            .where(KbProvisionRow.superseded_at.is_(None))
            .values(superseded_at=at)
        )
    if rows:
        session.execute(insert(KbProvisionRow), rows)
    return ImportResult(added, changed, unchanged)


def _row(provision: Provision, version: int, digest: str, *, source: str, author: str,
         at: datetime) -> dict[str, object]:  # fmt: skip
    return {
        "provision_id": provision.id, "version": version, "source": source,
        "law_id": provision.law_id, "law_title": provision.law_title,
        "category": provision.category, "law_category": provision.law_category,
        "domain": provision.domain, "level": provision.level,
        "article_no": provision.article_no, "chapter": provision.chapter,
        "text": provision.text, "version_date": provision.version_date,
        "effective_from": provision.effective_from, "effective_to": provision.effective_to,
        "text_hash": digest, "created_at": at, "created_by": author,
        "superseded_at": None, "retired_at": None,
    }  # fmt: skip


def retire(session: Session, provision_ids: Iterable[str], at: datetime) -> int:
    """Retire every version of the provisions; returns the number of rows changed."""
    retired = 0
    for chunk in _chunks(sorted(set(provision_ids)), BATCH):
        result = _execute(
            session,
            update(KbProvisionRow)
            .where(KbProvisionRow.provision_id.in_(chunk))
            .where(KbProvisionRow.retired_at.is_(None))
            .values(retired_at=at),
        )
        retired += result.rowcount
    return retired


def in_force_row_ids(session: Session, on: date) -> list[int]:
    """For each provision not retired, its newest version in force on the day."""
    statement = select(
        KbProvisionRow.id, KbProvisionRow.provision_id, KbProvisionRow.version,
        KbProvisionRow.effective_from, KbProvisionRow.effective_to,
    ).where(KbProvisionRow.retired_at.is_(None))  # fmt: skip
    best: dict[str, tuple[int, int]] = {}
    for row_id, pid, version, start, end in session.execute(statement):
        if (start is not None and start > on) or (end is not None and end < on):
            continue
        if pid not in best or version > best[pid][0]:
            best[pid] = (version, row_id)
    return sorted(row_id for _, row_id in best.values())


def fingerprint(row_ids: Sequence[int]) -> str:
    digest = hashlib.sha256()
    for row_id in row_ids:
        digest.update(row_id.to_bytes(8, "little"))
    return digest.hexdigest()[:16]


def provisions_by_row(session: Session, row_ids: Sequence[int]) -> Iterator[Provision]:
    for chunk in _chunks(row_ids, BATCH):
        rows = session.scalars(
            select(KbProvisionRow).where(KbProvisionRow.id.in_(chunk)).order_by(KbProvisionRow.id)
        )
        for row in rows:
            yield _provision(row)


def history(session: Session, provision_id: str) -> list[ProvisionVersion]:
    rows = session.scalars(
        select(KbProvisionRow)
        .where(KbProvisionRow.provision_id == provision_id)
        .order_by(KbProvisionRow.version.desc())
    )
    return [
        ProvisionVersion(_provision(r), r.version, r.source, r.created_at, r.created_by,
                         r.superseded_at, r.retired_at)
        for r in rows
    ]  # fmt: skip


def _provision(row: KbProvisionRow) -> Provision:
    return Provision(
        id=row.provision_id, law_id=row.law_id, law_title=row.law_title,
        category=row.category, law_category=row.law_category, domain=row.domain,
        level=row.level, article_no=row.article_no, chapter=row.chapter, text=row.text,
        version_date=row.version_date, effective_from=row.effective_from,
        effective_to=row.effective_to,
    )  # fmt: skip


def next_guidance_number(session: Session) -> int:
    ids = session.scalars(
        select(KbProvisionRow.provision_id).where(KbProvisionRow.source == "guidance")
    )
    numbers = [int(pid[2:]) for pid in ids if pid[2:].isdigit()]
    return max(numbers, default=0) + 1


def save_mark(session: Session, mark: KbMark) -> bool:
    """The first mark of an entry for a call counts; a repeat changes nothing."""
    values = {
        "call_uniqueid": mark.call_uniqueid, "provision_id": mark.provision_id,
        "agent_code": mark.agent_code, "topic": mark.topic, "at": mark.at,
    }  # fmt: skip
    # RETURNING, not rowcount: psycopg reports a row for an insert that did nothing.
    inserted = session.scalar(
        upsert(session, KbMarkRow)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["call_uniqueid", "provision_id"])
        .returning(KbMarkRow.id)
    )
    return inserted is not None


def marks_since(session: Session, since: datetime) -> list[KbMark]:
    rows = session.scalars(select(KbMarkRow).where(KbMarkRow.at >= since).order_by(KbMarkRow.at))
    return [KbMark(r.call_uniqueid, r.provision_id, r.agent_code, r.topic, r.at) for r in rows]


def save_gap(session: Session, gap: KbGap) -> None:
    session.add(KbGapRow(
        call_uniqueid=gap.call_uniqueid, agent_code=gap.agent_code, topic=gap.topic,
        question=gap.question, at=gap.at,
    ))  # fmt: skip


def gaps(session: Session, since: datetime, until: datetime, limit: int) -> list[KbGap]:
    rows = session.scalars(
        select(KbGapRow)
        .where(KbGapRow.at >= since, KbGapRow.at < until)
        .order_by(KbGapRow.at.desc())
        .limit(limit)
    )
    return [KbGap(r.call_uniqueid, r.agent_code, r.topic, r.question, r.at) for r in rows]


def unmarked_calls(session: Session, since: datetime, until: datetime) -> list[UnmarkedCalls]:
    """Answered calls with no entry marked, counted by queue and disposition."""
    marked = select(KbMarkRow.id).where(KbMarkRow.call_uniqueid == CallRow.uniqueid).exists()
    statement = (
        select(CallRow.queue, CallRow.disposition, func.count())
        .where(
            and_(
                CallRow.answered_at.is_not(None),
                CallRow.arrived_at >= since,
                CallRow.arrived_at < until,
                ~marked,
            )
        )
        .group_by(CallRow.queue, CallRow.disposition)
    )
    found = [UnmarkedCalls(q or "", d or "", n) for q, d, n in session.execute(statement)]
    return sorted(found, key=lambda u: (-u.calls, u.queue, u.disposition))


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _execute(session: Session, statement: Executable) -> CursorResult[Any]:
    # An UPDATE or INSERT always yields a CursorResult; Session.execute is typed more loosely.
    return cast(CursorResult[Any], session.execute(statement))
