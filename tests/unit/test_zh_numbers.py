"""Mandarin readings of numbers, counts, waits and amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.zh_numbers import (
    spoken_amount,
    spoken_count,
    spoken_digits,
    spoken_minutes,
    spoken_number,
)


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (0, "零"),
        (1, "一"),
        (2, "二"),
        (10, "十"),
        (12, "十二"),
        (20, "二十"),
        (99, "九十九"),
        (100, "一百"),
        (101, "一百零一"),
        (110, "一百一十"),
        (1000, "一千"),
        (1001, "一千零一"),
        (1020, "一千零二十"),
        (1234, "一千二百三十四"),
        (10000, "一万"),
        (10001, "一万零一"),
        (10010, "一万零一十"),
        (10100, "一万零一百"),
        (11000, "一万一千"),
        (100000, "十万"),
        (120000, "十二万"),
        (1000000, "一百万"),
        (12333, "一万二千三百三十三"),
        (100000001, "一亿零一"),
        (100010000, "一亿零一万"),
        (1_0000_0000_0000, "一万亿"),
        (-5, "负五"),
    ],
)
def test_given_an_integer_when_spoken_then_the_mandarin_reading(n: int, text: str) -> None:
    assert spoken_number(n) == text


@pytest.mark.parametrize(
    ("n", "text"),
    [
        (2, "两"),
        (12, "十二"),
        (20, "二十"),
        (22, "二十二"),
        (200, "两百"),
        (2500, "两千五百"),
        (20000, "两万"),
        (200000, "二十万"),
        (1200, "一千二百"),
        (3, "三"),
    ],
)
def test_given_a_count_when_spoken_then_a_leading_two_is_liang(n: int, text: str) -> None:
    assert spoken_count(n) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "不到一分钟"),
        (59.9, "不到一分钟"),
        (60, "约一分钟"),
        (89, "约一分钟"),
        (90, "约两分钟"),
        (120, "约两分钟"),
        (600, "约十分钟"),
    ],
)
def test_given_a_wait_when_spoken_then_minutes_are_rounded(seconds: float, text: str) -> None:
    assert spoken_minutes(seconds) == text


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("1234.50", "一千二百三十四元五角"),
        ("1234.5", "一千二百三十四元五角"),
        ("12.34", "十二元三角四分"),
        ("10.05", "十元零五分"),
        ("0.50", "五角"),
        ("0.05", "五分"),
        ("0", "零元"),
        ("100", "一百元"),
        ("2", "两元"),
        ("0.2", "两角"),
        ("3.004", "三元"),
        ("3.005", "三元零一分"),
        ("-1.5", "负一元五角"),
    ],
)
def test_given_an_amount_when_spoken_then_yuan_jiao_fen(amount: str, text: str) -> None:
    assert spoken_amount(Decimal(amount)) == text


def test_given_bad_input_when_spoken_then_value_error() -> None:
    with pytest.raises(ValueError, match="large"):
        spoken_number(10**16)
    with pytest.raises(ValueError, match="negative"):
        spoken_minutes(-1)


@given(st.integers(min_value=1, max_value=10**16 - 1))
def test_given_any_number_when_spoken_then_no_doubled_or_trailing_zero(n: int) -> None:
    text = spoken_number(n)
    assert "零零" not in text
    assert not text.endswith("零")
    assert not text.startswith("零")
    assert set(text) <= set("零一二三四五六七八九十百千万亿")


@pytest.mark.parametrize(
    ("digits", "yao", "text"),
    [
        ("2026", False, "二零二六"),
        ("12333", True, "幺二三三三"),
        ("12333", False, "一二三三三"),
        ("", False, ""),
    ],
)
def test_given_digits_when_spoken_one_by_one_then_each_digit_is_named(
    digits: str, yao: bool, text: str
) -> None:
    assert spoken_digits(digits, yao=yao) == text


@pytest.mark.parametrize("digits", ["12a", "１２", "-1", "1.5"])
def test_given_non_digits_when_spoken_one_by_one_then_value_error(digits: str) -> None:
    with pytest.raises(ValueError, match="digits"):
        spoken_digits(digits)
