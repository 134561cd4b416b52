"""The ``hotline`` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Sequence

from hotline import cli_ivr, cli_kb, cli_orders
from hotline.asterisk.instance import AsteriskError, AsteriskInstance
from hotline.asterisk.layout import AsteriskLayout, chroot_layout, system_layout
from hotline.asterisk.provision import ProvisionError, system_asterisk_version
from hotline.knowledge import KnowledgeBaseNotReady
from hotline.prompts import PromptError
from hotline.secrets import SecretsError
from hotline.settings import Settings, SettingsError, load_settings
from hotline.storage import Role, StorageError, Store
from ivr.flow_yaml import FlowError
from kb.corpus import CorpusError
from kb.evaluate import QuestionsError

EXPECTED_ERRORS = (
    SettingsError, ProvisionError, AsteriskError, StorageError, SecretsError, PromptError,
    FlowError, CorpusError, QuestionsError, KnowledgeBaseNotReady, OSError,
)  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    # The demo speaks through its progress line; its log shows warnings unless asked for more.
    quiet = getattr(args, "handler", None) in (_demo, _load, _kb)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        settings = load_settings()
        result: int = args.handler(settings, args)
    except EXPECTED_ERRORS as exc:
        print(f"hotline: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotline", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(metavar="COMMAND")

    def add(name: str, handler: Callable[[Settings, argparse.Namespace], int], text: str):  # type: ignore[no-untyped-def]
        command = sub.add_parser(name, help=text, description=text)
        command.set_defaults(handler=handler)
        return command

    add("setup", _setup, "provision and configure Asterisk, prompts and the database")
    add("run", _run, "run Asterisk and the controller in the foreground")
    demo = add("demo", _demo, "place real SIP calls through the IVR to SIPp agents")
    demo.add_argument("--calls", type=int, default=20)
    demo.add_argument("--agents", type=int, default=5)
    demo.add_argument("--rate", type=float, default=2.0, help="new calls per second")
    demo.add_argument("--json", action="store_true", help="print a JSON summary last")
    load = add("load", _load, "load run: SIPp callers and agents through either engine")
    load.add_argument("--concurrent", type=int, default=600, help="lines: calls at once")
    load.add_argument("--agents", type=int, default=220, help="SIPp agents (first N seats)")
    load.add_argument("--rate", type=float, default=10.0, help="new calls per second")
    load.add_argument("--duration", type=int, default=180, help="seconds of new calls")
    load.add_argument("--engine", choices=["hotline", "native"], default="hotline")
    ring_help = "agents' ring time (s): uniform:1:4, fixed:2, normal:3:1, exp:3, lognormal:2:0.5"
    load.add_argument("--ring", default="uniform:1:4", help=ring_help)
    load.add_argument("--talk", default="uniform:20:40", help="agents' talk time (s), same forms")
    load.add_argument("--json", action="store_true", help="print a JSON summary last")
    asterisk = add("asterisk", _asterisk, "control the provisioned Asterisk")
    asterisk.add_argument("action", choices=["start", "stop", "status", "logs", "rx"])
    asterisk.add_argument("command", nargs="?", default="", help="CLI command for 'rx'")
    agent = add("agent", _agent, "add or list agents")
    agent.add_argument("action", choices=["add", "list"])
    agent.add_argument("code", nargs="?", default="")
    agent.add_argument("--name", default="")
    cli_ivr.add_arguments(add("ivr", _ivr, "check an IVR flow file, list its paths, report"))
    cli_kb.add_arguments(add("kb", _kb, "the policy knowledge base: import, search, eval"))
    cli_orders.add_arguments(add("orders", _orders, "work orders: list them, show one"))
    token = add("token", _token, "create or revoke API tokens")
    token.add_argument("action", choices=["create", "revoke"])
    token.add_argument("name")
    token.add_argument("--role", choices=[r.value for r in Role], default=Role.AGENT.value)
    token.add_argument("--agent", default=None, help="the agent an agent-role token acts for")
    return parser


def _setup(settings: Settings, _args: argparse.Namespace) -> int:
    from hotline.setup import prepare

    prepared = prepare(settings, progress=lambda line: print(f"setup: {line}", file=sys.stderr))
    store = Store.open(settings.resolved_database_url)
    try:
        store.check()
        store.migrate()
        store.ensure_seats(settings.seats)
    finally:
        store.close()
    print(f"ready: {prepared.asterisk.status().version}")
    return 0


def _run(settings: Settings, _args: argparse.Namespace) -> int:
    from hotline.setup import prepare
    from hotline.wiring import ControllerApp

    prepared = prepare(settings)

    async def serve() -> None:
        app = ControllerApp(settings, prepared.layout, prepared.secrets)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await app.start()
        await stop.wait()
        logging.getLogger("hotline").info("stopping the controller (Asterisk keeps running)")
        await app.stop()

    asyncio.run(serve())
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.demo import DemoOptions, run_demo

    options = DemoOptions(calls=args.calls, agents=args.agents, rate=args.rate, json=args.json)
    return asyncio.run(run_demo(settings, options))


def _load(settings: Settings, args: argparse.Namespace) -> int:
    from hotline.load import Distribution, LoadOptions, run_load
    from hotline.load.options import OptionsError

    try:
        options = LoadOptions(
            concurrent=args.concurrent, agents=args.agents, rate=args.rate,
            duration_s=args.duration, engine=args.engine, json=args.json,
            ring=Distribution.parse(args.ring, low=0.1, high=60),
            talk=Distribution.parse(args.talk, low=0.5, high=3600),
        )  # fmt: skip
        options.check(settings.seat_count)
    except OptionsError as exc:
        print(f"hotline load: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(run_load(settings, options))


def _asterisk(settings: Settings, args: argparse.Namespace) -> int:
    instance = AsteriskInstance(_layout(settings))
    if args.action == "start":
        instance.start()
    elif args.action == "stop":
        instance.stop()
    elif args.action == "status":
        status = instance.status()
        print(f"running (pid {status.pid}): {status.version}, {status.uptime}"
              if status.running else "not running")  # fmt: skip
        return 0 if status.running else 3
    elif args.action == "logs":
        print(instance.tail_log(100), end="")
    else:
        print(instance.rx(args.command), end="")
    return 0


def _layout(settings: Settings) -> AsteriskLayout:
    if settings.asterisk_mode != "chroot" and system_asterisk_version() is not None:
        return system_layout(settings.state_dir)
    return chroot_layout(settings.state_dir)


def _agent(settings: Settings, args: argparse.Namespace) -> int:
    store = _store(settings)
    try:
        if args.action == "add":
            if not args.code:
                print("hotline agent add CODE [--name NAME]", file=sys.stderr)
                return 2
            record = store.upsert_agent(args.code, args.name or args.code)
            print(f"agent {record.code} ({record.name})")
        else:
            for agent in store.list_agents():
                print(f"{agent.code}\t{agent.name}\t{'active' if agent.active else 'inactive'}")
    finally:
        store.close()
    return 0


def _ivr(settings: Settings, args: argparse.Namespace) -> int:
    if args.action != "report":
        return cli_ivr.run(settings, args)
    store = _store(settings)
    try:
        return cli_ivr.run(settings, args, store)
    finally:
        store.close()


def _kb(settings: Settings, args: argparse.Namespace) -> int:
    store = _store(settings)
    try:
        return cli_kb.run(settings, args, store)
    finally:
        store.close()


def _orders(settings: Settings, args: argparse.Namespace) -> int:
    store = _store(settings)
    try:
        return cli_orders.run(args, store)
    finally:
        store.close()


def _token(settings: Settings, args: argparse.Namespace) -> int:
    store = _store(settings)
    try:
        if args.action == "create":
            print(store.create_token(args.name, args.role, args.agent))
        elif not store.revoke_token(args.name):
            print(f"no token named {args.name!r}", file=sys.stderr)
            return 1
    finally:
        store.close()
    return 0


def _store(settings: Settings) -> Store:
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    store = Store.open(settings.resolved_database_url)
    store.check()
    store.migrate()
    return store


if __name__ == "__main__":
    sys.exit(main())
