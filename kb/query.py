"""From a caller's question to weighted search terms and topic categories (pure)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from kb.normalise import normalise_query
from kb.postings import FloatArray
from kb.terms import Keys, text_keys
from kb.vocabulary import Match, Vocabulary, load_vocabulary

RAW_BIGRAM_WEIGHT = 1.0
"""A character pair the caller said (after fillers are removed): the unit of matching."""

RAW_UNIGRAM_WEIGHT = 0.15
"""A single character the caller said: catches one-character words and keeps recall for
pairs no provision has, without letting common characters dominate."""

SURFACE_WEIGHT = 0.5
"""The caller's own words where a vocabulary entry matched them: statutes rarely use them, and
where they do (社保 in local regulations) they still count, at half weight."""

EXPANSION_WEIGHT = 0.7
"""A character pair of a statutory phrase that a matched colloquial phrase stands for."""


EXPANSION_BUDGET = 6
"""An entry's statutory phrases share the weight of this many character pairs: a long phrase
(提前三十日以书面形式通知用人单位) must not outweigh everything else the caller said."""


@dataclass(frozen=True, slots=True)
class QueryPlan:
    text: str  # normalised query
    keys: Keys  # unique term keys
    weights: FloatArray  # one per key
    categories: dict[str, float]  # category -> share of the matched vocabulary (sums to 1)

    @property
    def category(self) -> str | None:
        """The most likely category (first among equals), or None when nothing matched."""
        if not self.categories:
            return None
        return max(self.categories.items(), key=lambda item: item[1])[0]


def analyse(query: str, vocabulary: Vocabulary) -> QueryPlan:
    text = normalise_query(query)
    matches = vocabulary.matches(text)
    weights: dict[int, float] = {}
    _add_text(weights, vocabulary.strip_fillers(_mask(text, matches)), RAW_BIGRAM_WEIGHT)
    for match in matches:
        _add_text(weights, match.phrase, SURFACE_WEIGHT, unigrams=False)
        _add_expansion(weights, match.entry.law)
    keys = np.fromiter(weights.keys(), dtype=np.int64, count=len(weights))
    values = np.fromiter(weights.values(), dtype=np.float32, count=len(weights))
    return QueryPlan(text, keys, values, _categories(matches))


def classify(query: str, vocabulary: Vocabulary | None = None) -> str | None:
    """The topic category a caller's question points to (for the screen-pop), or None."""
    return analyse(query, vocabulary or load_vocabulary()).category


def _mask(text: str, matches: list[Match]) -> str:
    pieces = list(text)
    for match in matches:
        pieces[match.start : match.end] = [" "] * (match.end - match.start)
    return "".join(pieces)


def _add_text(
    weights: dict[int, float], text: str, weight: float, *, unigrams: bool = True
) -> None:
    unigram_keys, bigram_keys = text_keys(text)
    for key in bigram_keys.tolist():
        weights[key] = max(weights.get(key, 0.0), weight)
    if unigrams:
        for key in unigram_keys.tolist():
            weights[key] = max(weights.get(key, 0.0), weight * RAW_UNIGRAM_WEIGHT)


def _add_expansion(weights: dict[int, float], phrases: tuple[str, ...]) -> None:
    keys = set()
    for phrase in phrases:
        keys.update(text_keys(phrase)[1].tolist())
    weight = EXPANSION_WEIGHT * min(1.0, EXPANSION_BUDGET / max(len(keys), 1))
    for key in keys:
        weights[key] = max(weights.get(key, 0.0), weight)


def _categories(matches: list[Match]) -> dict[str, float]:
    counts = Counter(m.entry.category for m in matches if m.entry.category is not None)
    total = sum(counts.values())
    return {category: count / total for category, count in counts.items()}
