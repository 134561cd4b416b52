from __future__ import annotations

import json
from pathlib import Path

import pytest

from kb.evaluate import Question, QuestionsError, evaluate, read_questions

QUESTIONS = [
    Question("Q1", "a", ("x",)),
    Question("Q2", "b", ("y",), also_relevant_ids=("z",)),
    Question("Q3", "c", ("w",)),
    Question("Q4", "d", ("v",)),
]
RANKINGS = {
    "a": ["x", "1", "2"],  # rank 1
    "b": ["1", "2", "z"],  # rank 3 through an also-relevant id
    "c": ["1", "2", "3", "4", "5", "6", "w"],  # rank 7
    "d": ["1", "2"],  # miss
}


def test_evaluate_computes_hits_and_mrr() -> None:
    quality = evaluate(lambda text: RANKINGS[text], QUESTIONS)
    assert quality.questions == 4
    assert quality.hit_at_1 == pytest.approx(0.25)
    assert quality.hit_at_5 == pytest.approx(0.5)
    assert quality.hit_at_10 == pytest.approx(0.75)
    assert quality.mrr == pytest.approx((1 + 1 / 3 + 1 / 7) / 4)
    assert quality.ranks == {"Q1": 1, "Q2": 3, "Q3": 7, "Q4": None}


def test_evaluate_on_no_questions_is_zero() -> None:
    assert evaluate(lambda text: [], []).mrr == 0.0


def test_read_questions_reads_the_dev_shape(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    record = {
        "qid": "Q1",
        "question": "社保",
        "relevant_ids": ["a"],
        "also_relevant_ids": [],
        "script": "simplified",
        "category": "社会保险",
    }
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n")
    assert read_questions(path) == [Question("Q1", "社保", ("a",), (), "社会保险", "simplified")]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("nope", "not JSON"),
        (json.dumps({"question": "x", "relevant_ids": ["a"]}), "'qid'"),
        (json.dumps({"qid": "Q1", "question": "", "relevant_ids": ["a"]}), "'question'"),
        (json.dumps({"qid": "Q1", "question": "x", "relevant_ids": []}), "at least one"),
        (json.dumps({"qid": "Q1", "question": "x", "relevant_ids": "a"}), "list of provision ids"),
    ],
)
def test_read_questions_errors_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(line + "\n")
    with pytest.raises(QuestionsError, match=message) as caught:
        read_questions(path)
    assert str(caught.value).startswith(f"{path}:1: ")
