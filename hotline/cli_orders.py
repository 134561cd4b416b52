"""``hotline orders``: list work orders, or show one with its history and deliveries."""

from __future__ import annotations

import argparse
import json
import sys

from hotline.storage import Store
from hotline.work_order_codec import office_json


def add_arguments(command: argparse.ArgumentParser) -> None:
    actions = command.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the newest work orders")
    listing.add_argument("--status", default=None)
    listing.add_argument("--district", default=None, help="a district id, e.g. changning")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    shown = actions.add_parser("show", help="one order, its history and its deliveries")
    shown.add_argument("number", help="e.g. WO-20261129-0001")


def run(args: argparse.Namespace, store: Store) -> int:
    if args.action == "list":
        found = store.list_work_orders(status=args.status, district_id=args.district,
                                       limit=max(1, min(args.limit, 1000)))  # fmt: skip
        for record in found:
            if args.json:
                print(json.dumps(office_json(record), ensure_ascii=False))
            else:
                urgent = "urgent" if record.urgent else ""
                print(f"{record.number}\t{record.status}\t{record.district_id}\t{record.office}"
                      f"\t{urgent}\t{record.deadline_at:%Y-%m-%d %H:%M}")  # fmt: skip
        return 0
    order = store.get_work_order(args.number)
    if order is None:
        print(f"no work order {args.number!r} (numbers look like WO-20261129-0001)",
              file=sys.stderr)  # fmt: skip
        return 1
    print(json.dumps(office_json(order), ensure_ascii=False, indent=2))
    for event in store.work_order_history(order.number):
        print(f"{event.at:%Y-%m-%d %H:%M:%S}  {event.action:<28} {event.from_status or '-'}"
              f" -> {event.to_status}  {event.actor}  {event.detail}")  # fmt: skip
    for entry in store.outbox_entries(order_number=order.number):
        e = entry.entry
        print(f"outbox {entry.id}: {e.state} after {e.attempts} attempt(s) to {e.destination}"
              f"{f' ({e.last_error})' if e.last_error else ''}")  # fmt: skip
    return 0
