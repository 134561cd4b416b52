"""The entries a screen-pop shows for a call's topic: the ones agents marked most for such
calls (by hit rate), then the best matches of the topic's words, ranked with those rates.

Pure: the search and the lookup are handed in; nothing here does I/O or reads a clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from kb.corpus import Provision
from kb.hit_rates import ranked
from kb.index import Hit
from kb.ranking import RankContext
from kb.topics import TopicMap

EXCERPT_CHARS = 120
Search = Callable[[str, int, RankContext], list[Hit]]
Lookup = Callable[[str], Provision | None]


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    law_title: str
    article_no: str
    category: str
    excerpt: str
    hit_rate: float
    """The entry's share (0..1) of the topic's recent marks; 0: never marked for it."""


def topic_entries(
    topic: str | None, top: int, *, search: Search, lookup: Lookup, topics: TopicMap,
    shares: Mapping[str, float], today: date,
) -> list[Entry]:  # fmt: skip
    """Up to `top` entries for the topic: marked ones by hit rate first (`shares`: the topic's
    hit rates, see `HitRates.rates`), then the best matches of the topic's words."""
    entries: list[Entry] = []
    seen: set[str] = set()
    for pid, share in ranked(shares, top):
        provision = lookup(pid)
        if provision is not None:  # retired or not in force today: not shown
            entries.append(_entry(provision, share))
            seen.add(pid)
    view = topics.view(topic)
    context = RankContext(category=view.category, hit_rates=shares, today=today)
    for hit in search(view.query, top + len(seen), context):
        if len(entries) >= top:
            break
        provision = lookup(hit.id)
        if hit.id not in seen and provision is not None:
            entries.append(_entry(provision, shares.get(hit.id, 0.0)))
            seen.add(hit.id)
    return entries[:top]


def _entry(provision: Provision, share: float) -> Entry:
    text = provision.text
    excerpt = text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"
    return Entry(
        provision.id, provision.law_title, provision.article_no, provision.category, excerpt,
        round(share, 4),
    )  # fmt: skip
