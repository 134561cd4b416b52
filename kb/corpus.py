"""Policy provisions: the record shape and a reader for the corpus JSONL with file:line errors."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

LEVELS = ("法律", "行政法规", "司法解释", "部门规章", "地方性法规")
"""Known levels, highest first. Unknown levels are accepted (ranked lowest)."""

_REQUIRED = ("id", "text")
_OPTIONAL_STR = (
    "law_id",
    "law_title",
    "category",
    "law_category",
    "domain",
    "level",
    "article_no",
    "chapter",
    "version_date",
)


class CorpusError(ValueError):
    """A corpus line that cannot be read; the message starts with 'file:line: '."""


@dataclass(frozen=True, slots=True)
class Provision:
    """One policy provision (an article 条, or a section of a document without articles)."""

    id: str
    law_id: str
    law_title: str
    category: str
    law_category: str
    domain: str
    level: str
    article_no: str
    chapter: str
    text: str
    version_date: str  # 'YYYY-MM-DD' or ''
    effective_from: date | None = None
    effective_to: date | None = None


def read_provisions(path: Path) -> Iterator[Provision]:
    """Yield the provisions of a JSONL file; blank lines are skipped."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise CorpusError(f"{where}: not JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise CorpusError(f"{where}: expected a JSON object, got {type(record).__name__}")
            yield parse_provision(record, where)


def parse_provision(record: Mapping[str, object], where: str) -> Provision:
    """Build a provision from one decoded record; `where` prefixes error messages."""
    for name in _REQUIRED:
        value = record.get(name)
        if not isinstance(value, str) or not value.strip():
            raise CorpusError(f"{where}: field {name!r} must be a non-empty string")
    fields = {name: _optional_str(record, name, where) for name in _OPTIONAL_STR}
    _check_date_text(fields["version_date"], "version_date", where)
    return Provision(
        id=str(record["id"]),
        text=str(record["text"]),
        effective_from=_optional_date(record, "effective_from", where),
        effective_to=_optional_date(record, "effective_to", where),
        **fields,
    )


def _optional_str(record: Mapping[str, object], name: str, where: str) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise CorpusError(f"{where}: field {name!r} must be a string, got {type(value).__name__}")
    return value


def _check_date_text(value: str, name: str, where: str) -> None:
    if value:
        _parse_date(value, name, where)


def _optional_date(record: Mapping[str, object], name: str, where: str) -> date | None:
    value = record.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise CorpusError(f"{where}: field {name!r} must be a 'YYYY-MM-DD' string")
    return _parse_date(value, name, where)


def _parse_date(value: str, name: str, where: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CorpusError(
            f"{where}: field {name!r} is not a date 'YYYY-MM-DD': {value!r}"
        ) from None
