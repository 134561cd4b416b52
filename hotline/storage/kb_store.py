"""The store's knowledge-base methods: versioned imports, guidance entries, the provisions in
force on a day, agents' marks and the gap report.

A mixin of `Store` (kept apart so that store.py stays small); it uses the store's sessions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import replace
from datetime import date, datetime
from itertools import islice

from sqlalchemy.orm import Session

from hotline.storage import kb_data
from hotline.storage.errors import ConflictError
from hotline.storage.kb_records import ImportResult, KbGap, KbMark, ProvisionVersion, UnmarkedCalls
from hotline.storage.records import require_aware
from kb.corpus import Provision

GUIDANCE_LAW_ID = "GUIDANCE"
GUIDANCE_ATTEMPTS = 10


class KbStoreMixin:
    # Provided by Store: a session in a transaction, and a session for reading.
    _write: Callable[[], AbstractContextManager[Session]]
    _read: Callable[[], AbstractContextManager[Session]]

    def import_provisions(
        self, provisions: Iterable[Provision], *, author: str, at: datetime,
        progress: Callable[[int], None] | None = None,
    ) -> ImportResult:  # fmt: skip
        """Record a corpus: new provisions, and a new version of every changed one (the old
        text kept). A provision of a law in this import that the import no longer holds is
        retired; laws the import does not mention are left alone, so a single law's update
        can be imported by itself. One transaction: a failed import changes nothing."""
        require_aware("at", at)
        total = ImportResult()
        seen: set[str] = set()
        laws: set[str] = set()
        with self._write() as session:
            latest = kb_data.latest_versions(session)
            for batch in _batches(provisions, kb_data.BATCH):
                seen.update(p.id for p in batch)
                laws.update(p.law_id for p in batch)
                done = kb_data.record_batch(
                    session, batch, latest, source="corpus", author=author, at=at
                )
                total = _add(total, done)
                if progress is not None:
                    progress(total.total)
            gone = {pid for pid, (_, _, retired) in kb_data.latest_versions(session, laws).items()
                    if pid not in seen and not retired}  # fmt: skip
            kb_data.retire(session, gone, at)
        return replace(total, retired=len(gone))

    def add_guidance(self, entry: Provision, *, author: str, at: datetime) -> Provision:
        """A local guidance entry (this year's contribution base, say): it gets the next
        ``G-NNNN`` id unless it names one (then it is a new version of that entry)."""
        require_aware("at", at)
        for attempt in range(GUIDANCE_ATTEMPTS):
            try:
                with self._write() as session:
                    if not entry.id:
                        number = kb_data.next_guidance_number(session)
                        entry = replace(entry, id=f"G-{number:04d}")
                    latest = kb_data.latest_versions(session, {GUIDANCE_LAW_ID})
                    entry = replace(entry, law_id=GUIDANCE_LAW_ID)
                    kb_data.record_batch(
                        session, [entry], latest, source="guidance", author=author, at=at
                    )
                    return entry
            except ConflictError:
                if attempt == GUIDANCE_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def retire_provision(self, provision_id: str, at: datetime) -> bool:
        with self._write() as session:
            return kb_data.retire(session, [provision_id], at) > 0

    def provisions_in_force(self, on: date) -> tuple[str, list[int]]:
        """The fingerprint of what is in force on the day, and the rows that hold it."""
        with self._read() as session:
            rows = kb_data.in_force_row_ids(session, on)
        return kb_data.fingerprint(rows), rows

    def load_provisions(self, row_ids: list[int]) -> Iterator[Provision]:
        with self._read() as session:
            yield from kb_data.provisions_by_row(session, row_ids)

    def provision_history(self, provision_id: str) -> list[ProvisionVersion]:
        with self._read() as session:
            return kb_data.history(session, provision_id)

    def save_mark(self, mark: KbMark) -> bool:
        with self._write() as session:
            return kb_data.save_mark(session, mark)

    def marks_since(self, since: datetime) -> list[KbMark]:
        with self._read() as session:
            return kb_data.marks_since(session, since)

    def save_gap(self, gap: KbGap) -> None:
        with self._write() as session:
            kb_data.save_gap(session, gap)

    def kb_gaps(self, since: datetime, until: datetime, limit: int = 200) -> list[KbGap]:
        with self._read() as session:
            return kb_data.gaps(session, since, until, limit)

    def unmarked_calls(self, since: datetime, until: datetime) -> list[UnmarkedCalls]:
        with self._read() as session:
            return kb_data.unmarked_calls(session, since, until)


def _batches(items: Iterable[Provision], size: int) -> Iterator[list[Provision]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _add(a: ImportResult, b: ImportResult) -> ImportResult:
    return ImportResult(a.added + b.added, a.changed + b.changed, a.unchanged + b.unchanged)
