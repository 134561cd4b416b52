"""Dynamic prompts: a text made (or found on disk) once is known afterwards without disk I/O, so
the waiting room needs no worker thread for it."""

from __future__ import annotations

from pathlib import Path

from hotline.prompts import DynamicPrompts, prompt_stem
from ivr.prompt import Prompt


def test_a_text_found_once_is_ready_without_the_disk_afterwards(tmp_path: Path) -> None:
    prompt = Prompt("queue_position", "您前面还有3位")
    stem = prompt_stem(prompt, "cmn")
    (tmp_path / f"{stem}.wav").write_bytes(b"\0" * (44 + 16_000 * 2))  # two seconds, made before
    prompts = DynamicPrompts(tmp_path, "/prompts/dynamic", voice="cmn")
    assert prompts.ready_path(prompt) is None  # not seen by this process yet

    assert prompts.path(prompt) == (f"/prompts/dynamic/{stem}", 2.0)
    (tmp_path / f"{stem}.wav").unlink()  # ready_path must not look at the disk

    assert prompts.ready_path(prompt) == (f"/prompts/dynamic/{stem}", 2.0)
    assert prompts.ready_path(Prompt("queue_position", "您前面还有4位")) is None
