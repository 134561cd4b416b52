"""Prompt texts made speakable: numbers as a Mandarin speaker says them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.zh_speech import speakable


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("欢迎致电12333。", "欢迎致电幺二三三三。"),
        ("请拨打021-12333", "请拨打零二幺幺二三三三"),
        ("累计缴费满15年", "累计缴费满十五年"),
        ("每月支付2倍工资", "每月支付两倍工资"),
        ("您是第2位", "您是第二位"),
        ("上午9点至12点", "上午九点至十二点"),
        ("08:30开门", "八点三十分开门"),
        ("14:00", "十四点"),
        ("2026年1月1日起", "二零二六年一月一日起"),
        ("2026-10-01", "二零二六年十月一日"),
        ("基数为¥7,310元", "基数为七千三百一十元"),
        ("补贴2590.5元", "补贴两千五百九十元五角"),
        ("上涨8%", "上涨百分之八"),
        ("利率3.5", "利率三点五"),
        ("没有数字。", "没有数字。"),
    ],
)
def test_numbers_are_spoken(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


@given(st.text(max_size=300))
def test_no_digit_survives_and_a_second_pass_changes_nothing(text: str) -> None:
    once = speakable(text)
    assert not any(ch in "0123456789" for ch in once)
    assert speakable(once) == once


def test_hostile_input_is_handled() -> None:
    assert speakable("\x00😀" + "9" * 10_000)  # no error, and digits spoken one by one
