from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from kb.corpus import CorpusError, parse_provision, read_provisions


def _write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "provisions.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_sample_corpus_reads_every_line(sample_provisions: list[object]) -> None:
    assert len(sample_provisions) > 1000


def test_given_minimal_record_then_optional_fields_default_to_empty() -> None:
    provision = parse_provision({"id": "L1-0001", "text": "正文"}, "x:1")
    assert provision.law_title == ""
    assert provision.version_date == ""
    assert provision.effective_from is None


def test_given_effective_dates_then_they_are_parsed() -> None:
    provision = parse_provision(
        {
            "id": "G-1",
            "text": "本市指引",
            "effective_from": "2024-01-01",
            "effective_to": "2025-12-31",
        },
        "x:1",
    )
    assert provision.effective_from == date(2024, 1, 1)
    assert provision.effective_to == date(2025, 12, 31)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({"text": "正文"}), "'id'"),
        (json.dumps({"id": "L1-1", "text": ""}), "'text'"),
        (
            json.dumps({"id": "L1-1", "text": "正文", "law_title": 5}),
            "'law_title' must be a string",
        ),
        (json.dumps({"id": "L1-1", "text": "正文", "version_date": "2020-13-01"}), "not a date"),
        (json.dumps({"id": "L1-1", "text": "正文", "effective_to": 20200101}), "'effective_to'"),
    ],
)
def test_given_bad_line_then_error_names_file_and_line(
    tmp_path: Path, line: str, message: str
) -> None:
    good = json.dumps({"id": "L1-0001", "text": "正文"})
    path = _write(tmp_path, [good, "", line])
    with pytest.raises(CorpusError, match=message) as caught:
        list(read_provisions(path))
    assert str(caught.value).startswith(f"{path}:3: ")
