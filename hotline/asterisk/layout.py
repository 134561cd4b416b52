"""Where an Asterisk keeps its files, seen from the host and from Asterisk itself.

In a chroot the two views differ (``<root>/etc/asterisk`` on the host is ``/etc/asterisk``
inside). For a system Asterisk we never touch ``/etc/asterisk``: our configuration lives in the
state directory and Asterisk is started with ``-C`` pointing at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AsteriskDirs:
    """Directories as Asterisk sees them (rendered into asterisk.conf)."""

    etc: str
    run: str
    log: str
    spool: str
    varlib: str
    data: str
    prompts: str


@dataclass(frozen=True)
class AsteriskLayout:
    root: Path | None
    host_prefix: Path
    dirs: AsteriskDirs

    def host(self, inside: str) -> Path:
        """The host path of a path as Asterisk sees it."""
        return self.host_prefix / inside.lstrip("/")

    @property
    def etc_dir(self) -> Path:
        return self.host(self.dirs.etc)

    @property
    def run_dir(self) -> Path:
        return self.host(self.dirs.run)

    @property
    def log_dir(self) -> Path:
        return self.host(self.dirs.log)

    @property
    def prompt_dir(self) -> Path:
        return self.host(self.dirs.prompts)

    @property
    def message_dir(self) -> str:
        """Where Asterisk records callers' voice messages (its own view)."""
        return f"{self.dirs.spool}/hotline-messages"

    @property
    def config_file(self) -> str:
        return f"{self.dirs.etc}/asterisk.conf"

    def command(self, *args: str) -> list[str]:
        """argv for the asterisk binary, always with our asterisk.conf."""
        prefix = ["chroot", str(self.root), "/usr/sbin/asterisk"] if self.root else ["asterisk"]
        return [*prefix, "-C", self.config_file, *args]


def chroot_layout(state_dir: Path) -> AsteriskLayout:
    root = state_dir / "asterisk-root"
    dirs = AsteriskDirs(
        etc="/etc/asterisk",
        run="/run/asterisk",
        log="/var/log/asterisk",
        spool="/var/spool/asterisk",
        varlib="/var/lib/asterisk",
        data="/usr/share/asterisk",
        prompts="/var/lib/hotline/prompts",
    )
    return AsteriskLayout(root=root, host_prefix=root, dirs=dirs)


def system_layout(state_dir: Path) -> AsteriskLayout:
    base = (state_dir / "asterisk").resolve()
    dirs = AsteriskDirs(
        etc=str(base / "etc"),
        run=str(base / "run"),
        log=str(base / "log"),
        spool=str(base / "spool"),
        varlib=str(base / "lib"),
        data="/usr/share/asterisk",
        prompts=str(base / "prompts"),
    )
    return AsteriskLayout(root=None, host_prefix=Path("/"), dirs=dirs)
