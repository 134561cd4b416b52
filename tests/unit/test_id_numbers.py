"""ID-card numbers (GB 11643): the check character decides, and only masked forms leave."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.id_numbers import (
    IdProblem,
    check_character,
    id_from_keys,
    mask_id_number,
    scrub_id_numbers,
    validate_id_number,
)

TODAY = date(2026, 11, 27)
VALID = "11010519491231002X"  # the standard's own example


def sample_valid_id(
    region: str = "310104", born: date = date(1990, 3, 7), sequence: int = 123
) -> str:
    """A number that passes every check, for any address code, birth date and sequence."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        (VALID, None),
        (VALID.lower(), None),
        (f"  {VALID}\n", None),
        (sample_valid_id(), None),
        (sample_valid_id("810000"), None),  # Hong Kong residents' residence permit
        (sample_valid_id("830000"), None),  # Taiwan residents' residence permit
        (sample_valid_id(born=date(1900, 1, 1)), None),
        (sample_valid_id(born=TODAY), None),  # a newborn registered today
        ("110105194912310021", IdProblem.CHECK_CHARACTER),
        ("11010519491231002", IdProblem.LENGTH),
        ("110105491231002", IdProblem.LENGTH),  # the old 15-digit form is not accepted
        ("", IdProblem.LENGTH),
        ("1101051949123100X2", IdProblem.CHARACTERS),
        ("11010519491231002*", IdProblem.CHARACTERS),
        ("１１０１０５１９４９１２３１００２X", IdProblem.CHARACTERS),  # full-width digits
        ("11010519491231002\x00", IdProblem.CHARACTERS),
        ("91010519491231002X", IdProblem.REGION),
        (sample_valid_id("000000"), IdProblem.REGION),
        (sample_valid_id("310000"), IdProblem.REGION),  # a province, not a city or county
        (sample_valid_id("190101"), IdProblem.REGION),  # no province 19
        ("110105194913310025", IdProblem.BIRTH_DATE),  # month 13
        (sample_valid_id(born=date(2026, 11, 28)), IdProblem.BIRTH_DATE),  # born tomorrow
        ("110105189912310011", IdProblem.BIRTH_DATE),  # before 1900
        ("110105199902290011", IdProblem.BIRTH_DATE),  # 29 February of a common year
    ],
)
def test_given_a_number_when_validated_then_the_problem_is_named(
    number: str, problem: IdProblem | None
) -> None:
    check = validate_id_number(number, today=TODAY)
    assert check.problem is problem
    assert check.valid is (problem is None)


@pytest.mark.parametrize(
    ("keys", "number"),
    [
        ("11010519491231002*", VALID),
        ("110105194912310021", "110105194912310021"),
        ("1101051949*231002X", "1101051949*231002X"),  # * only stands for X at the end
        ("", ""),
    ],
)
def test_given_phone_keys_then_a_trailing_star_is_x(keys: str, number: str) -> None:
    assert id_from_keys(keys) == number


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_any_17_digits_with_their_check_character_pass_the_check(first17: str) -> None:
    number = first17 + check_character(first17)
    result = validate_id_number(number, today=TODAY)
    assert result.problem is not IdProblem.CHECK_CHARACTER


@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.sampled_from("0123456789X"))
def test_a_wrong_check_character_is_always_caught(first17: str, last: str) -> None:
    if last != check_character(first17):
        assert not validate_id_number(first17 + last, today=TODAY).valid


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (VALID, "110*************2X"),
        (VALID.lower(), "110*************2x"),
        ("110105194912310021", "110*************21"),  # a wrong check character: still masked
        ("11010519491231002", "*****************"),
        ("110105491231002", "***************"),
        ("abcdefghijklmnopqr", "******************"),  # not ID-shaped: nothing shown
        ("\n10105194912310021", "******************"),
        ("1" * 40, "******************"),
        ("", ""),
    ],
)
def test_given_any_text_when_masked_then_at_most_head_and_tail_show(text: str, masked: str) -> None:
    assert mask_id_number(text) == masked


@given(st.text(max_size=60))
def test_masking_never_shows_more_than_five_characters(text: str) -> None:
    masked = mask_id_number(text)
    assert sum(1 for ch in masked if ch != "*") <= 5
    assert len(masked) <= 18


@pytest.mark.parametrize(
    ("line", "scrubbed"),
    [
        (f"caller gave {VALID}.", "caller gave 110*************2X."),
        (f"id={VALID.lower()}", "id=110*************2x"),
        (f"ID{VALID}", "ID110*************2X"),  # glued to letters: still masked
        ("身份证110105 19491231 002X已核验", "身份证110*************2X已核验"),
        ("110105-19491231-002X", "110*************2X"),
        ("old 110105491231002 form", "old 110**********02 form"),
        ("mobile 13800138000", "mobile 13800138000"),  # a phone number is not an ID number
        ("card 6222021234567890123", "card 6222021234567890123"),  # 19 digits: a bank card
        ("no numbers here", "no numbers here"),
    ],
)
def test_given_free_text_when_scrubbed_then_id_numbers_are_masked(line: str, scrubbed: str) -> None:
    assert scrub_id_numbers(line) == scrubbed


@given(st.text(max_size=40), st.text(max_size=40), st.booleans())
def test_a_valid_number_never_survives_scrubbing(before: str, after: str, lower: bool) -> None:
    number = sample_valid_id().lower() if lower else sample_valid_id()
    line = f"{before} {number} {after}"
    scrubbed = scrub_id_numbers(line)
    assert number not in scrubbed
    assert scrub_id_numbers(scrubbed) == scrubbed
