"""``hotline kb``: import the policy corpus, search it, evaluate search on a question set."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hotline.knowledge import KnowledgeBase
from hotline.settings import Settings
from hotline.storage import Store
from kb.corpus import read_provisions
from kb.evaluate import evaluate, read_questions
from kb.index import Hit

DEFAULT_TOP = 10


def add_arguments(command: argparse.ArgumentParser) -> None:
    actions = command.add_subparsers(dest="action", metavar="ACTION", required=True)
    imported = actions.add_parser("import", help="load a corpus file (provisions.jsonl)")
    imported.add_argument("path", type=Path)
    imported.add_argument("--wait", action="store_true",
                          help="return only when every index is complete")  # fmt: skip
    search = actions.add_parser("search", help="search the provisions in force today")
    search.add_argument("query", nargs="?", default=None)
    search.add_argument("--batch", type=Path, default=None, help="one query per line")
    search.add_argument("--top", type=int, default=DEFAULT_TOP)
    search.add_argument("--topic", default=None, help="an IVR topic: favour its entries")
    search.add_argument("--json", action="store_true")
    evaluated = actions.add_parser("eval", help="hit@1/5/10 and MRR on a question file")
    evaluated.add_argument("questions", type=Path)
    evaluated.add_argument("--json", action="store_true")
    actions.add_parser("status", help="what is imported and in force")


def run(settings: Settings, args: argparse.Namespace, store: Store) -> int:
    knowledge = KnowledgeBase(store, settings.state_dir / "kb", _today(settings))
    if args.action == "import":
        return _import(store, knowledge, args.path)
    progress = Progress("kb")
    knowledge.refresh(progress)
    progress.done()
    if args.action == "search":
        return _search(knowledge, args)
    if args.action == "eval":
        return _eval(knowledge, args)
    print(json.dumps(knowledge.status().as_json(), ensure_ascii=False))
    return 0


def _today(settings: Settings) -> Callable[[], date]:
    zone = ZoneInfo(settings.timezone)
    return lambda: datetime.now(zone).date()


def _import(store: Store, knowledge: KnowledgeBase, path: Path) -> int:
    total = _count_lines(path)
    progress = Progress("kb import")
    started = time.monotonic()
    result = store.import_provisions(
        read_provisions(path), author="hotline kb import", at=datetime.now(UTC),
        progress=lambda done: progress(f"recording {done}/{total} provisions"),
    )  # fmt: skip
    recorded_s = time.monotonic() - started
    knowledge.refresh(progress)
    progress.done()
    status = knowledge.status()
    print(
        f"kb import: {path}: {result.total} provisions ({result.added} new, {result.changed} "
        f"changed, {result.unchanged} unchanged, {result.retired} retired) recorded in "
        f"{recorded_s:.1f} s; {status.provisions} in force, searchable after "
        f"{time.monotonic() - started:.1f} s"
    )
    return 0


def _count_lines(path: Path) -> int:
    with path.open("rb") as file:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))


def _search(knowledge: KnowledgeBase, args: argparse.Namespace) -> int:
    if (args.query is None) == (args.batch is None):
        print("hotline kb search: give a QUERY or --batch FILE (one query per line)",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.batch is not None:
        with args.batch.open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                hits = knowledge.search(line.rstrip("\n"), args.top, args.topic)
                print(json.dumps([_hit_json(h) for h in hits], ensure_ascii=False), flush=True)
        return 0
    hits = knowledge.search(args.query, args.top, args.topic)
    if args.json:
        print(json.dumps([_hit_json(h) for h in hits], ensure_ascii=False))
        return 0
    for rank, hit in enumerate(hits, 1):
        entry = knowledge.entry(hit.id)
        text = entry.text[:80] if entry is not None else ""
        print(f"{rank:2}. {hit.id}  《{hit.law_title}》{hit.article_no}  {hit.score:.3f}")
        print(f"    {text}")
    if not hits:
        print("no provision matches", file=sys.stderr)
    return 0


def _hit_json(hit: Hit) -> dict[str, object]:
    return {
        "id": hit.id, "law_title": hit.law_title, "article_no": hit.article_no,
        "score": round(hit.score, 6),
    }  # fmt: skip


def _eval(knowledge: KnowledgeBase, args: argparse.Namespace) -> int:
    questions = read_questions(args.questions)
    started = time.monotonic()
    quality = evaluate(lambda q: [h.id for h in knowledge.search(q, DEFAULT_TOP)], questions)
    elapsed = time.monotonic() - started
    summary = {**quality.summary(), "seconds": round(elapsed, 2)}
    if args.json:
        print(json.dumps(summary))
    else:
        print("  ".join(f"{key} {value}" for key, value in summary.items()))
    return 0


class Progress:
    """A progress line on stderr: rewritten in place on a terminal, a line a second otherwise."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self._last = 0.0
        self._shown = False

    def __call__(self, text: str) -> None:
        now = time.monotonic()
        if self.tty:
            print(f"\r{self.label}: {text}\033[K", end="", file=sys.stderr, flush=True)
            self._shown = True
        elif now - self._last >= 1.0:
            print(f"{self.label}: {text}", file=sys.stderr, flush=True)
            self._last = now

    def done(self) -> None:
        if self._shown:
            print(file=sys.stderr)
            self._shown = False
