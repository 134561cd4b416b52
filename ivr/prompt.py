"""A prompt: what the caller hears, as text (synthesised) or as a recorded file that replaces it."""

from __future__ import annotations

from dataclasses import dataclass

MANDARIN = "cmn"


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str
    voice: str = MANDARIN
    """espeak-ng voice of the synthesised audio: ``cmn`` (Mandarin), ``en``..."""
    recording: str | None = None
    """A recorded file (Asterisk's path, no extension) played instead of the synthesised text."""
