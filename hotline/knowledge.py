"""The knowledge base as the controller and the command line use it: the search index over
the provisions in force today (loaded from its cache, or built from the store and cached),
hit rates from agents' marks, and the entries a screen-pop shows for a topic.

Store ──▶ provisions in force ──▶ kb.SearchIndex (pure, cached by fingerprint) ──▶ search
agents' marks ──▶ kb.HitRates (pure) ──┘                                         └─▶ screen-pop
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from hotline.storage import Store
from hotline.storage.kb_records import KbMark
from kb.corpus import Provision
from kb.hit_rates import HitRates
from kb.index import Hit, SearchIndex
from kb.ranking import RankContext
from kb.screen_pop import Entry, topic_entries
from kb.topics import TopicMap, shipped_topics

log = logging.getLogger("hotline.knowledge")

MARK_HISTORY = timedelta(days=730)
"""Marks older than two years weigh under 2**-24 of today's: not worth reading at start."""
CACHE_KEEP = 2
"""Index caches kept besides the one in use (another process may still be loading one)."""


class KnowledgeBaseNotReady(RuntimeError):
    """The index is still being built (the message says since when)."""


@dataclass(frozen=True, slots=True)
class KbStatus:
    ready: bool
    provisions: int
    fingerprint: str | None
    building_since: float | None
    last_build_s: float | None
    marks: int

    def as_json(self) -> dict[str, object]:
        return {
            "ready": self.ready, "provisions": self.provisions, "fingerprint": self.fingerprint,
            "building": self.building_since is not None, "last_build_s": self.last_build_s,
            "marks": self.marks,
        }  # fmt: skip


class KnowledgeBase:
    """Thread-safe: the index is swapped whole once a new one is ready; searches meanwhile
    use the old one."""

    def __init__(
        self, store: Store, cache_dir: Path, today: Callable[[], date], *,
        topics: TopicMap | None = None, rates: HitRates | None = None,
        builder: Callable[[date], None] | None = None,
    ) -> None:  # fmt: skip
        """`builder`, if given, builds and caches the index for a day elsewhere (the
        controller uses a child process: building reads every provision at once, and the
        memory that takes would stay with a long-running process)."""
        self.store = store
        self.builder = builder
        self.cache_dir = cache_dir
        self.today = today
        self.topics = topics or shipped_topics()
        self.rates = rates or HitRates()
        self.index: SearchIndex | None = None
        self.fingerprint: str | None = None
        self._build_lock = threading.Lock()
        self._rates_lock = threading.Lock()
        self._building_since: float | None = None
        self._last_build_s: float | None = None
        self._marks = 0

    # The index

    def refresh(self, progress: Callable[[str], None] | None = None) -> bool:
        """Make the index match what is in force today: load its cache, or build and cache it.
        Returns True if the index changed. One refresh at a time; others wait for it."""
        with self._build_lock:
            today = self.today()
            fingerprint, rows = self.store.provisions_in_force(today)
            if fingerprint == self.fingerprint and self.index is not None:
                return False
            started = time.monotonic()
            self._building_since = started
            try:
                index = self._cached(fingerprint)
                if index is None and self.builder is not None:
                    self.builder(today)
                    index = self._cached(fingerprint)
                if index is None:
                    index = self._build(fingerprint, rows, progress)
            finally:
                self._building_since = None
            self.index, self.fingerprint = index, fingerprint
            self._last_build_s = time.monotonic() - started
            log.info("knowledge base: %d provisions in force (index %s, ready in %.1f s)",
                     len(index), fingerprint, self._last_build_s)  # fmt: skip
            return True

    def _cached(self, fingerprint: str) -> SearchIndex | None:
        folder = self.cache_dir / fingerprint
        if not folder.is_dir():
            return None
        try:
            return SearchIndex.load(folder)
        except (OSError, ValueError) as exc:
            log.warning("knowledge base: rebuilding the index, its cache %s is unusable: %s",
                        folder, exc)  # fmt: skip
            shutil.rmtree(folder, ignore_errors=True)
            return None

    def _build(
        self, fingerprint: str, rows: list[int], progress: Callable[[str], None] | None
    ) -> SearchIndex:
        total = len(rows)

        def counted(done: int) -> None:
            if progress is not None:
                progress(f"indexing {done}/{total} provisions")

        index = SearchIndex.build(self.store.load_provisions(rows), progress=counted)
        folder = self.cache_dir / fingerprint
        staging = self.cache_dir / f".{fingerprint}.{time.monotonic_ns()}"
        index.save(staging)
        if folder.exists():  # another process cached it meanwhile
            shutil.rmtree(staging, ignore_errors=True)
        else:
            staging.rename(folder)
        self._prune(keep=folder)
        return index

    def _prune(self, keep: Path) -> None:
        folders = sorted(
            (f for f in self.cache_dir.iterdir() if f.is_dir() and f != keep),
            key=lambda f: f.stat().st_mtime, reverse=True,
        )  # fmt: skip
        for stale in folders[CACHE_KEEP:]:
            shutil.rmtree(stale, ignore_errors=True)

    def ready_index(self) -> SearchIndex:
        index = self.index
        if index is None:
            since = self._building_since
            detail = f"for {time.monotonic() - since:.0f} s" if since is not None else "not yet"
            raise KnowledgeBaseNotReady(
                f"the knowledge base index is being built ({detail}); try again shortly"
            )
        return index

    # Searching

    def search(self, query: str, top: int = 10, topic: str | None = None) -> list[Hit]:
        """The best entries for a question; a topic favours its category and hit rates."""
        context = RankContext(today=self.today())
        if topic:
            view = self.topics.view(topic)
            context = RankContext(view.category, self.hit_rates(topic), self.today())
        return self.ready_index().search(query, top=top, context=context)

    def entry(self, provision_id: str) -> Provision | None:
        return self.ready_index().get(provision_id)

    def topic_entries(self, topic: str | None, top: int = 5) -> list[Entry]:
        index = self.ready_index()
        return topic_entries(
            topic, top, lookup=index.get, topics=self.topics, shares=self.hit_rates(topic),
            today=self.today(),
            search=lambda query, n, context: index.search(query, top=n, context=context),
        )  # fmt: skip

    # Hit rates

    def hit_rates(self, topic: str | None) -> dict[str, float]:
        if not topic:
            return {}
        with self._rates_lock:
            return self.rates.rates(topic)

    def load_marks(self, now: datetime) -> int:
        marks = self.store.marks_since(now - MARK_HISTORY)
        with self._rates_lock:
            for mark in marks:
                self.rates.add(mark.topic, mark.provision_id, mark.at)
            self._marks += len(marks)
        return len(marks)

    def mark(self, mark: KbMark) -> bool:
        """Record that the entry answered the call; False if it was marked already."""
        if not self.store.save_mark(mark):
            return False
        with self._rates_lock:
            self.rates.add(mark.topic, mark.provision_id, mark.at)
            self._marks += 1
        return True

    def status(self) -> KbStatus:
        index = self.index
        return KbStatus(
            ready=index is not None, provisions=len(index) if index is not None else 0,
            fingerprint=self.fingerprint, building_since=self._building_since,
            last_build_s=self._last_build_s, marks=self._marks,
        )  # fmt: skip
