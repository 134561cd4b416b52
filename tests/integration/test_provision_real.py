"""Provisioning is idempotent: a healthy chroot is reused, a broken one is rebuilt."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from hotline.asterisk.provision import chroot_is_healthy, provision, unmount_all_under
from hotline.settings import load_settings
from hotline.setup import Prepared

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


@pytest.mark.skipif(os.geteuid() != 0, reason="building a chroot needs root")
def test_given_chroot_when_provisioned_again_or_broken_then_reused_or_repaired(
    asterisk: Prepared, tmp_path: Path
) -> None:
    # `asterisk` has built (or restored) the shared chroot and left its cache tarball.
    settings = load_settings(
        {"HOTLINE_STATE_DIR": str(tmp_path / "state"), "HOTLINE_ASTERISK_MODE": "chroot"},
        config_file=None,
    )
    said: list[str] = []
    try:
        layout = provision(settings, said.append)
        assert layout.root is not None
        assert chroot_is_healthy(layout.root)
        said.clear()
        provision(settings, said.append)
        assert said == [f"reusing the Asterisk chroot at {layout.root}"]
        (layout.root / "usr/sbin/asterisk").unlink()
        said.clear()
        provision(settings, said.append)
        assert any("broken: removing it" in line for line in said), said
        assert chroot_is_healthy(layout.root)
    finally:
        unmount_all_under(tmp_path)
        shutil.rmtree(tmp_path / "state", ignore_errors=True)
