"""The fast search index over policy provisions: build, search, save and load.

Relevance is BM25 over character bigrams and single characters of the normalised text (so
one- and two-character words such as 社保, 医保, 伤 are never missed), plus the law title's and the
chapter's match; the query side adds the statutory words of the colloquial vocabulary. Ranking
priors are in kb.ranking. Everything is numpy arrays: ~60 MB for the full corpus.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from kb import index_files, ranking
from kb.corpus import CorpusError, Provision
from kb.index_files import IndexLoadError
from kb.normalise import normalise_texts
from kb.postings import Postings
from kb.query import QueryPlan, analyse
from kb.ranking import RankContext
from kb.table import ProvisionTable
from kb.terms import corpus_terms
from kb.vocabulary import CATEGORIES, Vocabulary, load_vocabulary

MAX_TOP = 100
"""The most hits one search returns."""

PROGRESS_EVERY = 5000


@dataclass(frozen=True)
class Hit:
    id: str
    law_title: str
    article_no: str
    category: str
    level: str
    score: float


@dataclass(frozen=True, slots=True, eq=False)
class Fields:
    """The per-provision arrays the ranking reads, and the title/chapter owners."""

    law: npt.NDArray[np.int32]  # index into the title postings' documents
    chapter: npt.NDArray[np.int32]  # index into the chapter postings' documents
    category: npt.NDArray[np.int16]  # index into CATEGORIES, len(CATEGORIES) = other
    prior: npt.NDArray[np.float32]  # level × domain × currency
    effective_from: npt.NDArray[np.int32]  # date ordinals, 0 = none
    effective_to: npt.NDArray[np.int32]

    def arrays(self) -> dict[str, npt.NDArray[np.generic]]:
        return {f"field_{name}": getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_arrays(cls, arrays: dict[str, npt.NDArray[np.generic]]) -> Fields:
        return cls(**{name: arrays[f"field_{name}"] for name in cls.__slots__})  # type: ignore[arg-type]


class SearchIndex:
    """Provisions with their postings; immutable once built or loaded."""

    def __init__(
        self,
        table: ProvisionTable,
        *,
        body: Postings,
        titles: Postings,
        chapters: Postings,
        fields: Fields,
        fingerprint: str,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.table = table
        self.body = body
        self.titles = titles
        self.chapters = chapters
        self.fields = fields
        self.fingerprint = fingerprint
        self.vocabulary = vocabulary or load_vocabulary()
        self._positions = {pid: position for position, pid in enumerate(table.ids)}

    @classmethod
    def build(
        cls,
        provisions: Iterable[Provision],
        *,
        progress: Callable[[int], None] | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> SearchIndex:
        items = _collect(provisions, progress)
        texts = normalise_texts([p.text for p in items])
        body = Postings.build(*corpus_terms(texts))
        law_of, titles = _owners(
            [p.law_id or p.law_title for p in items], [p.law_title for p in items]
        )
        chapter_of, chapter_texts = _owners(
            [f"{p.law_id}\n{p.chapter}" for p in items], [p.chapter for p in items]
        )
        fields = Fields(
            law=law_of,
            chapter=chapter_of,
            category=_category_codes(items),
            prior=ranking.static_priors(items),
            effective_from=ranking.date_ordinals([p.effective_from for p in items]),
            effective_to=ranking.date_ordinals([p.effective_to for p in items]),
        )
        title_postings = Postings.build(*corpus_terms(normalise_texts(titles)))
        chapter_postings = Postings.build(*corpus_terms(normalise_texts(chapter_texts)))
        if progress is not None:
            progress(len(items))
        return cls(
            ProvisionTable.from_provisions(items),
            body=body,
            titles=title_postings,
            chapters=chapter_postings,
            fields=fields,
            fingerprint=fingerprint(items),
            vocabulary=vocabulary,
        )

    def save(self, directory: Path) -> None:
        arrays = {
            **self.body.arrays("body_"),
            **self.titles.arrays("title_"),
            **self.chapters.arrays("chapter_"),
            **self.fields.arrays(),
            **self.table.arrays(),
        }
        index_files.save(directory, self.table.header(), arrays, self.fingerprint)

    @classmethod
    def load(cls, directory: Path, *, vocabulary: Vocabulary | None = None) -> SearchIndex:
        header, arrays, stored_fingerprint = index_files.load(directory)
        try:
            return cls(
                ProvisionTable.from_saved(header, arrays),
                body=Postings.from_arrays(arrays, "body_"),
                titles=Postings.from_arrays(arrays, "title_"),
                chapters=Postings.from_arrays(arrays, "chapter_"),
                fields=Fields.from_arrays(arrays),
                fingerprint=stored_fingerprint,
                vocabulary=vocabulary,
            )
        except (KeyError, ValueError, TypeError) as error:
            raise IndexLoadError(f"{directory}: incomplete index ({error}); rebuild it") from None

    def __len__(self) -> int:
        return len(self.table)

    def get(self, provision_id: str) -> Provision | None:
        position = self._positions.get(provision_id)
        return None if position is None else self.table.provision(position)

    def provisions(self) -> Iterator[Provision]:
        """Every indexed provision, in index order."""
        return iter(self.table)

    def plan(self, query: str) -> QueryPlan:
        return analyse(query, self.vocabulary)

    def classify(self, query: str) -> str | None:
        """The category the query's words point to, or None."""
        return self.plan(query).category

    def search(self, query: str, *, top: int = 10, context: RankContext | None = None) -> list[Hit]:
        """The best `top` provisions for a caller's question; never raises on odd input."""
        context = context or RankContext()
        top = min(max(top, 0), MAX_TOP)
        plan = self.plan(query)
        if top == 0 or not len(plan.keys):
            return []
        candidates, scores = self._scores(plan, context)
        best = _top(scores, top)
        return [self._hit(int(candidates[i]), float(scores[i])) for i in best]

    def _scores(
        self, plan: QueryPlan, context: RankContext
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float32]]:
        relevance = self.body.score(plan.keys, plan.weights)
        relevance += (
            ranking.TITLE_WEIGHT * self.titles.score(plan.keys, plan.weights)[self.fields.law]
        )
        relevance += (
            ranking.CHAPTER_WEIGHT
            * self.chapters.score(plan.keys, plan.weights)[self.fields.chapter]
        )
        candidates = np.flatnonzero(relevance > 0)
        fields = self.fields
        scores = relevance[candidates] * fields.prior[candidates]
        scores *= ranking.category_factors(
            fields.category[candidates], CATEGORIES, plan.categories, context.category
        )
        self._apply_hit_rates(candidates, scores, context)
        keep = ranking.in_force(
            fields.effective_from[candidates], fields.effective_to[candidates], context.today
        )
        return candidates[keep], scores[keep]

    def _apply_hit_rates(
        self,
        candidates: npt.NDArray[np.intp],
        scores: npt.NDArray[np.float32],
        context: RankContext,
    ) -> None:
        if not context.hit_rates:
            return
        slot = {int(doc): i for i, doc in enumerate(candidates)}
        for provision_id, rate in context.hit_rates.items():
            position = self._positions.get(provision_id)
            if position is not None and position in slot:
                scores[slot[position]] *= ranking.hit_rate_factor(rate)

    def _hit(self, position: int, score: float) -> Hit:
        field = self.table.field
        return Hit(
            id=self.table.ids[position],
            law_title=field(position, "law_title"),
            article_no=field(position, "article_no"),
            category=field(position, "category"),
            level=field(position, "level"),
            score=round(score, 6),
        )


def fingerprint(provisions: Iterable[Provision]) -> str:
    """A stable hash of the indexed contents (every field), independent of input order."""
    digest = hashlib.sha256(f"kb-index:{index_files.FORMAT_VERSION}".encode())
    for provision in sorted(provisions, key=lambda p: p.id):
        digest.update(json.dumps(index_files.provision_row(provision), ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _collect(
    provisions: Iterable[Provision], progress: Callable[[int], None] | None
) -> list[Provision]:
    items: list[Provision] = []
    seen: set[str] = set()
    for provision in provisions:
        if provision.id in seen:
            raise CorpusError(f"duplicate provision id {provision.id!r}")
        seen.add(provision.id)
        items.append(provision)
        if progress is not None and len(items) % PROGRESS_EVERY == 0:
            progress(len(items))
    return items


def _owners(keys: list[str], texts: list[str]) -> tuple[npt.NDArray[np.int32], list[str]]:
    """Number each distinct key; return each item's number and one text per number."""
    numbers: dict[str, int] = {}
    owner_texts: list[str] = []
    for key, text in zip(keys, texts, strict=True):
        if key not in numbers:
            numbers[key] = len(owner_texts)
            owner_texts.append(text)
    return np.array([numbers[key] for key in keys], dtype=np.int32), owner_texts


def _category_codes(provisions: list[Provision]) -> npt.NDArray[np.int16]:
    codes = {name: position for position, name in enumerate(CATEGORIES)}
    other = len(CATEGORIES)
    return np.array([codes.get(p.category, other) for p in provisions], dtype=np.int16)


def _top(scores: npt.NDArray[np.float32], top: int) -> npt.NDArray[np.intp]:
    part = np.argpartition(-scores, top - 1)[:top] if len(scores) > top else np.arange(len(scores))
    order: npt.NDArray[np.intp] = part[np.argsort(-scores[part], kind="stable")]
    return order
