"""Fixtures that bring up the real lab: the provisioned Asterisk, the controller, SIPp."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline.asterisk.provision import system_asterisk_version
from hotline.settings import Settings, load_settings
from hotline.setup import Prepared, prepare
from hotline.storage import Role, Store
from tests.integration.lab import LAB_SEATS, LAB_SKILLS, ControllerProcess, lab_environment

IN_CI = bool(os.environ.get("CI"))


@pytest.fixture(scope="session")
def lab_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    database = tmp_path_factory.mktemp("db") / "hotline.db"
    return lab_environment(f"sqlite:///{database}")


@pytest.fixture(scope="session")
def lab_settings(lab_env: dict[str, str]) -> Settings:
    return load_settings({**os.environ, **lab_env})


@pytest.fixture(scope="session")
def asterisk(lab_settings: Settings) -> Iterator[Prepared]:
    if os.geteuid() != 0 and system_asterisk_version() is None and not IN_CI:
        pytest.skip("needs root (to provision the Asterisk chroot) or a system Asterisk 20+")
    stop_stale_sipp()
    prepared = prepare(lab_settings)
    yield prepared
    prepared.asterisk.stop()


def stop_stale_sipp() -> None:
    """SIPp left over from an interrupted run (a killed load run, a crashed session) would
    answer the lab's seats in this run's place: end every SIPp before the lab starts."""
    result = subprocess.run(["pgrep", "-x", "sipp"], capture_output=True, text=True, check=False)
    pids = [int(pid) for pid in result.stdout.split()]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    if pids:
        logging.getLogger("tests.lab").warning("ended %d stale SIPp process(es)", len(pids))


@pytest.fixture
def no_leaked_channels(asterisk: Prepared) -> Iterator[None]:
    """After the test, every channel must be gone (the Asterisk testsuite's habit)."""
    yield
    deadline = time.monotonic() + 20
    count = -1
    while time.monotonic() < deadline:
        count = active_channels(asterisk)
        if count == 0:
            return
        time.sleep(0.25)
    pytest.fail(f"{count} channel(s) still up after the test:\n" + asterisk.asterisk.rx(
        "core show channels verbose"))  # fmt: skip


def active_channels(prepared: Prepared) -> int:
    out = prepared.asterisk.rx("core show channels count")
    match = re.search(r"(\d+) active channel", out)
    return int(match.group(1)) if match else -1


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """Each test's controller gets a database of its own: records never leak between tests."""
    return f"sqlite:///{tmp_path / 'hotline.db'}"


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    store = Store.open(database_url)
    store.migrate()
    store.ensure_skills(LAB_SKILLS)
    for n in range(1, LAB_SEATS + 1):
        store.upsert_agent(f"A{n:03d}", f"坐席{n}", dict.fromkeys(LAB_SKILLS, 3))
    yield store
    store.close()


@pytest.fixture
def controller(
    asterisk: Prepared, lab_env: dict[str, str], store: Store, database_url: str, tmp_path: Path
) -> Iterator[ControllerProcess]:
    token = store.create_token("test-admin", Role.ADMIN)
    env = {**lab_env, "HOTLINE_DATABASE_URL": database_url}
    process = ControllerProcess(env=env, token=token, log_path=tmp_path / "controller.log")
    process.start()
    yield process
    process.stop()
