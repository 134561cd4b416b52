"""The colloquial → statutory vocabulary: loaded once from YAML, validated, matched in queries.

`kb/data/colloquial.yaml` maps how callers speak ("老板拖着不给我交社保") to the words of the
statutes ("用人单位", "社会保险费") and to a topic category. Errors name the file and line.
"""

from __future__ import annotations

from collections.abc import Collection, Container, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from kb.normalise import normalise_text

CATEGORIES = (
    "养老保险",
    "医疗保险",
    "工伤",
    "失业",
    "社会保险",
    "劳动合同",
    "工资",
    "工时休假",
    "就业",
    "监察",
    "仲裁",
    "公积金",
    "女职工与生育",
    "劳动安全卫生",
    "劳动综合",
    "居住证与落户",
    "社会救助与福利",
)
"""The topic categories of the corpus (besides 'other')."""

DEFAULT_PATH = Path(__file__).parent / "data" / "colloquial.yaml"
FORMAT_VERSION = 1


class VocabularyError(ValueError):
    """The vocabulary file is malformed; the message starts with 'file:line: '."""


@dataclass(frozen=True, slots=True)
class Entry:
    """Colloquial phrases that mean the statutory phrases, within a category (None: any)."""

    say: tuple[str, ...]
    law: tuple[str, ...]
    category: str | None
    line: int


@dataclass(frozen=True, slots=True)
class Match:
    entry: Entry
    phrase: str
    start: int
    end: int


class Vocabulary:
    """Validated entries plus lookup tables for matching; immutable after construction."""

    __slots__ = (
        "_by_phrase",
        "_filler_lengths",
        "_fillers",
        "_lengths",
        "entries",
        "fillers",
        "fingerprint",
    )

    def __init__(self, entries: tuple[Entry, ...], fillers: tuple[str, ...], fingerprint: str):
        self.entries = entries
        self.fillers = fillers
        self.fingerprint = fingerprint
        self._by_phrase = {phrase: entry for entry in entries for phrase in entry.say}
        self._lengths = _descending_lengths(self._by_phrase)
        self._fillers = frozenset(fillers)
        self._filler_lengths = _descending_lengths(self._fillers)

    def matches(self, text: str) -> list[Match]:
        """Leftmost-longest, non-overlapping matches of colloquial phrases in normalised text."""
        return [
            Match(self._by_phrase[phrase], phrase, start, end)
            for phrase, start, end in _scan(text, self._by_phrase, self._lengths)
        ]

    def strip_fillers(self, text: str) -> str:
        """`text` with filler words (pronouns, particles, question words) replaced by spaces."""
        pieces = list(text)
        for _phrase, start, end in _scan(text, self._fillers, self._filler_lengths):
            pieces[start:end] = [" "] * (end - start)
        return "".join(pieces)


def _descending_lengths(phrases: Collection[str]) -> tuple[int, ...]:
    return tuple(sorted({len(phrase) for phrase in phrases}, reverse=True))


def _scan(
    text: str, phrases: Container[str], lengths: tuple[int, ...]
) -> Iterator[tuple[str, int, int]]:
    position = 0
    while position < len(text):
        for length in lengths:
            candidate = text[position : position + length]
            if len(candidate) == length and candidate in phrases:
                yield candidate, position, position + length
                position += length
                break
        else:
            position += 1


@lru_cache(maxsize=4)
def load_vocabulary(path: Path = DEFAULT_PATH) -> Vocabulary:
    """Load and validate a vocabulary file (cached: loaded once per path)."""
    return parse_vocabulary(path.read_text(encoding="utf-8"), str(path))


def parse_vocabulary(text: str, source: str) -> Vocabulary:
    import hashlib  # noqa: PLC0415 - only needed here

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise VocabularyError(f"{source}:{line}: not valid YAML ({error})") from None
    reader = _Reader(source)
    top = reader.mapping(root, "the file")
    version = reader.scalar(reader.need(top, "version", root), "version")
    if version != str(FORMAT_VERSION):
        raise reader.error(top["version"], f"unsupported version {version!r}")
    fillers_node = reader.need(top, "fillers", root)
    fillers = tuple(normalise_text(reader.scalar(fillers_node, "fillers")).split())
    entries = tuple(reader.groups(reader.need(top, "groups", root)))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return Vocabulary(entries, fillers, digest)


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.seen: dict[str, int] = {}

    def error(self, node: yaml.Node, message: str) -> VocabularyError:
        return VocabularyError(f"{self.source}:{node.start_mark.line + 1}: {message}")

    def mapping(self, node: yaml.Node | None, what: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            if node is None:
                raise VocabularyError(f"{self.source}:1: {what} must be a mapping")
            raise self.error(node, f"{what} must be a mapping")
        result: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node, "a key")
            if key in result:
                raise self.error(key_node, f"duplicate key {key!r}")
            result[key] = value_node
        return result

    def need(self, mapping: dict[str, yaml.Node], key: str, parent: yaml.Node | None) -> yaml.Node:
        if key not in mapping:
            line = parent.start_mark.line + 1 if parent is not None else 1
            raise VocabularyError(f"{self.source}:{line}: missing {key!r}")
        return mapping[key]

    def scalar(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, f"{what} must be text")
        return str(node.value)

    def groups(self, node: yaml.Node) -> Iterator[Entry]:
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, "groups must be a list")
        for group_node in node.value:
            group = self.mapping(group_node, "a group")
            category = self.category(self.need(group, "category", group_node))
            for key_node, value_node in self.mapping(
                self.need(group, "terms", group_node), "terms"
            ).items():
                yield self.entry(key_node, value_node, category)

    def category(self, node: yaml.Node) -> str | None:
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null"):
            return None
        value = self.scalar(node, "category")
        if value not in CATEGORIES:
            raise self.error(node, f"unknown category {value!r} (known: {', '.join(CATEGORIES)})")
        return value

    def entry(self, say_text: str, law_node: yaml.Node, category: str | None) -> Entry:
        law_text = (
            "" if law_node.tag.endswith(":null") else self.scalar(law_node, "statutory terms")
        )
        say = _phrases(say_text)
        if not say:
            raise self.error(law_node, "an entry needs at least one colloquial phrase")
        for phrase in say:
            if phrase in self.seen:
                raise self.error(
                    law_node, f"{phrase!r} is already in the entry at line {self.seen[phrase]}"
                )
            self.seen[phrase] = law_node.start_mark.line + 1
        return Entry(say, _phrases(law_text), category, law_node.start_mark.line + 1)


def _phrases(text: str) -> tuple[str, ...]:
    phrases = (normalise_text(part).strip() for part in text.split("|"))
    return tuple(dict.fromkeys(phrase for phrase in phrases if phrase))
