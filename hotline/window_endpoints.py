"""Which district-window endpoints Asterisk provisions: the directory's offices by default."""

from __future__ import annotations

from hotline.settings import Settings
from transfers.directory import Directory, load_directory


def window_endpoints(settings: Settings, directory: Directory | None = None) -> tuple[str, ...]:
    """``settings.district_windows`` when set, else every office's ``win-...`` endpoint."""
    if settings.district_windows:
        return settings.district_windows
    directory = directory or load_directory()
    return tuple(office.endpoint for d in directory.districts for office in d.offices)
