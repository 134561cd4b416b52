"""Prompt text made speakable for Mandarin synthesis: numbers become Chinese words.

espeak-ng's Mandarin voice reads Arabic digits poorly ("12333" as a quantity, "15年" in English
order). Before a Mandarin prompt is voiced its numbers are rewritten the way a person would say
them: service and phone numbers digit by digit with 1 as 幺, years digit by digit, months, days,
times, amounts of money, percentages and counts as numbers (两 before a measure word).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ivr.zh_numbers import spoken_amount, spoken_number

DIGITS = "零一二三四五六七八九"
PHONE_DIGITS = "零幺二三四五六七八九"
MEASURE_WORDS = "个位年天倍次项份名家条周岁"
MAX_DECIMAL_PLACES = 4

_DATE = re.compile(r"(\d{4})(?:年|-)(\d{1,2})(?:月|-)(\d{1,2})日?")
_TIME = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})(?![\d:])")
_MONEY = re.compile(r"[¥￥]?(\d[\d,]*(?:\.\d{1,2})?)\s*元")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]")
_PHONE = re.compile(r"\d{3,4}-\d{5,8}|\d{5,}")
_NUMBER = re.compile(r"(第?)(\d+(?:\.\d+)?)")


def speakable(text: str) -> str:
    text = _DATE.sub(_date, text)
    text = _TIME.sub(_time, text)
    text = _MONEY.sub(_money, text)
    text = _PERCENT.sub(lambda m: "百分之" + _plain(m.group(1)), text)
    text = _PHONE.sub(lambda m: _digit_by_digit(m.group(0)), text)
    return _NUMBER.sub(_count, text)


def _digit_by_digit(digits: str, names: str = PHONE_DIGITS) -> str:
    return "".join(names[int(d)] for d in digits if d.isdigit())


def _date(match: re.Match[str]) -> str:
    year, month, day = match.groups()
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return match.group(0).replace("-", "年", 1)  # not a date: leave it to the other rules
    return (
        f"{_digit_by_digit(year, DIGITS)}年{spoken_number(int(month))}月{spoken_number(int(day))}日"
    )


def _time(match: re.Match[str]) -> str:
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 24 or minute > 59:
        return match.group(0)
    spoken_hour = "两" if hour == 2 else spoken_number(hour)
    return f"{spoken_hour}点" + (f"{spoken_number(minute)}分" if minute else "")


def _money(match: re.Match[str]) -> str:
    try:
        amount = Decimal(match.group(1).replace(",", ""))
    except InvalidOperation:
        return match.group(0)
    return spoken_amount(amount)


def _plain(number: str) -> str:
    whole, _, decimals = number.partition(".")
    spoken = spoken_number(int(whole)) if len(whole) <= 12 else _digit_by_digit(whole, DIGITS)
    if decimals:
        spoken += "点" + _digit_by_digit(decimals[:MAX_DECIMAL_PLACES], DIGITS)
    return spoken


def _count(match: re.Match[str]) -> str:
    ordinal, number = match.groups()
    following = match.string[match.end() : match.end() + 1]
    if number == "2" and not ordinal and following and following in MEASURE_WORDS:
        return "两"
    return ordinal + _plain(number)
