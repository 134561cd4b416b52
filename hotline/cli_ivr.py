"""``hotline ivr``: check a flow file, list its paths, report where callers went."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hotline.flow_library import parse_flow
from hotline.settings import Settings
from hotline.storage import Store
from ivr.flow_paths import flow_paths
from ivr.path_report import build_report, render_report, report_json


def add_arguments(command: argparse.ArgumentParser) -> None:
    command.add_argument("action", choices=["check", "paths", "report"])
    command.add_argument(
        "file", nargs="?", type=Path, default=None,
        help="a flow file (check, paths); default: the configured flow",
    )  # fmt: skip
    command.add_argument("--days", type=int, default=7, help="report: how far back")
    command.add_argument("--json", action="store_true", help="report: JSON instead of text")


def run(settings: Settings, args: argparse.Namespace, store: Store | None = None) -> int:
    if args.action == "report":
        assert store is not None
        until = datetime.now(UTC)
        calls = store.ivr_path_steps(until - timedelta(days=args.days), until, 100_000)
        report = build_report(calls)
        print(json.dumps(report_json(report), ensure_ascii=False) if args.json
              else render_report(report))  # fmt: skip
        return 0
    path: Path = args.file or settings.ivr_flow
    flow = parse_flow(path.read_text(encoding="utf-8"), str(path))  # FlowError: file:line
    paths = flow_paths(flow)
    if args.action == "check":
        print(f"{path}: flow {flow.name}, {len(flow.nodes)} nodes, {len(paths)} paths, "
              f"{len(flow.prompts)} prompts: OK")  # fmt: skip
        return 0
    for each in paths:
        needs = " ".join(
            f"{name}={'open' if v else 'closed'}" for name, v in each.schedules.items()
        )
        print(f"{' '.join(each.inputs) or '-':<40} {each.key}  [{needs}]")
    return 0
