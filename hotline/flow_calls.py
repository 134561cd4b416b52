"""Scripted callers for a flow's paths: which keys, pressed when, and how the call should end.

The demo and the integration tests place one real SIP call per path (ivr/flow_paths.py). A
SIPp caller cannot hear, so each key is timed from the prompts the interpreter will play before
it: the path is stepped through the real interpreter, prompt lengths come from the generated
audio, and each key is pressed a little way into the prompt that asks for it (a key pressed
while no question is being asked is discarded by Asterisk).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hotline.sipp.runner import CallerPath
from ivr.flow import Flow, HangupNode
from ivr.flow_paths import VALID_ID, FlowPath
from ivr.hours import Schedule, is_open
from ivr.interpreter import BookCallback, CallFacts, Collect, Effect, FlowRun, Hangup, Play, Route
from ivr.prompt import Prompt

ANSWER_MS = 800
"""From the caller's 200 OK to the first prompt: Answer() waits up to 500 ms for media."""
INTO_PROMPT_MS = 1500
"""How far into a question's prompt the caller presses its key."""
BETWEEN_DIGITS_MS = 350
AFTER_KEY_MS = 400
"""A key's tone, then the controller's turn to ask the next question."""


@dataclass(frozen=True)
class ScriptedPath:
    path: FlowPath
    caller: CallerPath
    outcome: str
    """How the call should end: "answered", "self_served" or "callback_requested"."""
    ivr_ms: int
    """How long the caller spends in the IVR, about."""


def script_path(
    flow: Flow, path: FlowPath, prompt_seconds: Callable[[Prompt], float], *, today: date,
    valid_id: str,
) -> ScriptedPath:  # fmt: skip
    open_now = frozenset(name for name, is_open in path.schedules.items() if is_open)
    script = script_inputs(flow, list(path.inputs), prompt_seconds, today=today,
                           open_schedules=open_now, valid_id=valid_id)  # fmt: skip
    end = flow.node(path.end)
    outcome = (
        "answered" if not isinstance(end, HangupNode)
        else "callback_requested" if script.booked
        else "self_served"
    )  # fmt: skip
    return ScriptedPath(path, script.caller, outcome, script.ivr_ms)


@dataclass(frozen=True)
class Script:
    caller: CallerPath
    ivr_ms: int
    booked: bool
    nodes: tuple[str, ...]


def script_inputs(
    flow: Flow, inputs: list[str], prompt_seconds: Callable[[Prompt], float], *, today: date,
    open_schedules: frozenset[str], valid_id: str = "", hangup_after_ms: int = 0,
) -> Script:  # fmt: skip
    """Time the keys of ``inputs`` ("" is silence: the question times out)."""
    run = FlowRun(flow, CallFacts(today=today, open_schedules=open_schedules))
    pending: list[Effect] = run.start()
    inputs, now_ms, keys, times, booked = list(inputs), ANSWER_MS, "", [], False
    while pending:
        effect = pending.pop(0)
        if isinstance(effect, Play):
            now_ms += round(prompt_seconds(effect.prompt) * 1000)
        elif isinstance(effect, BookCallback):
            booked = True
        elif isinstance(effect, Collect):
            if not inputs:
                break  # the script ends here (the caller hangs up, or stays silent)
            typed = _typed(inputs.pop(0), valid_id)
            prompt_ms = round(prompt_seconds(effect.prompt) * 1000)
            if not typed:
                now_ms += prompt_ms + effect.timeout_ms + AFTER_KEY_MS
            else:
                press = now_ms + min(INTO_PROMPT_MS, prompt_ms * 4 // 5)
                for index, key in enumerate(typed):
                    times.append(press + index * BETWEEN_DIGITS_MS)
                    keys += key
                now_ms = times[-1] + AFTER_KEY_MS
            pending.extend(run.receive(typed.removesuffix("#")))
        elif isinstance(effect, Route | Hangup):
            break
    first = times[0] if times else ANSWER_MS
    caller = CallerPath(
        keys, first_key_ms=first, key_times_ms=tuple(t - first for t in times),
        hangup_after_ms=hangup_after_ms,
    )  # fmt: skip
    return Script(caller, now_ms, booked, tuple(run.path))


def _typed(given: str, valid_id: str) -> str:
    """The keys for one question: an ID number as a phone keys it (X as *, then #)."""
    if given == VALID_ID:
        return valid_id.upper().replace("X", "*") + "#"
    return given


def find_time(
    schedules: Mapping[str, object], wanted: Mapping[str, bool], start: datetime,
    days: int = 60,
) -> datetime | None:  # fmt: skip
    """The first half hour from ``start`` at which each wanted schedule is open (True) or
    closed (False): the clock a scripted path needs (a holiday, a Saturday morning...)."""
    at = start.replace(minute=30, second=0, microsecond=0)
    for _ in range(days * 24 * 2):
        if all(
            isinstance(schedule := schedules.get(name), Schedule)
            and is_open(schedule, at) == is_wanted
            for name, is_wanted in wanted.items()
        ):
            return at
        at += timedelta(minutes=30)
    return None
