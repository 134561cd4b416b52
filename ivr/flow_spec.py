"""The shape of an IVR flow file, as pydantic models: unknown keys are errors, types are checked.

ivr/flow_yaml.py reads the YAML and reports every error with its file and line; this module only
says what may be written. The README's "IVR flows" section documents the same fields.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Key = Annotated[str, Field(pattern=r"^[0-9*#]$")]
NodeId = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")]
Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,79}$")]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class PromptSpec(Strict):
    text: Text
    voice: Annotated[str, Field(pattern=r"^[a-z][a-z-]{1,15}$")] | None = None
    recording: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_./-]{0,199}$")] | None = None
    """A recorded file under the recordings folder (no extension) played instead of the text."""


PromptField = Text | PromptSpec


class ChoiceSpec(Strict):
    goto: NodeId
    language: Name | None = None


class MenuSpec(Strict):
    type: Literal["menu"]
    prompt: PromptField
    options: dict[Key, NodeId | ChoiceSpec]
    person: bool = True
    """Key 0 leads to the flow's person node unless the options say otherwise."""
    invalid: PromptField | None = None
    no_input: PromptField | None = None
    on_failure: NodeId | None = None
    retries: Annotated[int, Field(ge=0, le=5)] | None = None
    timeout_ms: Annotated[int, Field(ge=1000, le=30000)] | None = None


class PlaySpec(Strict):
    type: Literal["play"]
    prompt: PromptField
    next: NodeId


class QueueSpec(Strict):
    type: Literal["queue"]
    queue: Name
    topic: Name
    skills: dict[Name, Annotated[int, Field(ge=1, le=5)]] = Field(default_factory=dict)
    priority: Annotated[int, Field(ge=1, le=9)] = 5
    schedule: Name | None = None
    closed: NodeId | None = None
    prompt: PromptField | None = None


class HangupSpec(Strict):
    type: Literal["hangup"]
    prompt: PromptField | None = None


class HoursSpec(Strict):
    type: Literal["hours"]
    schedule: Name
    open: NodeId
    closed: NodeId


class SelfServiceSpec(Strict):
    type: Literal["self_service"]
    topic: Name
    intro: PromptField | None = None
    answers: list[PromptField] = Field(min_length=1, max_length=10)
    after_each: PromptField
    agent: NodeId | None = None
    next: NodeId
    max_answers: Annotated[int, Field(ge=1, le=10)] = 3
    timeout_ms: Annotated[int, Field(ge=1000, le=30000)] | None = None


class IdEntrySpec(Strict):
    type: Literal["id_entry"]
    prompt: PromptField
    invalid: PromptField
    accepted: PromptField | None = None
    next: NodeId
    on_failure: NodeId | None = None
    retries: Annotated[int, Field(ge=0, le=5)] | None = None
    timeout_ms: Annotated[int, Field(ge=1000, le=30000)] | None = None


class CallbackSpec(Strict):
    type: Literal["callback"]
    schedule: Name
    queue: Name
    topic: Name
    booked: PromptField
    unavailable: PromptField
    next: NodeId


NodeSpec = Annotated[
    MenuSpec | PlaySpec | QueueSpec | HangupSpec | HoursSpec | SelfServiceSpec | IdEntrySpec
    | CallbackSpec,
    Field(discriminator="type"),
]  # fmt: skip


class DefaultsSpec(Strict):
    invalid: PromptField = "您的输入有误。"
    no_input: PromptField = "我们没有收到您的按键。"
    retries: Annotated[int, Field(ge=0, le=5)] = 2
    timeout_ms: Annotated[int, Field(ge=1000, le=30000)] = 5000


class SurveySpec(Strict):
    prompt: PromptField
    thanks: PromptField
    invalid: PromptField
    retries: Annotated[int, Field(ge=0, le=3)] = 1
    timeout_ms: Annotated[int, Field(ge=1000, le=30000)] = 6000


class LanguageSpec(Strict):
    skill: Name | None = None
    """The agent skill callers of this language need (none: any agent)."""
    proficiency: Annotated[int, Field(ge=1, le=5)] = 3


class FlowSpec(Strict):
    flow: Name
    description: str = ""
    start: NodeId
    person: NodeId
    language: Name = "mandarin"
    languages: dict[Name, LanguageSpec] = Field(default_factory=dict)
    voice: Annotated[str, Field(pattern=r"^[a-z][a-z-]{1,15}$")] = "cmn"
    skill_labels: dict[Name, Annotated[str, Field(min_length=1, max_length=80)]] = Field(
        default_factory=dict
    )
    """Names shown to supervisors for the skills the flow's queues ask for."""
    hot_topics: bool = True
    """Play the admin's hot-topic announcement (if one is on) before the start node."""
    defaults: DefaultsSpec = Field(default_factory=DefaultsSpec)
    schedules: dict[Name, dict[str, Any]] = Field(default_factory=dict)
    survey: SurveySpec | None = None
    nodes: dict[NodeId, NodeSpec] = Field(min_length=1)
