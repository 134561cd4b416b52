"""Ranking: relevance times mild, named priors. Pure: facts in, factors out, no clock reads.

final score = relevance × level × domain × currency × category × hit rate, where relevance is
BM25 over the provision's text plus a share of its law title's and chapter's match.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import numpy.typing as npt

from kb.corpus import Provision

TITLE_WEIGHT = 0.3
"""Share of the law title's match added to each of its provisions: "工伤" in 工伤保险条例 says
something about every article, but less than the article's own words."""

CHAPTER_WEIGHT = 0.3
"""Share of the chapter heading's match (第四章 工伤保险 in 社会保险法), as for titles."""

LEVEL_FACTORS: Mapping[str, float] = {
    "法律": 1.12,
    "行政法规": 1.08,
    "司法解释": 1.05,
    "部门规章": 1.03,
    "地方性法规": 1.00,
}
"""Higher-ranking law first, mildly: the answer follows national law where a local rule differs,
but a clearly better-matching local article still wins."""

UNKNOWN_LEVEL_FACTOR = 1.0

LABOUR_DOMAIN = "labour_social_security"
DOMAIN_FACTOR = 1.8
"""This is a labour and social-security hotline: its own domain is the likely answer; other law
(criminal, civil, tax...) must match clearly better to rank above it."""

RECENCY_WEIGHT = 0.06
"""Up to +6% for the newest versions (linear over RECENCY_SPAN years); undated provisions get
half of it."""

RECENCY_FROM_YEAR = 1995
RECENCY_SPAN = 30

CATEGORY_WEIGHT = 0.35
"""Provisions in a category the query's vocabulary points to gain up to +35%, in proportion to
that category's share of the matched vocabulary."""

CONTEXT_CATEGORY_WEIGHT = 0.3
"""The call's topic (chosen in the IVR) favours provisions of that category by +30%."""

HIT_RATE_WEIGHT = 0.5
"""A provision agents used for this topic gains up to +50% at a hit rate of 1."""

_NO_DATE = 0


@dataclass(frozen=True)
class RankContext:
    category: str | None = None  # the call's topic category (e.g. '养老保险'), favoured
    hit_rates: Mapping[str, float] = field(default_factory=dict)  # id -> decayed rate 0..1
    today: date | None = None  # effective dates are checked against it; None: not checked


def static_priors(provisions: list[Provision]) -> npt.NDArray[np.float32]:
    """The query-independent factor of each provision: level × domain × currency."""
    return np.array([_static_prior(p) for p in provisions], dtype=np.float32)


def _static_prior(provision: Provision) -> float:
    level = LEVEL_FACTORS.get(provision.level, UNKNOWN_LEVEL_FACTOR)
    domain = DOMAIN_FACTOR if provision.domain == LABOUR_DOMAIN else 1.0
    return level * domain * (1.0 + RECENCY_WEIGHT * _recency(provision.version_date))


def _recency(version_date: str) -> float:
    if len(version_date) < 4 or not version_date[:4].isdigit():
        return 0.5
    years = int(version_date[:4]) - RECENCY_FROM_YEAR
    return min(max(years / RECENCY_SPAN, 0.0), 1.0)


def date_ordinals(dates: list[date | None]) -> npt.NDArray[np.int32]:
    return np.array([d.toordinal() if d else _NO_DATE for d in dates], dtype=np.int32)


def in_force(
    effective_from: npt.NDArray[np.int32], effective_to: npt.NDArray[np.int32], today: date | None
) -> npt.NDArray[np.bool_]:
    """Which provisions are in force on `today` (all when today is None)."""
    if today is None:
        return np.ones(effective_from.shape, dtype=np.bool_)
    day = today.toordinal()
    started = (effective_from == _NO_DATE) | (effective_from <= day)
    not_ended = (effective_to == _NO_DATE) | (effective_to >= day)
    result: npt.NDArray[np.bool_] = started & not_ended
    return result


def category_factors(
    doc_categories: npt.NDArray[np.int16],
    names: tuple[str, ...],
    query_categories: Mapping[str, float],
    context_category: str | None,
) -> npt.NDArray[np.float32]:
    """1 + boosts for the candidates' categories (codes into `names`)."""
    boost = np.zeros(len(names) + 1, dtype=np.float32)  # last slot: unknown category
    for position, name in enumerate(names):
        boost[position] += CATEGORY_WEIGHT * query_categories.get(name, 0.0)
        if name == context_category:
            boost[position] += CONTEXT_CATEGORY_WEIGHT
    result: npt.NDArray[np.float32] = 1.0 + boost[doc_categories]
    return result


def hit_rate_factor(rate: float) -> float:
    return 1.0 + HIT_RATE_WEIGHT * min(max(rate, 0.0), 1.0)
