"""Resident ID-card numbers (GB 11643-1999): checked by their check character, only ever masked.

An ID number is 18 characters: a 6-digit address code (GB/T 2260: a province 11-65, 71 Taiwan,
81 Hong Kong, 82 Macao; 810000, 820000 and 830000 are the residence permits of Hong Kong, Macao
and Taiwan residents), the birth date YYYYMMDD, a 3-digit sequence and a check character (ISO
7064 MOD 11-2: 0-9 or X). Only ASCII digits count: normalise full-width input before.

Callers key the number on a phone: the trailing X is keyed as ``*``. Nothing here keeps the
number; callers of these functions must log, publish and store only ``mask_id_number``'s form
(``110*************2X``: the first 3 and the last 2) or pass free text through
``scrub_id_numbers``.
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
PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83",
})  # fmt: skip
RESIDENCE_PERMIT_REGIONS = frozenset({"810000", "820000", "830000"})
_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_MASKABLE = re.compile(r"[0-9]{17}[0-9Xx]")
_IN_TEXT = re.compile(
    r"(?<!\d)(?:\d{6}([ -]?)\d{8}\1\d{3}[\dXx]|\d{15})(?!\d)"
)  # Unicode digits too: a full-width number in a log is as personal as an ASCII one


class IdProblem(enum.StrEnum):
    """Why a number was refused, checked in this order; the IVR may play a prompt per problem."""

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
    """Phone keys to an ID number: ``*`` stands for X, and only as the last character (a ``*``
    elsewhere is kept, and validation refuses it as a bad character)."""
    if keys.endswith("*"):
        keys = keys[:-1] + "X"
    return keys


def check_character(first17: str) -> str:
    """The 18th character for 17 digits (ISO 7064 MOD 11-2); ValueError for anything else."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def validate_id_number(text: str, *, today: date) -> IdCheck:
    """Whether ``text`` is an ID number, or its first problem in the order of ``IdProblem``; a
    lower-case x is accepted, surrounding spaces are ignored. ``today`` bounds the birth date."""
    number = text.strip().upper()
    if len(number) != LENGTH:
        return IdCheck(IdProblem.LENGTH)
    if not _SHAPE.fullmatch(number):
        return IdCheck(IdProblem.CHARACTERS)
    if not _plausible_region(number[:6]):
        return IdCheck(IdProblem.REGION)
    if not _plausible_birth(number[6:14], today):
        return IdCheck(IdProblem.BIRTH_DATE)
    if check_character(number[:17]) != number[17]:
        return IdCheck(IdProblem.CHECK_CHARACTER)
    return IdCheck(None)


def _plausible_region(code: str) -> bool:
    """A known province, and a city or county below it (not 110000), or a residence permit."""
    if code in RESIDENCE_PERMIT_REGIONS:
        return True
    return code[:2] in PROVINCES and code[2:] != "0000"


def _plausible_birth(digits: str, today: date) -> bool:
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return False
    return EARLIEST_BIRTH <= born <= today


def mask_id_number(text: str) -> str:
    """``110*************2X``: the first 3 and last 2 of something shaped like an ID number (17
    digits and a digit or X, valid or not); of anything else only stars, at most 18."""
    if not _MASKABLE.fullmatch(text):
        return "*" * min(len(text), LENGTH)
    return text[:SHOWN_HEAD] + "*" * (LENGTH - SHOWN_HEAD - SHOWN_TAIL) + text[-SHOWN_TAIL:]


def scrub_id_numbers(text: str) -> str:
    """Free text (a log line, a note) with every ID-like number in it masked: 18 characters (17
    digits and a digit or X, also written 6-8-4 with spaces or hyphens) or an old 15-digit
    number, standing alone (not inside a longer run of digits). Masks more rather than less."""
    return _IN_TEXT.sub(lambda m: _mask_any(m.group(0)), text)


def _mask_any(number: str) -> str:
    """Head and tail of a found number, its separators dropped: 18 or 15 characters."""
    compact = number.replace(" ", "").replace("-", "")
    hidden = len(compact) - SHOWN_HEAD - SHOWN_TAIL
    return compact[:SHOWN_HEAD] + "*" * hidden + compact[-SHOWN_TAIL:]
