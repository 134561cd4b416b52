"""Everything the engine needs before it takes a call: Asterisk provisioned and configured,
secrets generated, prompt audio spoken, the database migrated. Idempotent."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from hotline.asterisk.instance import AsteriskInstance
from hotline.asterisk.layout import AsteriskLayout
from hotline.asterisk.provision import provision
from hotline.asterisk.render import render_all, write_config
from hotline.flow_library import parse_flow
from hotline.prompts import ensure_prompts
from hotline.secrets import Secrets, load_or_create
from hotline.settings import Settings
from hotline.window_endpoints import window_endpoints
from ivr import agent_prompts, queue_choices
from ivr.prompt import Prompt

log = logging.getLogger("hotline.setup")

# Files whose change needs a restart; everything else is picked up by 'core reload'.
RESTART_FILES = frozenset({"asterisk.conf", "modules.conf", "logger.conf"})


@dataclass(frozen=True)
class Prepared:
    layout: AsteriskLayout
    secrets: Secrets
    asterisk: AsteriskInstance


def prepare(settings: Settings, progress: Callable[[str], None] = log.info) -> Prepared:
    """Provision, configure and start Asterisk; generate prompts. Safe to run again."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    layout = provision(settings, progress)
    secrets = load_or_create(settings.state_dir, settings.seats, window_endpoints(settings))
    changed = write_config(layout.etc_dir, render_all(settings, secrets, layout.dirs))
    layout.host(layout.message_dir).mkdir(parents=True, exist_ok=True)
    generated = ensure_prompts(all_prompts(settings), layout.prompt_dir)
    if generated:
        progress(f"generated {len(generated)} prompt(s) with espeak-ng")
    asterisk = AsteriskInstance(layout)
    _apply(asterisk, changed, progress)
    return Prepared(layout, secrets, asterisk)


def all_prompts(settings: Settings) -> tuple[Prompt, ...]:
    """Every prompt the engine plays whose text is known before a call, generated at set-up.

    The flow's are those of the shipped file; a version an admin stored since is voiced by the
    controller when it starts.
    """
    flow = parse_flow(settings.ivr_flow.read_text(encoding="utf-8"), str(settings.ivr_flow))
    return (*flow.prompts, *agent_prompts.ALL, *queue_choices.ALL)


def _apply(asterisk: AsteriskInstance, changed: list[str], progress: Callable[[str], None]) -> None:
    if not asterisk.is_running():
        progress("starting Asterisk")
        asterisk.start()
        return
    if RESTART_FILES & set(changed):
        progress(f"restarting Asterisk ({', '.join(sorted(RESTART_FILES & set(changed)))} changed)")
        asterisk.stop()
        asterisk.start()
    elif changed:
        progress(f"reloading Asterisk's configuration ({len(changed)} file(s) changed)")
        asterisk.rx("core reload")
        asterisk.wait_fully_booted()
