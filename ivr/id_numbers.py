"""Resident ID-card numbers (GB 11643-1999): checked by their check character, only ever masked.

Callers key the number on a phone: the trailing X is keyed as ``*``. Nothing here keeps the
number; callers of these functions must log, publish and store only ``mask_id_number``'s form.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date

LENGTH = 18
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
EARLIEST_BIRTH = date(1900, 1, 1)
SHOWN_HEAD, SHOWN_TAIL = 3, 2
"""A masked number shows the province (first 3) and the last 2: enough for an agent to confirm
with the caller, never enough to identify anyone."""
_SHAPE = re.compile(r"\d{17}[\dX]")
_IN_TEXT = re.compile(r"(?<![\dA-Za-z])(?:\d{17}[\dXx]|\d{15})(?![\dA-Za-z])")


class IdProblem(enum.StrEnum):
    LENGTH = "length"
    CHARACTERS = "characters"
    REGION = "region"
    BIRTH_DATE = "birth_date"
    CHECK_CHARACTER = "check_character"


@dataclass(frozen=True)
class IdCheck:
    problem: IdProblem | None

    @property
    def valid(self) -> bool:
        return self.problem is None


def id_from_keys(keys: str) -> str:
    """Phone keys to an ID number: ``*`` stands for X, and only as the last character."""
    if keys.endswith("*"):
        keys = keys[:-1] + "X"
    return keys


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def validate_id_number(text: str, *, today: date) -> IdCheck:
    number = text.strip().upper()
    if len(number) != LENGTH:
        return IdCheck(IdProblem.LENGTH)
    if not _SHAPE.fullmatch(number):
        return IdCheck(IdProblem.CHARACTERS)
    if number[0] not in "12345678" or number[2:6] == "0000":
        return IdCheck(IdProblem.REGION)
    if not _plausible_birth(number[6:14], today):
        return IdCheck(IdProblem.BIRTH_DATE)
    if check_character(number[:17]) != number[17]:
        return IdCheck(IdProblem.CHECK_CHARACTER)
    return IdCheck(None)


def _plausible_birth(digits: str, today: date) -> bool:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return False
    return EARLIEST_BIRTH <= born <= today


def mask_id_number(text: str) -> str:
    """``110*************2X``: the head and tail only, and nothing of an input of another length."""
    if len(text) != LENGTH:
        return "*" * min(len(text), LENGTH)
    return text[:SHOWN_HEAD] + "*" * (LENGTH - SHOWN_HEAD - SHOWN_TAIL) + text[-SHOWN_TAIL:]


def scrub_id_numbers(text: str) -> str:
    """Free text (a log line, a note) with every ID-like number in it masked."""
    return _IN_TEXT.sub(lambda m: _mask_any(m.group(0)), text)


def _mask_any(number: str) -> str:
    if len(number) == LENGTH:
        return mask_id_number(number)
    return number[:SHOWN_HEAD] + "*" * (len(number) - SHOWN_HEAD - SHOWN_TAIL) + number[-2:]
