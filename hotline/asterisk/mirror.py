"""Find the Debian mirror the machine already uses, from its apt sources (never a hard-coded host).

Both formats are read: one-line ``deb URI suite components`` lists and deb822 ``.sources`` files.
Security and third-party archives are skipped: we want the main Debian archive.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

DEBIAN_SUITES = frozenset(
    {"buster", "bullseye", "bookworm", "trixie", "forky", "sid", "stable", "testing", "unstable"}
)


class MirrorNotFound(Exception):
    """No Debian mirror is configured in apt's sources."""


def find_debian_mirror(apt_dir: Path = Path("/etc/apt")) -> str:
    """Return the URI of the first main-archive Debian mirror in apt's sources."""
    for uri, suites, components in _entries(_source_files(apt_dir)):
        if _is_main_archive(uri, suites, components):
            return uri.rstrip("/")
    raise MirrorNotFound(
        f"no Debian mirror found in {apt_dir}/sources.list or {apt_dir}/sources.list.d; "
        "add one there or set HOTLINE_DEBIAN_MIRROR=http://<mirror>/debian"
    )


def _source_files(apt_dir: Path) -> Iterator[Path]:
    main = apt_dir / "sources.list"
    if main.is_file():
        yield main
    extra = apt_dir / "sources.list.d"
    if extra.is_dir():
        yield from sorted(p for p in extra.iterdir() if p.suffix in {".list", ".sources"})


Entry = tuple[str, list[str], list[str]]
"""(URI, suites, components) of one source."""


def _entries(paths: Iterable[Path]) -> Iterator[Entry]:
    for path in paths:
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".sources":
            yield from parse_deb822(text)
        else:
            yield from parse_one_line(text)


def parse_one_line(text: str) -> Iterator[Entry]:
    """``deb [options] URI suite [components...]`` lines; comments and deb-src are skipped."""
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].split()
        if len(words) < 3 or words[0] != "deb":
            continue
        rest = words[1:]
        if rest[0].startswith("["):
            while rest and not rest[0].endswith("]"):
                rest = rest[1:]
            rest = rest[1:]
        if len(rest) >= 2:
            yield rest[0], [rest[1]], rest[2:]


def parse_deb822(text: str) -> Iterator[Entry]:
    """Paragraphs with ``Types:``, ``URIs:``, ``Suites:`` and ``Components:`` fields."""
    for paragraph in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in paragraph.splitlines():
            if line.startswith("#") or ":" not in line or line[0].isspace():
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        for uri in fields.get("uris", "").split():
            yield uri, fields.get("suites", "").split(), fields.get("components", "").split()


def _is_main_archive(uri: str, suites: list[str], components: list[str]) -> bool:
    # Third-party archives laid out per distribution (Docker's .../linux/debian, nginx's
    # .../packages/debian) have no "main" component; Debian's own archive always has.
    if not uri.startswith(("http://", "https://")) or "main" not in components:
        return False
    if not uri.rstrip("/").endswith("/debian"):
        return False
    return any(suite.split("-")[0] in DEBIAN_SUITES and "-" not in suite for suite in suites)
