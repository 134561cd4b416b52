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


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        (VALID, None),
        (VALID.lower(), None),
        ("110105194912310021", IdProblem.CHECK_CHARACTER),
        ("11010519491231002", IdProblem.LENGTH),
        ("1101051949123100X2", IdProblem.CHARACTERS),
        ("91010519491231002X", IdProblem.REGION),
        ("110105194913310025", IdProblem.BIRTH_DATE),  # month 13
        ("110105203001010011", IdProblem.BIRTH_DATE),  # born in the future
        ("110105189912310011", IdProblem.BIRTH_DATE),  # before 1900
        ("", IdProblem.LENGTH),
    ],
)
def test_validation_names_the_problem(number: str, problem: IdProblem | None) -> None:
    assert validate_id_number(number, today=TODAY).problem is problem


def test_star_is_x_only_at_the_end() -> None:
    assert id_from_keys("11010519491231002*") == VALID
    assert id_from_keys("1101051949*231002X") == "1101051949*231002X"


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_any_17_digits_with_their_check_character_pass_the_check(first17: str) -> None:
    number = first17 + check_character(first17)
    result = validate_id_number(number, today=TODAY)
    assert result.problem is not IdProblem.CHECK_CHARACTER


@given(st.text(max_size=60))
def test_masking_never_shows_more_than_five_characters(text: str) -> None:
    masked = mask_id_number(text)
    assert sum(1 for ch in masked if ch != "*") <= 5
    assert len(masked) <= 18


def test_mask_keeps_head_and_tail() -> None:
    assert mask_id_number(VALID) == "110*************2X"


def test_scrub_masks_numbers_inside_text() -> None:
    line = f"caller gave {VALID} and 110105491231002 then 13800138000"
    scrubbed = scrub_id_numbers(line)
    assert VALID not in scrubbed
    assert "110105491231002" not in scrubbed
    assert "13800138000" in scrubbed  # a phone number is not an ID number
