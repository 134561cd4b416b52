"""Provisioning refuses clearly when it cannot build Asterisk (the real build is exercised by
the integration tests)."""

from __future__ import annotations

import shutil
from collections import namedtuple
from pathlib import Path

import pytest

from hotline.asterisk import provision as provision_module
from hotline.asterisk.provision import ProvisionError, provision
from hotline.settings import load_settings

Usage = namedtuple("Usage", "total used free")


@pytest.fixture
def chroot_settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    return load_settings(
        {
            "HOTLINE_STATE_DIR": str(tmp_path / "state"),
            "HOTLINE_CACHE_DIR": str(tmp_path / "cache"),
            "HOTLINE_ASTERISK_MODE": "chroot",
        },
        config_file=None,
    )


def test_given_not_root_and_no_system_asterisk_when_provisioning_then_error_says_what_to_do(
    chroot_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(provision_module.os, "geteuid", lambda: 1000)
    with pytest.raises(ProvisionError, match="needs root") as error:
        provision(chroot_settings)
    assert "Asterisk 20 or newer" in str(error.value)


def test_given_too_little_disk_when_provisioning_then_error_names_the_space_and_the_fix(
    chroot_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(provision_module.os, "geteuid", lambda: 0)
    monkeypatch.setattr(shutil, "disk_usage", lambda _path: Usage(10**9, 10**9, 50 * 1024**2))
    with pytest.raises(ProvisionError, match="50 MiB free") as error:
        provision(chroot_settings)
    assert "HOTLINE_STATE_DIR" in str(error.value)


def test_given_system_mode_without_system_asterisk_when_provisioning_then_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(provision_module, "system_asterisk_version", lambda: None)
    settings = load_settings(
        {"HOTLINE_STATE_DIR": str(tmp_path), "HOTLINE_ASTERISK_MODE": "system"}, config_file=None
    )
    with pytest.raises(ProvisionError, match="no Asterisk 20 or newer"):
        provision(settings)


def test_given_old_system_asterisk_when_auto_then_the_chroot_is_chosen(
    chroot_settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(provision_module, "system_asterisk_version", lambda: (18, 20, 0))
    monkeypatch.setattr(provision_module.os, "geteuid", lambda: 1000)
    auto = chroot_settings.model_copy(update={"asterisk_mode": "auto"})
    with pytest.raises(ProvisionError, match="needs root"):
        provision(auto)
