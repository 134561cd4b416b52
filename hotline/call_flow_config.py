"""What a caller's FastAGI session needs to know: the flow, prompts and waiting-room settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hotline.calls import CallTrace
from hotline.ivr_session import CallbackBooker, PromptFile
from hotline.prompts import DynamicPrompts
from hotline.surveys import SaveSurvey
from ivr.flow import Flow
from ivr.interpreter import CallFacts
from ivr.prompt import Prompt


@dataclass(frozen=True)
class CallFlowConfig:
    flow: Callable[[], Flow]
    """The flow in service now (it may change between calls, never during one)."""
    facts: Callable[[CallTrace], CallFacts]
    prompt_file: PromptFile
    book_callback: CallbackBooker
    save_survey: SaveSurvey
    prompt_path: Callable[[Prompt], str]
    prompt_seconds: Callable[[Prompt], float]
    dynamic_prompts: DynamicPrompts
    service_number: str
    announce_after_s: float = 2.0
    announce_every_s: float = 45.0
    message_dir: str | None = None
    """Where Asterisk writes voice messages (its own view); None: no messages."""
    message_host_dir: Path | None = None
    """The same folder seen from the controller (to measure a message cut off by a hang-up)."""
