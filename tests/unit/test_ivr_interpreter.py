"""The IVR interpreter on small flows: keys in, effects out, every wrong key and silence
recorded with its node, and the shipped flows' every path leading where the flow says."""

from __future__ import annotations

from datetime import date

import pytest

from hotline.flow_library import parse_flow
from ivr.flow import Flow
from ivr.flow_paths import VALID_ID, flow_paths
from ivr.interpreter import (
    BookCallback,
    CallFacts,
    Collect,
    Effect,
    FlowLoopError,
    FlowRun,
    Hangup,
    IdentityGiven,
    Play,
    Route,
    Step,
)
from ivr.prompt import Prompt
from ivr.shipped_flows import DEFAULT_FLOW, ONE_MENU_FLOW

TODAY = date(2026, 11, 27)
VALID = "11010519491231002X"
"""The check digit example of GB 11643."""

FLOW = """
flow: small
start: hours
person: agent
languages:
  mandarin: {}
  english: {skill: english, proficiency: 3}
schedules:
  office: {days: mon-fri, open: ["09:00-17:00"]}
nodes:
  hours: {type: hours, schedule: office, open: main, closed: closed}
  main:
    type: menu
    prompt: 主菜单
    retries: 1
    options:
      "1": topic
      "2": id
      "8": {goto: agent, language: english}
  topic:
    type: menu
    prompt: 话题
    options: {"1": faq, "*": main, "0": topic_agent}
  faq:
    type: self_service
    topic: pension
    intro: 常见问题
    answers: [答案一, 答案二]
    after_each: 零转人工
    agent: topic_agent
    next: bye
  id:
    type: id_entry
    prompt: 请输入身份证
    invalid: 号码有误
    retries: 1
    next: topic_agent
  topic_agent: {type: queue, queue: pension, topic: pension, skills: {pension: 3}, priority: 2}
  agent: {type: queue, queue: general, topic: general}
  closed:
    type: menu
    prompt: 下班了
    person: false
    options: {"1": book}
    on_failure: bye
  book:
    type: callback
    schedule: office
    queue: general
    topic: later
    booked: 已预约
    unavailable: 无法回拨
    next: bye
  bye: {type: hangup, prompt: 再见}
"""


def small_flow() -> Flow:
    return parse_flow(FLOW, "small.yaml", version=3)


def drive(flow: Flow, inputs: list[str], **facts: object) -> tuple[list[Effect], FlowRun]:
    """Start, then answer every Collect with the next input; all effects, in order."""
    run = FlowRun(flow, CallFacts(today=TODAY, **facts))  # type: ignore[arg-type]
    effects, pending = [], run.start()
    while pending:
        effect = pending.pop(0)
        effects.append(effect)
        if isinstance(effect, Collect):
            pending.extend(run.receive(inputs.pop(0)))
    assert not inputs, f"inputs left over: {inputs}"
    return effects, run


def ending(effects: list[Effect]) -> Effect:
    return next(e for e in reversed(effects) if not isinstance(e, Step | Play))


def steps(effects: list[Effect], kind: str) -> list[dict[str, object]]:
    return [dict(e.detail) for e in effects if isinstance(e, Step) and e.kind == kind]


OPEN = {"open_schedules": frozenset({"office"})}


def test_given_office_open_when_topic_then_agent_then_routed_with_topic_skill() -> None:
    effects, run = drive(small_flow(), ["1", "0"], **OPEN)
    assert ending(effects) == Route("pension", "pension", "topic_agent", (("pension", 3),), 2)
    assert run.path == ["hours", "main", "topic", "topic_agent"]
    assert steps(effects, "ivr_node")[0] == {"flow": "small", "version": 3, "node": "hours"}


def test_given_office_closed_when_callback_chosen_then_booked_and_goodbye() -> None:
    effects, run = drive(small_flow(), ["1"])
    assert BookCallback("book", "office", "general", "later") in effects
    assert [e.prompt.text for e in effects if isinstance(e, Play)] == ["已预约", "再见"]
    assert ending(effects) == Hangup("bye")
    assert run.done


def test_given_unreachable_number_when_callback_chosen_then_told_and_not_booked() -> None:
    effects, _ = drive(small_flow(), ["1"], callback_possible=False)
    assert not any(isinstance(e, BookCallback) for e in effects)
    assert "无法回拨" in [e.prompt.text for e in effects if isinstance(e, Play)]


def test_wrong_key_and_silence_are_recorded_at_their_node_then_a_person() -> None:
    effects, _ = drive(small_flow(), ["7", ""], **OPEN)
    assert steps(effects, "ivr_invalid") == [{"node": "main", "key": "7"}]
    assert steps(effects, "ivr_timeout") == [{"node": "main"}]
    # retries: 1 → asked twice, then the flow's person
    assert sum(isinstance(e, Collect) for e in effects) == 2
    assert ending(effects) == Route("general", "general", "agent")


def test_key_zero_reaches_a_person_at_every_menu_with_person() -> None:
    effects, _ = drive(small_flow(), ["0"], **OPEN)
    assert ending(effects) == Route("general", "general", "agent")


def test_a_menu_without_person_ignores_zero_and_ends_where_it_says() -> None:
    effects, _ = drive(small_flow(), ["0", "0", "0"])
    assert steps(effects, "ivr_invalid") == [{"node": "closed", "key": "0"}] * 3
    assert ending(effects) == Hangup("bye")


def test_language_choice_adds_the_language_skill_to_the_route() -> None:
    effects, _ = drive(small_flow(), ["8"], **OPEN)
    assert ending(effects) == Route("general", "general", "agent", (("english", 3),))


def test_back_key_returns_to_the_parent_menu() -> None:
    _, run = drive(small_flow(), ["1", "*", "1", "0"], **OPEN)
    assert run.path == ["hours", "main", "topic", "main", "topic", "topic_agent"]


@pytest.mark.parametrize(
    ("keys", "end"),
    [
        (["1", "1", "1", "1"], Hangup("bye")),  # both answers heard, then goodbye
        (["1", "1", "0"], Route("pension", "pension", "topic_agent", (("pension", 3),), 2)),
        (["1", "1", "9", "1", "1"], Hangup("bye")),  # 9 repeats the first answer
        (["1", "1", "", ""], Hangup("bye")),  # silence moves on
    ],
)
def test_self_service_reads_answers_with_zero_for_an_agent(keys: list[str], end: Effect) -> None:
    effects, _ = drive(small_flow(), keys, **OPEN)
    assert ending(effects) == end


def test_self_service_prefers_the_knowledge_base_answers() -> None:
    kb = (Prompt("kb1", "知识库答案"),)
    effects, _ = drive(small_flow(), ["1", "1", "1"], **OPEN, answers=lambda topic: kb)
    assert "知识库答案" in [e.prompt.text for e in effects if isinstance(e, Play)]
    assert "答案一" not in [e.prompt.text for e in effects if isinstance(e, Play)]


def test_a_valid_id_number_is_accepted_and_only_its_masked_form_leaves() -> None:
    effects, _ = drive(small_flow(), ["2", VALID.replace("X", "*")], **OPEN)
    given = [e for e in effects if isinstance(e, IdentityGiven)]
    assert len(given) == 1
    assert VALID not in repr(effects) and VALID[:17] not in repr(effects)
    assert given[0].masked != VALID
    assert ending(effects) == Route("pension", "pension", "topic_agent", (("pension", 3),), 2)


def test_an_invalid_id_number_is_refused_then_a_person_after_the_retries() -> None:
    wrong = VALID[:17] + "1"
    effects, _ = drive(small_flow(), ["2", wrong, wrong], **OPEN)
    invalid = steps(effects, "ivr_invalid")
    assert [s["node"] for s in invalid] == ["id", "id"]
    assert all(wrong not in str(s) for s in invalid)
    assert "号码有误" in [e.prompt.text for e in effects if isinstance(e, Play)]
    assert ending(effects) == Route("general", "general", "agent")


def test_a_hot_topic_plays_before_the_start() -> None:
    topic = Prompt("hot_topic_1", "新政策")
    effects, _ = drive(small_flow(), ["0"], **OPEN, hot_topic=topic)
    assert effects[1] == Play(topic, "hours")


def test_receive_after_the_end_is_an_error() -> None:
    _, run = drive(small_flow(), ["0"], **OPEN)
    with pytest.raises(RuntimeError, match="already ended"):
        run.receive("1")


def test_a_flow_looping_without_asking_is_stopped() -> None:
    flow = small_flow()
    run = FlowRun(flow, CallFacts(today=TODAY, open_schedules=frozenset({"office"})))
    run.start()
    run.path.extend(["x"] * 300)
    with pytest.raises(FlowLoopError):
        run.receive("0")


@pytest.mark.parametrize("source", [DEFAULT_FLOW, ONE_MENU_FLOW], ids=lambda p: p.stem)
def test_every_path_of_a_shipped_flow_ends_at_its_last_node(source: object) -> None:
    from pathlib import Path  # noqa: PLC0415

    assert isinstance(source, Path)
    flow = parse_flow(source.read_text(encoding="utf-8"), str(source))
    paths = flow_paths(flow)
    assert paths, "a flow has at least one path"
    for path in paths:
        inputs = [VALID.replace("X", "*") if i == VALID_ID else i for i in path.inputs]
        open_now = frozenset(n for n, v in path.schedules.items() if v)
        _, run = drive(flow, inputs, open_schedules=open_now)
        assert tuple(run.path) == path.nodes, path.key
        assert run.done
