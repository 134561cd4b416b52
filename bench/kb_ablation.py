"""What each part of knowledge-base search adds: dev-set quality with parts switched off.

    .venv/bin/python bench/kb_ablation.py --corpus /work/shared/corpus/provisions.jsonl \
        --questions /work/shared/corpus/dev_questions.jsonl

Each row switches one part off (or, for the first row, everything): the weight constants are
patched in place for the run, then restored.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from kb import query, ranking
from kb.corpus import read_provisions
from kb.evaluate import Question, evaluate, read_questions
from kb.index import SearchIndex
from kb.vocabulary import Vocabulary, load_vocabulary

NO_PRIORS = {
    "LEVEL_FACTORS": {},
    "DOMAIN_FACTOR": 1.0,
    "RECENCY_WEIGHT": 0.0,
    "CATEGORY_WEIGHT": 0.0,
    "TITLE_WEIGHT": 0.0,
    "CHAPTER_WEIGHT": 0.0,
}
VARIANTS: dict[str, dict[str, object]] = {
    "full": {},
    "no domain prior": {"DOMAIN_FACTOR": 1.0},
    "no level prior": {"LEVEL_FACTORS": {}},
    "no recency": {"RECENCY_WEIGHT": 0.0},
    "no query category boost": {"CATEGORY_WEIGHT": 0.0},
    "no title/chapter match": {"TITLE_WEIGHT": 0.0, "CHAPTER_WEIGHT": 0.0},
    "no unigrams": {"RAW_UNIGRAM_WEIGHT": 0.0},
    "no expansion budget": {"EXPANSION_BUDGET": 10_000},
    "no colloquial vocabulary": {"vocabulary": "empty"},
    "bigram BM25 + priors only (no vocabulary)": {"vocabulary": "empty", "fillers": True},
    "bigram BM25 only (no vocabulary, no priors)": {"vocabulary": "empty", **NO_PRIORS},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    args = parser.parse_args()
    provisions = list(read_provisions(args.corpus))
    questions = read_questions(args.questions)
    results = {}
    for name, patch in VARIANTS.items():
        with _patched({k: v for k, v in patch.items() if k not in ("vocabulary", "fillers")}):
            vocabulary = _vocabulary(patch)
            index = SearchIndex.build(provisions, vocabulary=vocabulary)
            results[name] = _quality(index, questions)
        print(f"{name:45s} {results[name]}")
    print(json.dumps(results, ensure_ascii=False))


def _vocabulary(patch: dict[str, object]) -> Vocabulary:
    shipped = load_vocabulary()
    if patch.get("vocabulary") != "empty":
        return shipped
    fillers = shipped.fillers if patch.get("fillers") else ()
    return Vocabulary((), fillers, "empty")


def _quality(index: SearchIndex, questions: list[Question]) -> dict[str, float | int]:
    return evaluate(lambda text: [h.id for h in index.search(text, top=10)], questions).summary()


@contextmanager
def _patched(values: dict[str, object]) -> Iterator[None]:
    saved: list[tuple[ModuleType, str, object]] = []
    for name, value in values.items():
        module = query if hasattr(query, name) else ranking
        saved.append((module, name, getattr(module, name)))
        setattr(module, name, value)
    try:
        yield
    finally:
        for module, name, value in saved:
            setattr(module, name, value)


if __name__ == "__main__":
    main()
