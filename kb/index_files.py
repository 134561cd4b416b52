"""The saved index: a directory with meta.json, arrays.npz and provisions.json.

meta.json is written last and names the format version, the fingerprint and a SHA-256 of each
other file, so a missing, partial, corrupt or incompatible directory is refused with a clear error.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kb.corpus import Provision

FORMAT_VERSION = 1
META = "meta.json"
ARRAYS = "arrays.npz"
PROVISIONS = "provisions.json"

COLUMNS = (
    "id",
    "law_id",
    "law_title",
    "category",
    "law_category",
    "domain",
    "level",
    "article_no",
    "chapter",
    "text",
    "version_date",
    "effective_from",
    "effective_to",
)
_SHARED = frozenset(
    {
        "law_id",
        "law_title",
        "category",
        "law_category",
        "domain",
        "level",
        "chapter",
        "version_date",
    }
)


class IndexLoadError(ValueError):
    """A saved index cannot be used (missing, corrupt, or from another format version)."""


def provision_row(provision: Provision) -> list[str]:
    row = [getattr(provision, name) for name in COLUMNS]
    return [value.isoformat() if isinstance(value, date) else (value or "") for value in row]


def save(
    directory: Path,
    header: dict[str, Any],
    arrays: dict[str, npt.NDArray[np.generic]],
    fingerprint: str,
) -> None:
    """Write the index files; meta.json last, so a partial save is never taken for an index."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / META).unlink(missing_ok=True)
    _write(directory / PROVISIONS, json.dumps(header, ensure_ascii=False).encode("utf-8"))
    with (directory / f"{ARRAYS}.tmp").open("wb") as out:
        np.savez(out, **arrays)  # type: ignore[arg-type]
    os.replace(directory / f"{ARRAYS}.tmp", directory / ARRAYS)
    meta = {
        "format_version": FORMAT_VERSION,
        "fingerprint": fingerprint,
        "provisions": len(header["ids"]),
        "sha256": {name: _sha256(directory / name) for name in (ARRAYS, PROVISIONS)},
    }
    _write(directory / META, json.dumps(meta, indent=2).encode("utf-8"))


def load(directory: Path) -> tuple[dict[str, Any], dict[str, npt.NDArray[np.generic]], str]:
    """The header, the arrays and the fingerprint of a saved index, checked."""
    meta = _read_meta(directory)
    for name, expected in meta["sha256"].items():
        if _sha256(directory / name) != expected:
            raise IndexLoadError(
                f"{directory / name}: corrupt (checksum differs); rebuild the index"
            )
    try:
        with np.load(directory / ARRAYS, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        header = json.loads((directory / PROVISIONS).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IndexLoadError(f"{directory}: unreadable index ({error}); rebuild it") from None
    if not isinstance(header, dict) or len(header.get("ids", ())) != meta["provisions"]:
        raise IndexLoadError(f"{directory}: provisions do not match meta.json; rebuild the index")
    return header, arrays, str(meta["fingerprint"])


def _read_meta(directory: Path) -> dict[str, Any]:
    path = directory / META
    if not path.is_file():
        raise IndexLoadError(f"{directory}: no saved index ({META} missing); build it first")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise IndexLoadError(f"{path}: unreadable ({error}); rebuild the index") from None
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        found = meta.get("format_version") if isinstance(meta, dict) else None
        raise IndexLoadError(
            f"{path}: index format {found!r}, this version reads {FORMAT_VERSION}; rebuild it"
        )
    for name in (ARRAYS, PROVISIONS):
        if not (directory / name).is_file():
            raise IndexLoadError(f"{directory}: {name} missing; rebuild the index")
    return meta


def _write(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for block in iter(lambda: source.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
