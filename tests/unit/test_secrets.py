"""Secrets in the state directory: created 0600, stable, extended for new seats, never shown."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from hotline.secrets import SECRETS_FILE, Secrets, SecretsError, load_or_create

SEATS = ("seat001", "seat002")
WINDOWS = ("changning-si",)


def stored(state_dir: Path) -> dict[str, Any]:
    loaded = json.loads((state_dir / SECRETS_FILE).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_given_empty_state_dir_when_loading_then_secrets_file_is_created_0600(
    tmp_path: Path,
) -> None:
    state_dir = tmp_path / "state" / "nested"
    secrets = load_or_create(state_dir, SEATS, WINDOWS)
    path = state_dir / SECRETS_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secrets.ami_username == "hotline"
    assert len(secrets.ami_secret) >= 24
    assert set(secrets.seat_passwords) == set(SEATS)
    assert set(secrets.window_passwords) == set(WINDOWS)
    every = [
        secrets.ami_secret,
        *secrets.seat_passwords.values(),
        *secrets.window_passwords.values(),
    ]
    assert len(set(every)) == len(every), "each secret is drawn on its own"
    assert stored(state_dir)["ami_secret"] == secrets.ami_secret
    assert [p.name for p in state_dir.iterdir()] == [SECRETS_FILE]


def test_given_existing_secrets_when_loading_again_then_they_are_stable_and_not_rewritten(
    tmp_path: Path,
) -> None:
    first = load_or_create(tmp_path, SEATS, WINDOWS)
    path = tmp_path / SECRETS_FILE
    before = (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_ino)
    second = load_or_create(tmp_path, SEATS, WINDOWS)
    assert second == first
    assert (path.read_bytes(), path.stat().st_mtime_ns, path.stat().st_ino) == before


def test_given_new_seats_when_loading_then_only_they_get_new_passwords(tmp_path: Path) -> None:
    first = load_or_create(tmp_path, SEATS, WINDOWS)
    more = load_or_create(tmp_path, (*SEATS, "seat003"), (*WINDOWS, "xuhui-si"))
    assert more.ami_secret == first.ami_secret
    for seat in SEATS:
        assert more.seat_passwords[seat] == first.seat_passwords[seat]
    assert more.window_passwords["changning-si"] == first.window_passwords["changning-si"]
    assert more.seat_passwords["seat003"] not in first.seat_passwords.values()
    assert "xuhui-si" in more.window_passwords
    assert stat.S_IMODE((tmp_path / SECRETS_FILE).stat().st_mode) == 0o600


def test_given_fewer_seats_when_loading_then_others_are_kept_in_the_file(tmp_path: Path) -> None:
    first = load_or_create(tmp_path, SEATS, WINDOWS)
    fewer = load_or_create(tmp_path, ("seat001",), ())
    assert fewer.seat_passwords == {"seat001": first.seat_passwords["seat001"]}
    assert fewer.window_passwords == {}
    again = load_or_create(tmp_path, SEATS, WINDOWS)
    assert again == first


def test_given_hand_written_file_when_loading_then_its_values_are_used(tmp_path: Path) -> None:
    (tmp_path / SECRETS_FILE).write_text(
        json.dumps({"ami_username": "ops", "ami_secret": "s3cr3t", "seat_passwords": {}}),
        encoding="utf-8",
    )
    secrets = load_or_create(tmp_path, SEATS, ())
    assert (secrets.ami_username, secrets.ami_secret) == ("ops", "s3cr3t")
    assert stored(tmp_path)["ami_secret"] == "s3cr3t"
    assert set(stored(tmp_path)["seat_passwords"]) == set(SEATS)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("{not json", id="broken-json"),
        pytest.param("", id="empty"),
        pytest.param('["ami_secret"]', id="json-array"),
        pytest.param('"a string"', id="json-string"),
    ],
)
def test_given_corrupt_secrets_file_when_loading_then_secrets_error_and_file_untouched(
    tmp_path: Path, text: str
) -> None:
    path = tmp_path / SECRETS_FILE
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SecretsError, match="move it away"):
        load_or_create(tmp_path, SEATS, WINDOWS)
    assert path.read_text(encoding="utf-8") == text


@pytest.mark.parametrize(
    "content",
    [
        pytest.param({"seat_passwords": ["seat001"]}, id="passwords-as-list"),
        pytest.param({"ami_secret": None}, id="null-secret"),
        pytest.param({"seat_passwords": {"seat001": 5}}, id="numeric-password"),
    ],
)
def test_given_wrongly_shaped_secrets_file_when_loading_then_secrets_error(
    tmp_path: Path, content: dict[str, object]
) -> None:
    (tmp_path / SECRETS_FILE).write_text(json.dumps(content), encoding="utf-8")
    with pytest.raises(SecretsError):
        load_or_create(tmp_path, SEATS, WINDOWS)


def test_given_secrets_when_shown_then_no_secret_appears(tmp_path: Path) -> None:
    secrets = load_or_create(tmp_path, SEATS, WINDOWS)
    shown = [repr(secrets), str(secrets), f"{secrets}", f"{secrets!r}"]
    hidden = [secrets.ami_secret, *secrets.seat_passwords.values()]
    hidden += list(secrets.window_passwords.values())
    for text in shown:
        assert "hotline" in text
        for secret in hidden:
            assert secret not in text


def test_given_fixed_secrets_when_shown_then_only_the_user_name_appears() -> None:
    secrets = Secrets("hotline", "ami-secret-value", {"seat001": "pw-1"}, {"w": "pw-2"})
    assert repr(secrets) == "Secrets(ami_username='hotline')"
