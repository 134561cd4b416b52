"""Start, stop, probe and read the logs of the provisioned Asterisk.

Asterisk runs as a daemon (it outlives the controller: calls must survive a controller
restart). ``asterisk -rx`` output carries ANSI colours, so it is used only for control and
read-back in tests; the controller itself talks AMI.
"""

from __future__ import annotations

import contextlib
import os
import re
import resource
import subprocess
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from hotline.asterisk.layout import AsteriskLayout
from hotline.asterisk.provision import unmount_all_under

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\x1b\][^\x07]*\x07")
BOOT_TIMEOUT_S = 60.0


class AsteriskError(Exception):
    """Asterisk could not be started, stopped or reached; the message says what to do."""


@dataclass(frozen=True)
class AsteriskStatus:
    running: bool
    pid: int | None
    version: str
    uptime: str


class AsteriskInstance:
    def __init__(self, layout: AsteriskLayout) -> None:
        self.layout = layout

    @property
    def pid_file(self) -> Path:
        return self.layout.run_dir / "asterisk.pid"

    @property
    def control_socket(self) -> Path:
        return self.layout.run_dir / "asterisk.ctl"

    def pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def is_running(self) -> bool:
        return self.pid() is not None

    def start(self, timeout: float = BOOT_TIMEOUT_S) -> None:
        """Start Asterisk (if not running) and wait until it is fully booted."""
        if self.is_running():
            self.wait_fully_booted(timeout)
            return
        self._prepare_root()
        self.layout.run_dir.mkdir(parents=True, exist_ok=True)
        self.layout.log_dir.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            self.layout.command(),
            capture_output=True,
            text=True,
            check=False,
            preexec_fn=_raise_fd_limit,
            timeout=30,
        )
        if result.returncode != 0:
            raise AsteriskError(
                f"asterisk failed to start (exit {result.returncode}): "
                f"{(result.stdout + result.stderr).strip()[-800:]}\n{self.tail_log(20)}"
            )
        self.wait_fully_booted(timeout)

    def wait_fully_booted(self, timeout: float = BOOT_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.control_socket.exists():
                out = self.rx("core waitfullybooted", timeout=max(1.0, deadline - time.monotonic()))
                if "fully booted" in out.lower():
                    return
            time.sleep(0.1)
        raise AsteriskError(
            f"Asterisk did not finish booting within {timeout:.0f} s; last log lines:\n"
            + self.tail_log(30)
        )

    def stop(self, timeout: float = 20.0) -> None:
        pid = self.pid()
        if pid is not None:
            self.rx("core stop now", timeout=timeout)
            if not _wait_gone(pid, timeout):
                os.kill(pid, 9)
                _wait_gone(pid, 5.0)
        if self.layout.root is not None:
            unmount_all_under(self.layout.root)

    def rx(self, command: str, timeout: float = 15.0) -> str:
        """Run one CLI command through the control socket; ANSI colours removed."""
        try:
            result = subprocess.run(
                self.layout.command("-rx", command),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return ""
        return ANSI.sub("", result.stdout)

    def status(self) -> AsteriskStatus:
        pid = self.pid()
        if pid is None:
            return AsteriskStatus(running=False, pid=None, version="", uptime="")
        version = self.rx("core show version").strip()
        uptime = self.rx("core show uptime").strip().splitlines()
        return AsteriskStatus(True, pid, version, uptime[0] if uptime else "")

    def tail_log(self, lines: int = 50) -> str:
        path = self.layout.log_dir / "messages.log"
        if not path.exists():
            return f"(no log yet at {path})"
        with path.open(encoding="utf-8", errors="replace") as handle:
            return "".join(deque(handle, maxlen=lines))

    def _prepare_root(self) -> None:
        root = self.layout.root
        if root is None:
            return
        proc = root / "proc"
        proc.mkdir(exist_ok=True)
        if not os.path.ismount(proc):
            subprocess.run(["mount", "-t", "proc", "proc", str(proc)], check=True)


def _raise_fd_limit() -> None:
    # Asterisk needs about ten descriptors a call; the default soft limit of 1024 stops it
    # near a hundred calls.
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        _reap(pid)
        time.sleep(0.05)
    return not _alive(pid)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
