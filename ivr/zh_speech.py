"""Prompt text made speakable for Mandarin synthesis: numbers become Chinese words.

espeak-ng's Mandarin voice reads Arabic digits poorly ("12333" as a quantity, "15年" in English
order). Before a Mandarin prompt is voiced its numbers are rewritten the way a person would say
them. One left-to-right scan; the first rule that matches at a number wins:

- dates ``2026年1月1日``, ``2026-01-01``, ``2026/1/1``, ``2026.1.1`` -> 二零二六年一月一日 (the
  year digit by digit, month and day as numbers); ``2026-01`` -> 二零二六年一月; ``2026年`` and
  ``2025-2026年`` -> years digit by digit;
- times ``08:30`` -> 八点三十分, ``08:00`` -> 八点, ``02:05`` -> 两点零五分, ``9:00-17:00`` ->
  九点至十七点;
- money ``2590元``, ``¥2,590.50``, ``￥2万`` -> yuan, jiao and fen (两千五百九十元五角);
- percentages ``8%`` -> 百分之八, ``5‰`` -> 千分之五;
- digit groups joined by hyphens: phone numbers (7+ digits: ``021-12333``) digit by digit with 1 as
  幺, short ranges (``5-10个``) with 至;
- any other number: 5+ digits not followed by a measure word (``12333``) digit by digit with 幺,
  like a service number; a code with a leading zero (``021``) likewise; otherwise a number
  (``3.5`` -> 三点五, ``1,234`` -> 一千二百三十四, ``第2位`` -> 第二位), read as a count before a
  measure word (``2个`` -> 两个, ``2000万`` -> 两千万).

Full-width digits are read like ASCII ones. No digit survives, so a second pass changes nothing.
Negative numbers are not recognised: a ``-`` in front of a number is left as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from ivr.zh_numbers import spoken_amount, spoken_count, spoken_digits, spoken_number

MEASURE_WORDS = (
    "小时", "分钟", "公里", "个", "位", "名", "人", "次", "项", "份", "件", "条", "家", "张", "本",
    "种", "套", "台", "辆", "类", "批", "倍", "岁", "年", "天", "周", "秒", "点", "万", "千", "百",
    "亿", "元", "块", "角", "毛", "分", "页", "遍", "步", "笔", "户", "只", "间", "所",
)  # fmt: skip
"""Words that make a number before them a count: 两个, 两年, 两点 (two o'clock), 两千万."""
MAX_SPOKEN_DIGITS = 12
"""A longer whole number is read digit by digit: no one says a thirteen-digit quantity."""
PHONE_MIN_DIGITS = 7
SERVICE_MIN_DIGITS = 5
RANGE_WORD = "至"
_FULL_WIDTH = str.maketrans("０１２３４５６７８９％：", "0123456789%:")

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MONTH = r"1[0-2]|0?[1-9]"
_DAY = r"3[01]|[12]\d|0?[1-9]"
_CLOCK = r"(?:[01]?\d|2[0-3]):[0-5]\d|24:00"
_DASH = r"\s*[-~～至到]\s*"
_RULES = (
    ("date_zh", rf"(?<![\d.])(?P<zy>\d{{4}})\s*年\s*(?P<zm>{_MONTH})\s*月\s*(?P<zd>{_DAY})\s*"
                r"(?P<zs>[日号])"),
    ("date_iso", rf"(?<![\d.])(?P<iy>\d{{4}})(?P<isep>[-/.])(?P<im>{_MONTH})(?P=isep)"
                 rf"(?P<id>{_DAY})(?![\d.])"),
    ("year_month", r"(?<![\d.])(?P<my>\d{4})[-/](?P<mm>0[1-9]|1[0-2])(?![\d./-])"),
    ("years", rf"(?<![\d.])(?P<y1>\d{{4}})(?:{_DASH}(?P<y2>\d{{4}}))?\s*年"),
    ("clock", rf"(?<![\d:.])(?P<t1>{_CLOCK})(?:{_DASH}(?P<t2>{_CLOCK}))?(?![\d:])"),
    ("money", rf"[¥￥]\s*(?P<ma>{_NUM})(?:\s*(?P<mx>[万亿]))?(?:\s*元)?|(?P<mb>{_NUM})\s*元"),
    ("percent", rf"(?P<pn>{_NUM})\s*(?P<ps>[%‰])"),
    ("grouped", r"(?<![\d.])\d+(?:-\d+)+(?![\d.])"),
    ("number", rf"(?P<ord>第\s*)?(?P<num>{_NUM})"),
)  # fmt: skip
_SCAN = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _RULES), re.ASCII)


def speakable(text: str) -> str:
    """``text`` with every number rewritten in Chinese words; text without digits is unchanged.

    Numbers are found in a copy with full-width digits, ``％`` and ``：`` made ASCII (one
    character for one, so positions agree); the text between them is kept as it was (a
    full-width colon in a sentence stays full-width)."""
    normal = text.translate(_FULL_WIDTH)
    parts: list[str] = []
    end = 0
    for match in _SCAN.finditer(normal):
        parts += (text[end : match.start()], _speak(match))
        end = match.end()
    parts.append(text[end:])
    return "".join(parts)


def _speak(match: re.Match[str]) -> str:
    return _SPEAKERS[match.lastgroup or "number"](match)


def _speak_date_zh(match: re.Match[str]) -> str:
    return _date(match["zy"], match["zm"], match["zd"], match["zs"])


def _speak_date_iso(match: re.Match[str]) -> str:
    return _date(match["iy"], match["im"], match["id"], "日")


def _speak_year_month(match: re.Match[str]) -> str:
    return f"{spoken_digits(match['my'])}年{spoken_number(int(match['mm']))}月"


def _speak_years(match: re.Match[str]) -> str:
    return _range(spoken_digits(match["y1"]), match["y2"] and spoken_digits(match["y2"])) + "年"


def _speak_clock(match: re.Match[str]) -> str:
    return _range(_clock(match["t1"]), match["t2"] and _clock(match["t2"]))


def _speak_money(match: re.Match[str]) -> str:
    return _money(match["ma"] or match["mb"], match["mx"])


def _speak_percent(match: re.Match[str]) -> str:
    return ("百分之" if match["ps"] == "%" else "千分之") + _plain(match["pn"])


def _speak_grouped(match: re.Match[str]) -> str:
    return _grouped(match.group(), _following(match))


def _speak_number(match: re.Match[str]) -> str:
    return _number(match["num"], ordinal=match["ord"] is not None, following=_following(match))


_SPEAKERS: dict[str, Callable[[re.Match[str]], str]] = {
    "date_zh": _speak_date_zh,
    "date_iso": _speak_date_iso,
    "year_month": _speak_year_month,
    "years": _speak_years,
    "clock": _speak_clock,
    "money": _speak_money,
    "percent": _speak_percent,
    "grouped": _speak_grouped,
    "number": _speak_number,
}


def _following(match: re.Match[str]) -> str:
    """The text just after a number, to see whether a measure word follows."""
    return match.string[match.end() : match.end() + 8].lstrip()


def _range(first: str, second: str | None) -> str:
    return first if second is None else first + RANGE_WORD + second


def _date(year: str, month: str, day: str, suffix: str) -> str:
    return f"{spoken_digits(year)}年{spoken_number(int(month))}月{spoken_number(int(day))}{suffix}"


def _clock(text: str) -> str:
    """08:30 -> 八点三十分, 08:00 -> 八点, 02:05 -> 两点零五分."""
    hour, minute = (int(part) for part in text.split(":"))
    spoken = spoken_count(hour) + "点"
    if minute:
        spoken += ("零" if minute < 10 else "") + spoken_number(minute) + "分"
    return spoken


def _money(amount: str, multiplier: str | None) -> str:
    """¥2,590.50 -> 两千五百九十元五角; ¥2.5万 -> 二点五万元; too long to say: digit by digit."""
    digits = amount.replace(",", "")
    if multiplier is not None:
        return _number(digits, ordinal=False, following=multiplier) + multiplier + "元"
    if len(digits.partition(".")[0]) > MAX_SPOKEN_DIGITS:
        return _plain(digits) + "元"
    return spoken_amount(Decimal(digits))


def _grouped(text: str, following: str) -> str:
    """Hyphenated digits: a phone number digit by digit, or a short range (5-10) with 至."""
    groups = text.split("-")
    if len(groups) == 2 and sum(len(g) for g in groups) < PHONE_MIN_DIGITS:
        first, second = groups
        return _range(
            _number(first, ordinal=False, following=following),
            _number(second, ordinal=False, following=following),
        )
    return spoken_digits("".join(groups), yao=True)


def _number(text: str, *, ordinal: bool, following: str) -> str:
    digits = text.replace(",", "")
    whole, point, _ = digits.partition(".")
    before_measure = following.startswith(MEASURE_WORDS)
    if ordinal:
        return "第" + _plain(digits)
    if not point and "," not in text and len(whole) >= 3 and whole.startswith("0"):
        return spoken_digits(whole, yao=True)  # a code: 021, 007
    if not point and "," not in text and len(whole) >= SERVICE_MIN_DIGITS and not before_measure:
        return spoken_digits(whole, yao=True)  # a service or phone number: 12333
    if before_measure and not point and len(whole) <= MAX_SPOKEN_DIGITS:
        return spoken_count(int(whole))
    return _plain(digits)


def _plain(number: str) -> str:
    """A number as read aloud: 3.5 -> 三点五, 1,234 -> 一千二百三十四; 二, never 两."""
    whole, _, decimals = number.replace(",", "").partition(".")
    too_long = len(whole) > MAX_SPOKEN_DIGITS
    spoken = spoken_digits(whole) if too_long else spoken_number(int(whole))
    return spoken + ("点" + spoken_digits(decimals) if decimals else "")
