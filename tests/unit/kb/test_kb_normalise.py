from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kb.index import SearchIndex
from kb.normalise import MAX_QUERY_CHARS, normalise_query, normalise_text, normalise_texts


def test_traditional_script_becomes_simplified() -> None:
    assert normalise_text("醫療保險與勞動合同") == "医疗保险与劳动合同"


def test_full_width_letters_digits_and_spaces_become_half_width() -> None:
    assert normalise_query("ＡＢＣ１２３　ｘ（一）") == "abc123 x(一)"


def test_control_format_and_nul_characters_are_removed() -> None:
    assert normalise_query("社\x00保\u200b卡\x07") == "社保卡"


def test_whitespace_controls_become_spaces() -> None:
    assert normalise_query("社保\n\t医保") == "社保 医保"


def test_long_query_is_capped() -> None:
    assert len(normalise_query("社保" * 10_000)) == MAX_QUERY_CHARS


def test_batch_normalisation_equals_one_by_one() -> None:
    texts = ["勞動", "", "ＡＢ\n", "a\uffffb", "😀醫保"]
    assert normalise_texts(texts) == [normalise_text(text) for text in texts]


def test_traditional_question_finds_the_same_provisions(sample_index: SearchIndex) -> None:
    simplified = sample_index.search("老板拖欠工资不发怎么办")
    traditional = sample_index.search("老闆拖欠工資不發怎麼辦")
    assert [hit.id for hit in traditional] == [hit.id for hit in simplified]


def test_full_width_question_finds_the_same_provisions(sample_index: SearchIndex) -> None:
    assert [h.id for h in sample_index.search("試用期６個月")] == [
        h.id for h in sample_index.search("试用期6个月")
    ]


def test_odd_queries_return_a_list(sample_index: SearchIndex) -> None:
    odd = [
        "",
        "   ",
        "\x00\x00",
        "😀😡🙏",
        "社保" * 5000,  # 10 kB
        'AND OR NOT * " ( ) : ~ ^ 社保 AND 医保',
        "\ud800\udfff",
        "\uffff社保",
        "' OR 1=1; --",
    ]
    for query in odd:
        assert isinstance(sample_index.search(query), list)


def test_operators_are_plain_text(sample_index: SearchIndex) -> None:
    assert [h.id for h in sample_index.search('"工伤" AND (认定)')] == [
        h.id for h in sample_index.search("工伤 认定")
    ]


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_string_never_raises(sample_index: SearchIndex, query: str) -> None:
    hits = sample_index.search(query, top=5)
    assert len(hits) <= 5
