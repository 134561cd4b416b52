from __future__ import annotations

import pytest

from kb.vocabulary import CATEGORIES, VocabularyError, load_vocabulary, parse_vocabulary


def test_shipped_vocabulary_is_valid_and_broad() -> None:
    vocabulary = load_vocabulary()
    assert len(vocabulary.entries) >= 150
    assert sum(len(entry.say) for entry in vocabulary.entries) >= 1000
    covered = {entry.category for entry in vocabulary.entries}
    assert set(CATEGORIES) <= covered


@pytest.mark.parametrize(
    ("say", "statutory"),
    [
        ("老板", "用人单位"),
        ("社保", "社会保险"),
        ("医保", "基本医疗保险"),
        ("炒鱿鱼", "解除劳动合同"),
        ("欠薪", "拖欠劳动报酬"),
        ("加班费", "延长工作时间"),
        ("五险一金", "社会保险"),
        ("产假", "产假"),
        ("退休金", "基本养老金"),
        ("失业金", "失业保险金"),
        ("农民工", "农民工"),
        ("外地户口", "非本市户籍"),
        ("居住证", "居住证"),
    ],
)
def test_common_colloquial_words_map_to_statutory_terms(say: str, statutory: str) -> None:
    matches = load_vocabulary().matches(say)
    assert [m.phrase for m in matches] == [say]
    assert statutory in matches[0].entry.law


def test_traditional_entries_are_normalised() -> None:
    assert load_vocabulary().matches("老板")[0].entry.law == ("用人单位",)


def test_longest_match_wins() -> None:
    phrases = [m.phrase for m in load_vocabulary().matches("公司不交社保")]
    assert "不交社保" in phrases


def test_fillers_are_stripped() -> None:
    assert load_vocabulary().strip_fillers("我想问一下社保吗").split() == ["社保"]


VALID = """version: 1
fillers: 我 吗
groups:
  - category: 工伤
    terms:
      受伤|伤了: 工伤
"""


def test_minimal_file_parses() -> None:
    vocabulary = parse_vocabulary(VALID, "v.yaml")
    assert vocabulary.entries[0].say == ("受伤", "伤了")
    assert vocabulary.entries[0].category == "工伤"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 2\nfillers: a\ngroups: []\n", "unsupported version"),
        ("version: 1\ngroups: []\n", "missing 'fillers'"),
        (VALID.replace("工伤\n    terms", "天气\n    terms"), "unknown category"),
        (VALID + "      受伤: 伤害\n", "duplicate key|already in the entry"),
        (
            VALID.replace("受伤|伤了: 工伤", "受伤: 工伤\n      伤|受伤: 伤害"),
            "already in the entry at line 6",
        ),
        ("version: 1\nfillers: [\n", "not valid YAML"),
    ],
)
def test_malformed_vocabulary_errors_name_the_line(text: str, message: str) -> None:
    with pytest.raises(VocabularyError, match=message) as caught:
        parse_vocabulary(text, "v.yaml")
    assert str(caught.value).startswith("v.yaml:")
