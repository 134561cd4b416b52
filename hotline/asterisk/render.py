"""Render Asterisk's configuration from the Jinja2 templates (StrictUndefined: a missing value
is an error, never an empty string in a config file).

Dialplan templates live in ``dialplans/``, everything else in ``asterisk-config/``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import jinja2

from hotline.asterisk.layout import AsteriskDirs
from hotline.secrets import Secrets
from hotline.settings import PROJECT_ROOT, Settings
from hotline.window_endpoints import window_endpoints

CONFIG_TEMPLATES = PROJECT_ROOT / "asterisk-config"
DIALPLAN_TEMPLATES = PROJECT_ROOT / "dialplans"
FALLBACK_QUEUE = "hotline-fallback"

# The AMI permission classes the controller needs, and no more (see manager.conf.j2).
AMI_READ = "call,agent,dtmf,reporting"
AMI_WRITE = "call,agent,originate,reporting"


@dataclass(frozen=True)
class Endpoint:
    name: str
    password: str
    contact: str


@dataclass(frozen=True)
class AmiAccount:
    username: str
    secret: str
    read: str = AMI_READ
    write: str = AMI_WRITE


def render_all(settings: Settings, secrets: Secrets, dirs: AsteriskDirs) -> dict[str, str]:
    """Every configuration file Asterisk reads, by file name."""
    context = _context(settings, secrets, dirs)
    return {
        _target(path): _environment(path.parent).get_template(path.name).render(context)
        for folder in (CONFIG_TEMPLATES, DIALPLAN_TEMPLATES)
        for path in sorted(folder.glob("*.j2"))
    }


def write_config(etc_dir: Path, files: Mapping[str, str]) -> list[str]:
    """Write files that changed (atomically) and remove any other .conf file; return the names.

    The configuration directory is ours alone: a sample file left there by a package (users.conf,
    sip.conf, ...) would silently change what Asterisk does.
    """
    etc_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for stray in sorted(etc_dir.glob("*.conf")):
        if stray.name not in files:
            stray.unlink()
            changed.append(stray.name)
    for name, text in sorted(files.items()):
        target = etc_dir / name
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        tmp = target.with_name(f".{name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _mode(name))
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        tmp.replace(target)
        changed.append(name)
    return changed


def _mode(name: str) -> int:
    # Files with secrets in them are readable by their owner only.
    return 0o600 if name in {"manager.conf", "pjsip.conf"} else 0o644


def _target(template: Path) -> str:
    return template.name.removesuffix(".j2")


def _environment(folder: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # noqa: S701 - Asterisk configuration, not HTML
    )


def _context(settings: Settings, secrets: Secrets, dirs: AsteriskDirs) -> dict[str, object]:
    contacts, window_contacts = settings.lab_seat_contacts, settings.lab_window_contacts
    seats = [
        Endpoint(seat, secrets.seat_passwords[seat], contacts.get(seat, ""))
        for seat in settings.seats
    ]
    windows = [
        Endpoint(window, secrets.window_passwords[window], window_contacts.get(window, ""))
        for window in window_endpoints(settings)
    ]
    return {
        "settings": settings,
        "dirs": dirs,
        "seats": seats,
        "windows": windows,
        "ami": AmiAccount(secrets.ami_username, secrets.ami_secret),
        "fallback_queue": FALLBACK_QUEUE,
    }
