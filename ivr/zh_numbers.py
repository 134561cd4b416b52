"""Numbers, waits and amounts read out in Mandarin, for prompts built from text (TTS) or from
recorded syllables. Pure functions, table-tested.

- ``spoken_number(1234)`` -> "一千二百三十四": the reading of a numeral (二, never 两); 10-19 at
  the start are read 十..十九, inside a number 一十 (110 -> 一百一十); one 零 for each run of
  zeros between non-zero digits (1001 -> 一千零一, 10001 -> 一万零一).
- ``spoken_count(2)`` -> "两": for counting things (两位, 两分钟), the leading 2 of a number is
  read 两 (200 -> 两百, 2500 -> 两千五百, 20000 -> 两万); a 2 elsewhere stays 二 (22 -> 二十二,
  12 -> 十二).
- ``spoken_minutes(seconds)`` -> "约两分钟" or "不到一分钟".
- ``spoken_amount(Decimal("1234.50"))`` -> "一千二百三十四元五角" (to the fen, half up); yuan,
  jiao and fen are counts (两元, 两角).
- ``spoken_digits("2026")`` -> "二零二六": digit by digit, as years are read; with ``yao=True``
  1 is 幺, as in phone and service numbers (12333 -> 幺二三三三).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

DIGITS = "零一二三四五六七八九"
PHONE_DIGITS = "零幺二三四五六七八九"
"""Digits as said in phone and service numbers: 1 is 幺 (yāo), never confused with 七."""
GROUP_UNITS = ("", "万", "亿", "万亿")
PLACES = ((1000, "千"), (100, "百"), (10, "十"), (1, ""))
LIMIT = 10**16


def spoken_number(n: int) -> str:
    """The Mandarin reading of an integer, |n| < 10^16."""
    if n < 0:
        return "负" + spoken_number(-n)
    if n >= LIMIT:
        raise ValueError(f"{n} is too large to read out")
    if n == 0:
        return DIGITS[0]
    text = "".join(_groups(n))
    return text[1:] if text.startswith("一十") else text


def spoken_count(n: int) -> str:
    """A count of things: like spoken_number, but a leading 2 is 两 (两位, 两百, 两万)."""
    text = spoken_number(n)
    if n >= 0 and text.startswith("二") and not text.startswith("二十"):
        return "两" + text[1:]
    return text


def spoken_minutes(seconds: float) -> str:
    """An estimated wait: "不到一分钟" under a minute, else "约N分钟" to the nearest minute."""
    if seconds < 0:
        raise ValueError(f"a wait cannot be negative: {seconds}")
    if seconds < 60:
        return "不到一分钟"
    minutes = int(Decimal(str(seconds / 60)).quantize(Decimal(1), ROUND_HALF_UP))
    return f"约{spoken_count(minutes)}分钟"


def spoken_amount(yuan: Decimal) -> str:
    """An amount of money in yuan, jiao and fen: 1234.5 -> 一千二百三十四元五角."""
    fen_total = int((yuan * 100).quantize(Decimal(1), ROUND_HALF_UP))
    if fen_total < 0:
        return "负" + spoken_amount(Decimal(-fen_total) / 100)
    whole, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    parts: list[str] = []
    if whole or not (jiao or fen):
        parts.append(spoken_count(whole) + "元")
    if jiao:
        parts.append(spoken_count(jiao) + "角")
    if fen:
        if whole and not jiao:
            parts.append("零")
        parts.append(spoken_count(fen) + "分")
    return "".join(parts)


def spoken_digits(digits: str, *, yao: bool = False) -> str:
    """Digits read one by one: "2026" -> "二零二六"; with ``yao`` 1 is 幺, as in phone numbers."""
    if digits.strip("0123456789"):
        raise ValueError(f"only the digits 0-9 can be read one by one: {digits!r}")
    names = PHONE_DIGITS if yao else DIGITS
    return "".join(names[int(digit)] for digit in digits)


def _groups(n: int) -> list[str]:
    """Groups of four digits, highest first, with their units and the 零 between them."""
    values = [n // 10 ** (4 * i) % 10**4 for i in range(len(GROUP_UNITS))]
    parts: list[str] = []
    gap = False
    for index in reversed(range(len(GROUP_UNITS))):
        value = values[index]
        if value == 0:
            gap = gap or bool(parts)
            continue
        if parts and (gap or value < 1000):
            parts.append(DIGITS[0])
        parts.append(_group(value) + GROUP_UNITS[index])
        gap = False
    return parts


def _group(value: int) -> str:
    """1-9999 read digit by digit with places; one 零 for zeros between non-zero digits."""
    parts: list[str] = []
    zero = False
    for place, unit in PLACES:
        digit = value // place % 10
        if digit == 0:
            zero = zero or bool(parts)
            continue
        if zero:
            parts.append(DIGITS[0])
            zero = False
        parts.append(DIGITS[digit] + unit)
    return "".join(parts)
