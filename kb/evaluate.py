"""Search quality on labelled caller questions: hit@1, hit@5, hit@10 and MRR (pure)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

MRR_DEPTH = 10
"""Reciprocal rank counts a first relevant hit within this many results (0 beyond)."""


class QuestionsError(ValueError):
    """A questions file line that cannot be read; the message starts with 'file:line: '."""


@dataclass(frozen=True, slots=True)
class Question:
    qid: str
    question: str
    relevant_ids: tuple[str, ...]
    also_relevant_ids: tuple[str, ...] = ()
    category: str = ""
    script: str = ""

    @property
    def answers(self) -> frozenset[str]:
        """Every id that counts as a hit (restatements elsewhere included)."""
        return frozenset(self.relevant_ids) | frozenset(self.also_relevant_ids)


@dataclass(frozen=True, slots=True)
class Quality:
    questions: int
    hit_at_1: float
    hit_at_5: float
    hit_at_10: float
    mrr: float
    ranks: dict[str, int | None]  # qid -> 1-based rank of the first hit, None if not in the top 10

    def summary(self) -> dict[str, float | int]:
        return {
            "questions": self.questions,
            "hit@1": round(self.hit_at_1, 3),
            "hit@5": round(self.hit_at_5, 3),
            "hit@10": round(self.hit_at_10, 3),
            "mrr": round(self.mrr, 3),
        }


def evaluate(search: Callable[[str], list[str]], questions: Iterable[Question]) -> Quality:
    """Run `search` (question -> ranked ids) over the questions and score the rankings."""
    ranks: dict[str, int | None] = {}
    for question in questions:
        ranks[question.qid] = first_hit(search(question.question), question.answers)
    count = len(ranks)
    if count == 0:
        return Quality(0, 0.0, 0.0, 0.0, 0.0, ranks)
    found = [rank for rank in ranks.values() if rank is not None]
    return Quality(
        questions=count,
        hit_at_1=sum(rank <= 1 for rank in found) / count,
        hit_at_5=sum(rank <= 5 for rank in found) / count,
        hit_at_10=sum(rank <= 10 for rank in found) / count,
        mrr=sum(1 / rank for rank in found) / count,
        ranks=ranks,
    )


def first_hit(ranked: list[str], answers: frozenset[str]) -> int | None:
    """1-based rank of the first answer within MRR_DEPTH results, or None."""
    for rank, provision_id in enumerate(ranked[:MRR_DEPTH], start=1):
        if provision_id in answers:
            return rank
    return None


def read_questions(path: Path) -> list[Question]:
    """Questions in the dev_questions.jsonl shape; errors name the file and line."""
    questions: list[Question] = []
    seen: set[str] = set()
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                question = parse_question(line, f"{path}:{number}")
                if question.qid in seen:
                    raise QuestionsError(f"{path}:{number}: duplicate qid {question.qid!r}")
                seen.add(question.qid)
                questions.append(question)
    return questions


def parse_question(line: str, where: str) -> Question:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        raise QuestionsError(f"{where}: not JSON ({error.msg})") from None
    if not isinstance(record, dict):
        raise QuestionsError(f"{where}: expected a JSON object")
    qid, text = record.get("qid"), record.get("question")
    if not isinstance(qid, str) or not qid:
        raise QuestionsError(f"{where}: 'qid' must be a non-empty string")
    if not isinstance(text, str) or not text.strip():
        raise QuestionsError(f"{where}: 'question' must be a non-empty string")
    relevant = _ids(record, "relevant_ids", where)
    if not relevant:
        raise QuestionsError(f"{where}: 'relevant_ids' must list at least one provision id")
    return Question(
        qid=qid,
        question=text,
        relevant_ids=relevant,
        also_relevant_ids=_ids(record, "also_relevant_ids", where),
        category=str(record.get("category") or ""),
        script=str(record.get("script") or ""),
    )


def _ids(record: dict[str, object], name: str, where: str) -> tuple[str, ...]:
    value = record.get(name, [])
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise QuestionsError(f"{where}: {name!r} must be a list of provision ids")
    return tuple(value)
