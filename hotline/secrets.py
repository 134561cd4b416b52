"""Secrets generated at set-up and kept in the state directory, never in the repository.

The file is created with mode 0600. Values are never logged: ``Secrets.__repr__`` hides them.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SECRETS_FILE = "secrets.json"


@dataclass(frozen=True)
class Secrets:
    ami_username: str
    ami_secret: str = field(repr=False)
    seat_passwords: dict[str, str] = field(repr=False)
    window_passwords: dict[str, str] = field(repr=False)
    webhook_secret: str = field(repr=False, default="")
    """The HMAC-SHA256 key that signs work orders posted to district offices' webhooks."""


def load_or_create(state_dir: Path, seats: tuple[str, ...], windows: tuple[str, ...]) -> Secrets:
    """Read the secrets file, adding any seat or window that has no password yet."""
    path = state_dir / SECRETS_FILE
    data = _read(path)
    changed = not data
    data.setdefault("ami_username", "hotline")
    if "ami_secret" not in data:
        data["ami_secret"] = secrets.token_urlsafe(24)
        changed = True
    if "webhook_secret" not in data:
        data["webhook_secret"] = secrets.token_urlsafe(32)
        changed = True
    changed |= _fill(data.setdefault("seat_passwords", {}), seats)
    changed |= _fill(data.setdefault("window_passwords", {}), windows)
    if changed:
        _write(path, data)
    return Secrets(
        ami_username=data["ami_username"],
        ami_secret=data["ami_secret"],
        seat_passwords={seat: data["seat_passwords"][seat] for seat in seats},
        window_passwords={win: data["window_passwords"][win] for win in windows},
        webhook_secret=data["webhook_secret"],
    )


def _fill(passwords: dict[str, str], names: tuple[str, ...]) -> bool:
    missing = [name for name in names if name not in passwords]
    for name in missing:
        passwords[name] = secrets.token_urlsafe(12)
    return bool(missing)


def _read(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SecretsError(
            f"{path} is not valid JSON ({exc.msg}); move it away to generate new secrets"
        ) from None
    if not isinstance(loaded, dict) or not _well_shaped(loaded):
        raise SecretsError(
            f"{path} must hold a JSON object of strings and string-to-string maps "
            "(ami_username, ami_secret, seat_passwords, window_passwords); "
            "move it away to generate new secrets"
        )
    return loaded


def _well_shaped(data: dict[str, Any]) -> bool:
    for key in ("ami_username", "ami_secret", "webhook_secret"):
        if key in data and not (isinstance(data[key], str) and data[key]):
            return False
    for key in ("seat_passwords", "window_passwords"):
        table = data.get(key, {})
        if not isinstance(table, dict):
            return False
        if not all(isinstance(v, str) and v for v in table.values()):
            return False
    return True


def _write(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
    tmp.replace(path)


class SecretsError(Exception):
    """The secrets file cannot be used; the message says what to do."""
