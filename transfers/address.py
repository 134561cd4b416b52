"""Which district an address is in: a caller's or an employer's address as typed by an agent.

``resolve(directory, address)`` finds the directory's names in the address (districts with or
without 区, former districts such as 卢湾区 and 闸北区, 街道/镇/乡 with or without their suffix,
aliases) and decides:

- resolved: every name found points to one district (长宁区华阳路街道, 虹桥 with 华阳路, 陆家嘴);
- ambiguous: names from two districts appear (长宁区陆家嘴), or only a shared name (虹桥);
- unresolved: nothing recognised, with the reason.

A name inside a longer name found at the same place is not counted on its own: 宝山路街道 is in
静安区, even though it contains 宝山; 北外滩 is not 外滩. Roads are not in the directory, so a
road that shares a place's name (天山路 in 天山路街道) counts as that place.

The text is normalised first: NFKC (full-width letters and digits), traditional characters to
simplified (a small table for the characters of Shanghai's place names and common address words),
spaces dropped, other punctuation and symbols kept as separators. Hostile input never raises:
only the first MAX_ADDRESS_CHARS characters are read, control characters and emoji are separators.
"""

from __future__ import annotations

import enum
import unicodedata
from dataclasses import dataclass

from transfers.directory import Directory, Term, TermKind

MAX_ADDRESS_CHARS = 1000
MAX_MATCHES = 200
SEPARATOR = "|"

# Traditional → simplified for the characters of the directory's names and of addresses.
_TRADITIONAL = (
    "黃匯滙長寧靜楊閔寶東區縣鎮鄉華陽蘇橋灣門場陸廣豐岡龍涇風馬羅張莊書團頭萬興鶴練澤"
    "趙葉涼歐鋼碼滬濰慶園呂衛車蕩崑廟豎綠設陳臨灘楓誼賢雲壽徵錦顓隴吳顧盧閘橫島號樓國"
    "單棟層開發廠業務勞動資際貿廈劉鄭線環鐵鄰裡舊館醫學歲電話護養險劃"
)
_SIMPLIFIED = (
    "黄汇汇长宁静杨闵宝东区县镇乡华阳苏桥湾门场陆广丰冈龙泾风马罗张庄书团头万兴鹤练泽"
    "赵叶凉欧钢码沪潍庆园吕卫车荡昆庙竖绿设陈临滩枫谊贤云寿征锦颛陇吴顾卢闸横岛号楼国"
    "单栋层开发厂业务劳动资际贸厦刘郑线环铁邻里旧馆医学岁电话护养险划"
)
TRADITIONAL_TO_SIMPLIFIED = str.maketrans(_TRADITIONAL, _SIMPLIFIED)


class Outcome(enum.StrEnum):
    RESOLVED = "resolved"
    AMBIGUOUS = "ambiguous"
    UNRESOLVED = "unresolved"


@dataclass(frozen=True)
class Resolution:
    outcome: Outcome
    district_id: str | None
    """Set only when resolved."""
    candidates: tuple[str, ...]
    """The districts the names found point to (sorted): one when resolved, several when
    ambiguous, none when unresolved."""
    found: tuple[str, ...]
    """The names recognised, in the order they appear."""
    reason: str

    @property
    def resolved(self) -> bool:
        return self.outcome is Outcome.RESOLVED


def normalise(address: str) -> str:
    """The address as the resolver reads it: NFKC, simplified, no spaces, one separator for any
    run of other non-letters. Never raises; reads MAX_ADDRESS_CHARS characters at most."""
    text = unicodedata.normalize("NFKC", address[: MAX_ADDRESS_CHARS * 2])[:MAX_ADDRESS_CHARS]
    text = text.translate(TRADITIONAL_TO_SIMPLIFIED)
    kept: list[str] = []
    for char in text:
        if char.isspace():
            continue
        if char.isalnum():
            kept.append(char)
        elif not kept or kept[-1] != SEPARATOR:
            kept.append(SEPARATOR)
    return "".join(kept)


def resolve(directory: Directory, address: str) -> Resolution:
    text = normalise(address)
    if not text.strip(SEPARATOR):
        return Resolution(Outcome.UNRESOLVED, None, (), (), "the address is empty")
    matches = _outermost(_find(directory.terms, text))
    if not matches:
        return Resolution(
            Outcome.UNRESOLVED, None, (), (), "no district, 街道, 镇 or 乡 name found"
        )
    found = tuple(dict.fromkeys(term.text for _, _, term in matches))
    terms = [term for _, _, term in matches]
    return _decide(directory, terms, found)


def _decide(directory: Directory, terms: list[Term], found: tuple[str, ...]) -> Resolution:
    named: set[str] = set()
    for term in terms:
        if term.kind is TermKind.DISTRICT:
            named |= term.districts
    places = [term for term in terms if term.kind is TermKind.PLACE]
    if named:
        strays = [term for term in places if not term.districts & named]
        candidates = set(named).union(*(term.districts for term in strays))
        if len(named) == 1 and not strays:
            return _resolved(directory, next(iter(named)), found)
        return _ambiguous(directory, candidates, found)
    common = set.intersection(*(set(term.districts) for term in places))
    if len(common) == 1:
        return _resolved(directory, next(iter(common)), found)
    return _ambiguous(directory, set().union(*(term.districts for term in places)), found)


def _resolved(directory: Directory, district_id: str, found: tuple[str, ...]) -> Resolution:
    name = directory.district(district_id).name
    reason = f"{'、'.join(found)} → {name}"
    return Resolution(Outcome.RESOLVED, district_id, (district_id,), found, reason)


def _ambiguous(directory: Directory, candidates: set[str], found: tuple[str, ...]) -> Resolution:
    ordered = tuple(sorted(candidates))
    names = "、".join(directory.district(did).name for did in ordered)
    reason = f"{'、'.join(found)} point to several districts: {names}"
    return Resolution(Outcome.AMBIGUOUS, None, ordered, found, reason)


Match = tuple[int, int, Term]


def _find(terms: tuple[Term, ...], text: str) -> list[Match]:
    matches: list[Match] = []
    for term in terms:
        start = text.find(term.text)
        while start >= 0 and len(matches) < MAX_MATCHES:
            matches.append((start, start + len(term.text), term))
            start = text.find(term.text, start + 1)
    return sorted(matches, key=lambda match: (match[0], -match[1]))


def _outermost(matches: list[Match]) -> list[Match]:
    """The matches not inside a longer match (宝山 inside 宝山路街道 does not count)."""
    kept: list[Match] = []
    for start, end, term in matches:
        inside = any(
            other_start <= start and end <= other_end and (other_end - other_start) > end - start
            for other_start, other_end, _ in matches
        )
        if not inside:
            kept.append((start, end, term))
    return kept
