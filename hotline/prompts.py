"""Prompt audio: the text of every prompt is spoken by espeak-ng (Mandarin voice ``cmn``) and
converted by sox to what Asterisk plays (8 kHz, 16-bit, mono WAV).

Files are named by a hash of voice and text, so a changed text gets a new file and an
unchanged one is never generated twice.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ivr.prompt import Prompt
from ivr.zh_speech import speakable

VOICE = "cmn"
RECORDINGS = "recordings"
log = logging.getLogger("hotline.prompts")
SPEED_WPM = 190
# Part of every file name: a change in how prompts are synthesised regenerates them all.
SYNTHESIS = f"zh_speech v2; espeak-ng -s {SPEED_WPM}; sox 8000 Hz 16-bit mono, gain -n -3"


class PromptError(Exception):
    """Prompt audio could not be generated; the message says what to do."""


def prompt_stem(prompt: Prompt, voice: str | None = None) -> str:
    voice = voice or prompt.voice
    digest = hashlib.sha256(f"{SYNTHESIS}\n{voice}\n{prompt.text}".encode()).hexdigest()[:20]
    return f"{prompt.name.replace('.', '_')}-{digest}"


def prompt_seconds(path: Path) -> float:
    """Length of a generated prompt (8 kHz, 16-bit mono WAV: 16,000 bytes a second)."""
    try:
        return max(0.0, (path.stat().st_size - 44) / 16_000)
    except OSError:
        return 30.0  # unknown: assume a long prompt rather than time out early


def ensure_prompts(prompts: Iterable[Prompt], out_dir: Path) -> list[Path]:
    """Generate the audio of every prompt that has none yet; return the files generated.

    Files of older texts are kept: a call that started on an earlier version of a flow may
    still play them.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    missing = {
        target: prompt
        for prompt in prompts
        if not (target := out_dir / f"{prompt_stem(prompt)}.wav").exists()
    }
    # espeak-ng and sox are single-threaded processes: a few at once use the machine's cores.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        list(pool.map(lambda item: _synthesise(item[1].text, item[0], item[1].voice),
                      missing.items()))  # fmt: skip
    return list(missing)


class PromptFiles:
    """Where Asterisk finds a prompt's audio: the admin's recording if there is one, else the
    synthesised text (generated now if it is missing)."""

    def __init__(self, host_dir: Path, asterisk_dir: str) -> None:
        self.host_dir = host_dir
        self.asterisk_dir = asterisk_dir

    @property
    def recordings_dir(self) -> Path:
        """Admins put recorded prompts here (8 kHz WAV, named as the flow's ``recording:``)."""
        return self.host_dir / RECORDINGS

    def ensure(self, prompts: Iterable[Prompt]) -> int:
        return len(ensure_prompts(prompts, self.host_dir))

    def file(self, prompt: Prompt) -> tuple[str, float]:
        """Blocking (call through asyncio.to_thread): Asterisk's path and the length."""
        if prompt.recording is not None:
            recorded = self.recordings_dir / f"{prompt.recording}.wav"
            if recorded.exists():
                return f"{self.asterisk_dir}/{RECORDINGS}/{prompt.recording}", prompt_seconds(
                    recorded
                )
            log.warning("prompt %s: recording %s is missing, playing the synthesised text",
                        prompt.name, recorded)  # fmt: skip
        target = self.host_dir / f"{prompt_stem(prompt)}.wav"
        if not target.exists():
            _synthesise(prompt.text, target, prompt.voice)
        return f"{self.asterisk_dir}/{prompt_stem(prompt)}", prompt_seconds(target)


class DynamicPrompts:
    """Prompts whose text is known only during a call (a queue position, an estimate).

    Each distinct text is synthesised once, off the event loop, into a folder of its own that
    set-up does not prune.
    """

    def __init__(self, host_dir: Path, asterisk_dir: str, voice: str = VOICE) -> None:
        self.host_dir = host_dir
        self.asterisk_dir = asterisk_dir
        self.voice = voice
        self._ready: dict[str, float] = {}
        """Texts made (or found) already, by stem: their length in seconds."""

    def path(self, prompt: Prompt) -> tuple[str, float]:
        """Generate if needed (blocking: call through asyncio.to_thread); Asterisk path, length."""
        stem = prompt_stem(prompt)
        target = self.host_dir / f"{stem}.wav"
        if stem not in self._ready and not target.exists():
            self.host_dir.mkdir(parents=True, exist_ok=True)
            _synthesise(prompt.text, target, self.voice)
        self._ready[stem] = seconds = prompt_seconds(target)
        return f"{self.asterisk_dir}/{stem}", seconds

    def ready_path(self, prompt: Prompt) -> tuple[str, float] | None:
        """A text made before, without touching the disk (safe on the event loop); else None.
        Most waiting callers hear texts made before: they need no worker thread, which may be
        queued behind the store's work on a busy machine."""
        stem = prompt_stem(prompt)
        seconds = self._ready.get(stem)
        return None if seconds is None else (f"{self.asterisk_dir}/{stem}", seconds)


def _synthesise(text: str, target: Path, voice: str) -> None:
    espeak, sox = shutil.which("espeak-ng"), shutil.which("sox")
    if espeak is None or sox is None:
        raise PromptError("prompt audio needs espeak-ng and sox: apt-get install espeak-ng sox")
    if voice.startswith(("cmn", "zh", "yue")):
        text = speakable(text)  # numbers as a Mandarin speaker says them
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        _run([espeak, "-v", voice, "-s", str(SPEED_WPM), "-w", str(raw), "--", text], "espeak-ng")
        # A name of its own: two calls may ask for the same new text at once.
        partial = target.with_name(f".{target.stem}.{os.getpid()}.{threading.get_ident()}.wav")
        _run(
            [sox, "-V1", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer",
             str(partial), "gain", "-n", "-3"],
            "sox",
        )  # fmt: skip
        partial.replace(target)


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
    if result.returncode != 0:
        raise PromptError(f"{what} failed (exit {result.returncode}): {result.stderr.strip()}")
