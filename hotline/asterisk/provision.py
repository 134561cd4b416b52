"""Provision an Asterisk (20 or newer) for the engine: the system's, or Debian's in a chroot.

Debian 12 ships no Asterisk, so by default we build a minimal Debian sid chroot with
``debootstrap`` from the mirror in the machine's apt sources and install Debian's Asterisk 22
in it. Idempotent: a healthy chroot is reused; a broken one is removed and rebuilt. A tarball of
a fresh build is kept in the cache directory, because restoring it takes seconds where a build
takes about a minute.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from hotline.asterisk.layout import AsteriskLayout, chroot_layout, system_layout
from hotline.asterisk.mirror import find_debian_mirror
from hotline.settings import Settings

log = logging.getLogger("hotline.provision")

MIN_MAJOR = 20
MARKER = ".hotline-provisioned"
CHROOT_PACKAGES = (
    "asterisk",
    "asterisk-modules",
    "asterisk-moh-opsound-wav",
    "asterisk-core-sounds-en-wav",
)
NEEDED_FREE_BYTES = 2 * 1024**3
CACHE_NAME = "asterisk-chroot.tar.zst"

Progress = Callable[[str], None]


class ProvisionError(Exception):
    """Asterisk cannot be provisioned; the message says why and what to do."""


def provision(settings: Settings, progress: Progress = log.info) -> AsteriskLayout:
    """Return a ready Asterisk layout, building or repairing the chroot when needed."""
    if settings.asterisk_mode in {"auto", "system"}:
        version = system_asterisk_version()
        if version is not None and version[0] >= MIN_MAJOR:
            progress(f"using the system's Asterisk {'.'.join(map(str, version))}")
            return system_layout(settings.state_dir)
        if settings.asterisk_mode == "system":
            raise ProvisionError(
                "HOTLINE_ASTERISK_MODE=system but no Asterisk 20 or newer is on PATH; "
                "install one or use HOTLINE_ASTERISK_MODE=auto"
            )
    layout = chroot_layout(settings.state_dir)
    assert layout.root is not None
    with _lock(settings.state_dir):
        if chroot_is_healthy(layout.root):
            progress(f"reusing the Asterisk chroot at {layout.root}")
            return layout
        _check_can_build(layout.root)
        _remove_broken(layout.root, progress)
        cache = settings.cache_dir / CACHE_NAME
        if not (cache.exists() and _restore(cache, layout.root, progress)):
            _build(settings, layout.root, progress)
            _save_cache(layout.root, cache, progress)
    return layout


def system_asterisk_version() -> tuple[int, ...] | None:
    binary = shutil.which("asterisk")
    if binary is None:
        return None
    return _version_of([binary, "-V"])


def chroot_is_healthy(root: Path) -> bool:
    return (root / MARKER).is_file() and _chroot_asterisk_runs(root)


def _chroot_asterisk_runs(root: Path) -> bool:
    if not (root / "usr/sbin/asterisk").is_file():
        return False
    version = _version_of(["chroot", str(root), "/usr/sbin/asterisk", "-V"])
    return version is not None and version[0] >= MIN_MAJOR


def _version_of(command: list[str]) -> tuple[int, ...] | None:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"Asterisk (\d+)\.(\d+)(?:\.(\d+))?", out.stdout)
    if out.returncode != 0 or match is None:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def _check_can_build(root: Path) -> None:
    if os.geteuid() != 0:
        raise ProvisionError(
            "no system Asterisk 20+ found, and building the Asterisk chroot needs root: "
            "run as root, or install Asterisk 20 or newer system-wide"
        )
    parent = _existing_parent(root)
    free = shutil.disk_usage(parent).free
    if free < NEEDED_FREE_BYTES:
        raise ProvisionError(
            f"only {free // 1024**2} MiB free under {parent}; the Asterisk chroot needs about "
            f"{NEEDED_FREE_BYTES // 1024**3} GiB: free some disk or set HOTLINE_STATE_DIR"
        )


def _existing_parent(path: Path) -> Path:
    while not path.exists():
        path = path.parent
    return path


def _remove_broken(root: Path, progress: Progress) -> None:
    if not root.exists():
        return
    progress(f"the Asterisk chroot at {root} is incomplete or broken: removing it")
    unmount_all_under(root)
    shutil.rmtree(root)


def unmount_all_under(root: Path) -> None:
    """Unmount everything mounted inside the chroot, deepest first (proc before removal)."""
    resolved = str(root.resolve())
    mounts = [m for m in _mount_points() if m == resolved or m.startswith(resolved + "/")]
    for mount_point in sorted(mounts, key=len, reverse=True):
        subprocess.run(["umount", "-l", mount_point], check=False, capture_output=True)


def _mount_points() -> Iterator[str]:
    with open("/proc/mounts", encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            if len(fields) >= 2:
                yield fields[1].replace("\\040", " ")


def _restore(cache: Path, root: Path, progress: Progress) -> bool:
    progress(f"restoring the Asterisk chroot from {cache}")
    root.mkdir(parents=True)
    result = _run(["tar", "--zstd", "-xpf", str(cache), "-C", str(root)], check=False)
    if result.returncode == 0 and chroot_is_healthy(root):
        return True
    progress(f"the cached chroot {cache} is unusable: building a fresh one")
    shutil.rmtree(root, ignore_errors=True)
    cache.unlink(missing_ok=True)
    return False


def _build(settings: Settings, root: Path, progress: Progress) -> None:
    if shutil.which("debootstrap") is None:
        raise ProvisionError("debootstrap is missing: apt-get install debootstrap")
    mirror = settings.debian_mirror or find_debian_mirror()
    suite = settings.debian_suite
    progress(f"building a Debian {suite} chroot from {mirror} (about a minute)")
    root.parent.mkdir(parents=True, exist_ok=True)
    _run(["debootstrap", "--variant=minbase", suite, str(root), mirror], what="debootstrap")
    (root / "etc/apt/sources.list").write_text(f"deb {mirror} {suite} main\n", encoding="utf-8")
    shutil.copyfile("/etc/resolv.conf", root / "etc/resolv.conf")
    progress("installing Asterisk into the chroot")
    apt = ["chroot", str(root), "apt-get", "-q", "-o", "Acquire::Check-Valid-Until=false"]
    _run([*apt, "update"], what="apt-get update in the chroot")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = [*apt, "install", "-y", "--no-install-recommends", *CHROOT_PACKAGES]
    _run(install, what="apt-get install asterisk in the chroot", env=env)
    _run(["chroot", str(root), "apt-get", "clean"], check=False)
    if not _chroot_asterisk_runs(root):
        raise ProvisionError(f"Asterisk was installed in {root} but does not run; see above")
    (root / MARKER).write_text(" ".join(CHROOT_PACKAGES) + "\n", encoding="utf-8")


def _save_cache(root: Path, cache: Path, progress: Progress) -> None:
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        progress(f"not caching the chroot ({exc}); the next fresh set-up will build it again")
        return
    tmp = cache.with_suffix(".partial")
    progress(f"caching the chroot as {cache}")
    command = ["tar", "--zstd", "-cpf", str(tmp), "--exclude=./proc/*", "-C", str(root), "."]
    if _run(command, check=False).returncode == 0:
        tmp.replace(cache)
    else:
        tmp.unlink(missing_ok=True)


def _run(
    command: list[str],
    *,
    what: str = "",
    check: bool = True,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if check and result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise ProvisionError(f"{what or command[0]} failed (exit {result.returncode}):\n{tail}")
    return result


@contextmanager
def _lock(state_dir: Path) -> Iterator[None]:
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / "provision.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
