from __future__ import annotations

from datetime import date

from kb.index import SearchIndex
from kb.ranking import RankContext

from .conftest import provision

TEXT = "劳动者可以依法申请劳动争议仲裁。"


def _order(index: SearchIndex, query: str, context: RankContext | None = None) -> list[str]:
    return [hit.id for hit in index.search(query, context=context)]


def test_higher_level_ranks_first_on_equal_text() -> None:
    index = SearchIndex.build(
        [
            provision("L1-1", TEXT, level="地方性法规"),
            provision("L2-1", TEXT, level="法律"),
            provision("L3-1", TEXT, level="部门规章"),
        ]
    )
    assert _order(index, "申请仲裁") == ["L2-1", "L3-1", "L1-1"]


def test_labour_domain_ranks_first_on_equal_text() -> None:
    index = SearchIndex.build([provision("L1-1", TEXT, domain="general"), provision("L2-1", TEXT)])
    assert _order(index, "申请仲裁") == ["L2-1", "L1-1"]


def test_newer_version_ranks_first_on_equal_text() -> None:
    index = SearchIndex.build(
        [
            provision("L1-1", TEXT, version_date="1995-01-01"),
            provision("L2-1", TEXT, version_date="2020-01-01"),
        ]
    )
    assert _order(index, "申请仲裁") == ["L2-1", "L1-1"]


def test_call_topic_category_is_favoured() -> None:
    index = SearchIndex.build(
        [provision("L1-1", TEXT, category="仲裁"), provision("L2-1", TEXT, category="工伤")]
    )
    assert _order(index, "依法申请", RankContext(category="工伤"))[0] == "L2-1"
    assert _order(index, "依法申请", RankContext(category="仲裁"))[0] == "L1-1"


def test_query_category_from_vocabulary_is_favoured() -> None:
    text = "职工应当依法缴纳保险费。"
    index = SearchIndex.build(
        [provision("L1-1", text, category="公积金"), provision("L2-1", text, category="失业")]
    )
    assert _order(index, "失业金 缴纳保险费")[0] == "L2-1"


def test_hit_rate_lifts_a_provision() -> None:
    index = SearchIndex.build(
        [provision("L1-1", TEXT), provision("L2-1", TEXT, version_date="2011-01-01")]
    )
    assert _order(index, "申请仲裁")[0] == "L1-1"
    boosted = RankContext(hit_rates={"L2-1": 0.8, "unknown-id": 1.0})
    assert _order(index, "申请仲裁", boosted)[0] == "L2-1"


def test_provisions_not_yet_effective_or_expired_are_excluded() -> None:
    index = SearchIndex.build(
        [
            provision("G-1", TEXT, effective_from=date(2030, 1, 1)),
            provision("G-2", TEXT, effective_to=date(2020, 12, 31)),
            provision("G-3", TEXT, effective_from=date(2020, 1, 1), effective_to=date(2030, 1, 1)),
        ]
    )
    today = RankContext(today=date(2025, 6, 1))
    assert _order(index, "申请仲裁", today) == ["G-3"]
    assert sorted(_order(index, "申请仲裁")) == ["G-1", "G-2", "G-3"]
