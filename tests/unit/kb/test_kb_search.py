from __future__ import annotations

import pytest

from kb.corpus import Provision
from kb.index import SearchIndex
from kb.query import analyse, classify
from kb.vocabulary import load_vocabulary

from .conftest import provision


def _ids(index: SearchIndex, query: str, top: int = 10) -> list[str]:
    return [hit.id for hit in index.search(query, top=top)]


@pytest.mark.parametrize(
    ("query", "expected_law"),
    [
        ("社保", "中华人民共和国社会保险法"),
        ("医保", "中华人民共和国社会保险法"),
        ("工伤", "工伤保险条例"),
        ("辞退", "中华人民共和国劳动合同法"),
        ("公积金", "住房公积金管理条例"),
        ("年假", "职工带薪年休假条例"),
    ],
)
def test_short_terms_find_their_provisions(
    sample_index: SearchIndex, query: str, expected_law: str
) -> None:
    titles = [hit.law_title for hit in sample_index.search(query, top=10)]
    assert expected_law in titles


def test_a_two_character_word_matches_without_vocabulary() -> None:
    index = SearchIndex.build(
        [provision("L1-1", "本条规定仲裁时效。"), provision("L2-1", "其他内容。")]
    )
    assert _ids(index, "时效") == ["L1-1"]


def test_a_one_character_word_matches() -> None:
    index = SearchIndex.build(
        [provision("L1-1", "禁止使用童工。"), provision("L2-1", "其他内容。")]
    )
    assert _ids(index, "童") == ["L1-1"]


def test_colloquial_words_reach_statutory_wording() -> None:
    index = SearchIndex.build(
        [
            provision("L1-1", "用人单位未依法为劳动者缴纳社会保险费的，劳动者可以解除劳动合同。"),
            provision("L2-1", "老人应当得到赡养。"),
        ]
    )
    assert _ids(index, "老板不给我交社保")[0] == "L1-1"


def test_colloquial_dismissal_finds_the_dismissal_rules(sample_index: SearchIndex) -> None:
    hits = sample_index.search("我被老板炒鱿鱼了，能要补偿吗", top=5)
    assert any("解除" in (sample_index.get(h.id) or _empty()).text for h in hits)


def test_query_plan_expands_colloquial_terms() -> None:
    plan = analyse("老板炒鱿鱼", load_vocabulary())
    expanded = {entry.law for entry in (m.entry for m in load_vocabulary().matches(plan.text))}
    assert ("用人单位",) in expanded
    assert any("解除劳动合同" in law for laws in expanded for law in laws)


@pytest.mark.parametrize(
    ("query", "category"),
    [
        ("退休金怎么领", "养老保险"),
        ("医保报销比例是多少", "医疗保险"),
        ("上班路上被车撞了", "工伤"),
        ("失业金能领几个月", "失业"),
        ("公积金能取出来吗", "公积金"),
        ("怀孕了公司要辞退我", "女职工与生育"),
        ("今天天气不错", None),
    ],
)
def test_classify_suggests_a_category(
    sample_index: SearchIndex, query: str, category: str | None
) -> None:
    assert sample_index.classify(query) == category


def test_module_level_classify_needs_no_index() -> None:
    assert classify("工伤认定要多久") == "工伤"
    assert classify("") is None


def test_get_returns_the_provision_or_none(
    sample_index: SearchIndex, sample_provisions: list[Provision]
) -> None:
    first = sample_provisions[0]
    assert sample_index.get(first.id) == first
    assert sample_index.get("no-such-id") is None
    assert len(sample_index) == len(sample_provisions)


def test_top_limits_the_number_of_hits(sample_index: SearchIndex) -> None:
    assert len(sample_index.search("劳动合同", top=3)) == 3
    assert sample_index.search("劳动合同", top=0) == []


def _empty() -> Provision:
    return provision("X-1", "-")
