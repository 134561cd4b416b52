"""``hotline kb``: import with a summary, search as JSON (one query or a batch), evaluation,
and clear errors for a malformed corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hotline import cli

SAMPLE = Path(__file__).parents[1] / "fixtures" / "kb" / "provisions_sample.jsonl"


@pytest.fixture
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOTLINE_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("HOTLINE_DATABASE_URL", raising=False)
    return tmp_path


def test_import_then_search_json_lists_ids_as_in_the_corpus(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["kb", "import", str(SAMPLE), "--wait"]) == 0
    summary = capsys.readouterr().out
    assert "1288 provisions (1288 new, 0 changed, 0 unchanged, 0 retired)" in summary
    assert cli.main(["kb", "search", "工伤认定申请时限", "--top", "3", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert 1 <= len(hits) <= 3
    assert set(hits[0]) == {"id", "law_title", "article_no", "score"}
    assert hits[0]["score"] >= hits[-1]["score"]


def test_reimporting_the_same_corpus_changes_nothing(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.main(["kb", "import", str(SAMPLE)])
    cli.main(["kb", "import", str(SAMPLE)])
    assert "(0 new, 0 changed, 1288 unchanged, 0 retired)" in capsys.readouterr().out


def test_batch_search_prints_one_array_per_line_in_order(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli.main(["kb", "import", str(SAMPLE)])
    batch = state / "queries.txt"
    batch.write_text("公司不给交社保\n\n😀\0\n試用期最長多久\n", encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["kb", "search", "--batch", str(batch), "--top", "5", "--json"]) == 0
    lines = capsys.readouterr().out.strip("\n").split("\n")
    assert len(lines) == 4
    first, empty, emoji, traditional = (json.loads(line) for line in lines)
    assert first and traditional and empty == [] and isinstance(emoji, list)


def test_eval_prints_hit_rates_and_mrr(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli.main(["kb", "import", str(SAMPLE)])
    questions = state / "questions.jsonl"
    question = {"qid": "T1", "question": "工伤认定申请", "relevant_ids": ["L0000-0000"]}
    questions.write_text(json.dumps(question, ensure_ascii=False) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["kb", "eval", str(questions), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["questions"] == 1 and summary["hit@10"] == 0.0 and summary["mrr"] == 0.0


def test_a_malformed_corpus_line_is_named_and_nothing_is_imported(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = state / "bad.jsonl"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:3]
    bad.write_text("\n".join([*lines, "{not json"]) + "\n", encoding="utf-8")
    assert cli.main(["kb", "import", str(bad)]) == 1
    assert f"{bad}:4" in capsys.readouterr().err
    cli.main(["kb", "status"])
    assert json.loads(capsys.readouterr().out)["provisions"] == 0


def test_search_needs_a_query_or_a_batch(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["kb", "search"]) == 2
    assert "--batch" in capsys.readouterr().err
