"""Loading flows from YAML: every error names its file and line, and nothing half-loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotline.flow_library import parse_flow
from ivr.flow import MenuNode, QueueNode
from ivr.flow_yaml import FlowError, load_flow_file

HEAD = "flow: f\nstart: main\nperson: agent\nnodes:\n"
MAIN = "  main:\n    type: menu\n    prompt: 你好\n    options: {'1': agent}\n"
AGENT = "  agent:\n    type: queue\n    queue: general\n    topic: general\n"


def problems(text: str) -> list[str]:
    with pytest.raises(FlowError) as caught:
        parse_flow(text, "f.yaml")
    return [str(p) for p in caught.value.problems]


def test_a_minimal_flow_loads_and_key_zero_is_added_for_a_person() -> None:
    flow = parse_flow(HEAD + MAIN + AGENT, "f.yaml")
    main = flow.node("main")
    assert isinstance(main, MenuNode)
    assert set(main.choices) == {"1", "0"}
    assert main.choices["0"].goto == "agent"
    assert isinstance(flow.node("agent"), QueueNode)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            HEAD + MAIN.replace("options", "optoins") + AGENT,
            "f.yaml:8: nodes.main.menu.optoins: unknown key",
        ),
        (
            HEAD + MAIN + AGENT + "  agent:\n    type: hangup\n",
            "f.yaml:13: 'agent' is written twice",
        ),
        (
            HEAD + MAIN.replace("agent}", "nowhere}") + AGENT,
            "f.yaml:5: nodes.main: leads to 'nowhere'",
        ),
        (
            HEAD + MAIN + AGENT + "  lost:\n    type: hangup\n",
            "f.yaml:13: nodes.lost: no caller can reach",
        ),
        (HEAD + MAIN.replace("'1'", "'11'") + AGENT, "f.yaml:8: nodes.main.menu.options.11"),
        (HEAD + MAIN.replace("menu", "manu") + AGENT, "f.yaml:5: nodes.main: unknown node type"),
        (
            HEAD + MAIN + AGENT.replace("general\n    topic", "General\n    topic"),
            "f.yaml:11: nodes.agent.queue.queue",
        ),
        (
            HEAD.replace("person: agent", "person: main") + MAIN + AGENT,
            "f.yaml:3: person: 'main' must be a queue node",
        ),
        (HEAD + MAIN + AGENT + "    priority: '1'\n", "f.yaml:13: nodes.agent.queue.priority"),
        ("flow: f\nstart: [", "f.yaml:2: not valid YAML"),
        ("", "f.yaml:1: the flow file is empty"),
    ],
    ids=[
        "unknown-key",
        "duplicate",
        "dangling-goto",
        "unreachable",
        "bad-key",
        "bad-type",
        "bad-queue-name",
        "person-not-queue",
        "string-for-int",
        "yaml-syntax",
        "empty",
    ],
)
def test_errors_name_the_file_and_line(text: str, expected: str) -> None:
    found = problems(text)
    assert any(p.startswith(expected) for p in found), found


def test_every_problem_is_reported_at_once() -> None:
    text = HEAD + MAIN.replace("agent}", "nowhere}") + AGENT + "  lost:\n    type: hangup\n"
    assert len(problems(text)) == 2


def test_a_loop_that_never_asks_the_caller_is_refused() -> None:
    loop = (
        "  a:\n    type: play\n    prompt: 一\n    next: b\n"
        "  b:\n    type: play\n    prompt: 二\n    next: a\n"
    )
    text = HEAD + MAIN.replace("agent}", "agent, '2': a}") + AGENT + loop
    assert any("loops back to itself" in p for p in problems(text))


def test_a_queue_with_a_schedule_needs_a_closed_branch_and_a_known_schedule() -> None:
    agent = AGENT + "    schedule: office\n"
    found = problems(HEAD + MAIN + agent)
    assert any("needs 'closed'" in p for p in found)
    assert any("there is no schedule 'office'" in p for p in found)


def test_a_bad_schedule_is_reported_at_its_line() -> None:
    text = HEAD.replace(
        "nodes:", "schedules:\n  office: {days: someday, open: ['09:00-17:00']}\nnodes:"
    )
    found = problems(text + MAIN + AGENT)
    assert any(p.startswith("f.yaml:5: schedules.office") for p in found), found


def test_an_unknown_language_is_refused() -> None:
    text = HEAD + MAIN.replace("'1': agent", "'1': {goto: agent, language: klingon}") + AGENT
    assert any("unknown language 'klingon'" in p for p in problems(text))


def test_an_oversized_flow_is_refused_before_parsing() -> None:
    assert problems("# " + "x" * 1_000_001)[0].startswith("f.yaml:0: the flow is over")


def test_an_unreadable_file_says_so(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(FlowError, match="cannot read the flow"):
        load_flow_file(bad, lambda name, raw: raw)


def test_prompts_are_named_by_node_and_role_in_the_flow_voice() -> None:
    flow = parse_flow(HEAD + MAIN + AGENT, "f.yaml")
    names = {p.name for p in flow.prompts}
    assert {"main.prompt", "defaults.invalid", "defaults.no_input"} <= names
    assert {p.voice for p in flow.prompts} == {"cmn"}


def test_a_recording_replaces_the_text_and_a_voice_can_be_chosen() -> None:
    main = MAIN.replace("prompt: 你好", "prompt: {text: Hello, voice: en, recording: welcome_v2}")
    flow = parse_flow(HEAD + main + AGENT, "f.yaml")
    node = flow.node("main")
    assert isinstance(node, MenuNode)
    assert (node.prompt.voice, node.prompt.recording) == ("en", "welcome_v2")
