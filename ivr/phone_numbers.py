"""Callback numbers: which numbers the hotline will dial back, and how they are shown in logs.

Only numbers in mainland China's plan are accepted: a mobile (11 digits, 1[3-9]...), a landline
with its area code (0 + 2-3 digit area + 7-8 digit number), or a local Shanghai landline of 8
digits (dialled with 021 in front). Anything else (service numbers, international, premium 95xxx
and 400 numbers, too short) is refused: a callback must never be a way to make the hotline call
an arbitrary number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MOBILE = re.compile(r"1[3-9]\d{9}")
WITH_AREA_CODE = re.compile(r"0[1-9]\d{1,2}[2-9]\d{6,7}")
LOCAL_LANDLINE = re.compile(r"[2-9]\d{7}")
LOCAL_AREA_CODE = "021"
MAX_DIGITS = 12


@dataclass(frozen=True)
class CallbackNumber:
    digits: str
    """What to dial: a mobile, or a landline with its area code."""

    @property
    def masked(self) -> str:
        return mask_number(self.digits)

    @property
    def spoken_digits(self) -> str:
        """The digits as a caller hears them read back: one by one, 1 as 幺 (yāo)."""
        names = "零幺二三四五六七八九"
        return "".join(names[int(d)] for d in self.digits)


def parse_callback_number(raw: str) -> CallbackNumber | None:
    """The number to dial for ``raw`` (a caller ID or keyed digits), or None if not allowed."""
    digits = raw.strip()
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not digits.isdigit() or not digits.isascii() or len(digits) > MAX_DIGITS:
        return None
    if MOBILE.fullmatch(digits) or WITH_AREA_CODE.fullmatch(digits):
        return CallbackNumber(digits)
    if LOCAL_LANDLINE.fullmatch(digits):
        return CallbackNumber(LOCAL_AREA_CODE + digits)
    return None


def mask_number(number: str) -> str:
    """A phone number for logs and events: the first 3 and last 4 digits, the rest hidden."""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]
