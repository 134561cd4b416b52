"""Shared facts for the transfers tests: the shipped directory, loaded once."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from transfers.directory import Directory, load_directory

SH = ZoneInfo("Asia/Shanghai")
DIRECTORY: Directory = load_directory()


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SH)  # type: ignore[misc]
