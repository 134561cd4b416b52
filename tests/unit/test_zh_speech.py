"""Prompt texts made speakable: numbers as a Mandarin speaker says them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.zh_speech import speakable


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        # service and phone numbers: digit by digit, 1 as 幺
        ("欢迎致电12333。", "欢迎致电幺二三三三。"),
        ("12333热线", "幺二三三三热线"),
        ("请拨打021-12333", "请拨打零二幺幺二三三三"),
        ("400-820-8820", "四零零八二零八八二零"),
        ("13800138000", "幺三八零零幺三八零零零"),
        ("区号021", "区号零二幺"),
        # dates: the year digit by digit, month and day as numbers
        ("2026年1月1日起", "二零二六年一月一日起"),
        ("2026-10-01", "二零二六年十月一日"),
        ("2026/1/1", "二零二六年一月一日"),
        ("2026.1.1", "二零二六年一月一日"),
        ("2026年10月", "二零二六年十月"),
        ("2026-01", "二零二六年一月"),
        ("2025-2026年度", "二零二五至二零二六年度"),
        ("02月03日", "二月三日"),
        ("2月2日", "二月二日"),
        # times
        ("08:30开门", "八点三十分开门"),
        ("08:00", "八点"),
        ("14:00", "十四点"),
        ("2:00", "两点"),
        ("9:05", "九点零五分"),
        ("24:00", "二十四点"),
        ("9:00-17:00", "九点至十七点"),
        ("上午9点至12点", "上午九点至十二点"),
        ("2点半", "两点半"),
        # money: yuan, jiao, fen
        ("2590元", "两千五百九十元"),
        ("¥2,590.50", "两千五百九十元五角"),
        ("补贴2590.5元", "补贴两千五百九十元五角"),
        ("基数为¥7,310元", "基数为七千三百一十元"),
        ("￥100", "一百元"),
        ("¥2万", "两万元"),
        ("2.5万元", "二点五万元"),
        ("100.00元", "一百元"),
        ("0.5元", "五角"),
        # percentages and decimals
        ("上涨8%", "上涨百分之八"),
        ("12.5%", "百分之十二点五"),
        ("5‰", "千分之五"),
        ("利率3.5", "利率三点五"),
        ("3.14159", "三点一四一五九"),
        # counts: 两 before a measure word, 二 in ordinals, months, keys and numerals
        ("累计缴费满15年", "累计缴费满十五年"),
        ("每月支付2倍工资", "每月支付两倍工资"),
        ("2个", "两个"),
        ("2个月", "两个月"),
        ("2分钟", "两分钟"),
        ("2小时", "两小时"),
        ("20个", "二十个"),
        ("22人", "二十二人"),
        ("2000万", "两千万"),
        ("共2,000人", "共两千人"),
        ("20000人", "两万人"),
        ("您是第2位", "您是第二位"),
        ("第12位", "第十二位"),
        ("请按2", "请按二"),
        ("2号窗口", "二号窗口"),
        ("1,234", "一千二百三十四"),
        ("5-10个工作日", "五至十个工作日"),
        ("1至2个", "一至两个"),
        # full-width digits are digits too
        ("２０２６年１月１日", "二零二六年一月一日"),
        ("２：０５", "两点零五分"),
        # left alone
        ("没有数字。", "没有数字。"),
        ("", ""),
    ],
)
def test_given_a_prompt_text_when_made_speakable_then_numbers_are_words(
    text: str, spoken: str
) -> None:
    assert speakable(text) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("99999999999999999元", "九九九九九九九九九九九九九九九九九元"),
        ("第99999999999999999位", "第九九九九九九九九九九九九九九九九九位"),
        ("99999999999999999%", "百分之九九九九九九九九九九九九九九九九九"),
        ("25:00", "二十五:零"),
        ("1.2.3", "一点二.三"),
    ],
)
def test_given_odd_numbers_when_made_speakable_then_no_error(text: str, spoken: str) -> None:
    assert speakable(text) == spoken


@given(st.text(max_size=300))
def test_given_any_text_then_no_digit_survives_and_a_second_pass_changes_nothing(
    text: str,
) -> None:
    once = speakable(text)
    assert not any(ch in "0123456789０１２３４５６７８９" for ch in once)
    assert speakable(once) == once


@given(st.text(alphabet="0123456789.,:-/%¥元年月日个第 ", max_size=80))
def test_given_number_soup_then_every_digit_is_spoken(text: str) -> None:
    assert not any(ch.isascii() and ch.isdigit() for ch in speakable(text))


@given(st.text(alphabet=st.characters(blacklist_categories=["Nd"]), max_size=200))
def test_given_text_without_digits_then_it_is_unchanged(text: str) -> None:
    assert speakable(text) == text


def test_given_full_width_punctuation_outside_numbers_then_it_is_kept() -> None:
    # Found by the property above: a lone full-width colon came back as an ASCII one.
    assert speakable("咨询：") == "咨询："
    assert speakable("咨询：上午９：３０，比例５０％") == "咨询：上午九点三十分，比例百分之五十"


def test_given_hostile_input_when_made_speakable_then_no_error() -> None:
    spoken = speakable("\x00😀" + "9" * 10_000 + "元" + "1-" * 2_000 + "%" * 100)
    assert spoken.startswith("\x00😀九九")
    assert not any(ch.isascii() and ch.isdigit() for ch in spoken)
