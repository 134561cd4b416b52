"""The key menu as a pure state machine: digits in, effects out, and a person at the end."""

from __future__ import annotations

import pytest

from ivr.menu import (
    GENERAL,
    WELCOME_12333,
    Effect,
    Menu,
    MenuRun,
    Option,
    Play,
    PlayAndCollect,
    Prompt,
    RouteToAgent,
)

MENU = WELCOME_12333
ASK = PlayAndCollect(MENU.prompt, max_digits=1, timeout_ms=MENU.digit_timeout_ms)
INVALID = Play(MENU.invalid)
NO_INPUT = Play(MENU.no_input)
TO_PERSON = RouteToAgent(GENERAL.queue, GENERAL.topic)
PENSION = RouteToAgent("pension", "pension", (("pension", 3),))
MEDICAL = RouteToAgent("medical_insurance", "medical_insurance", (("medical_insurance", 3),))


def run_menu(menu: Menu, inputs: list[str]) -> tuple[list[Effect], MenuRun]:
    """Feed the inputs in order; every effect the caller meets, from start() on."""
    run = MenuRun(menu)
    effects: list[Effect] = [run.start()]
    for digits in inputs:
        assert not isinstance(effects[-1], RouteToAgent), "input after the caller was routed"
        effects.extend(run.receive(digits))
    return effects, run


@pytest.mark.parametrize(
    ("inputs", "effects", "path"),
    [
        pytest.param(["1"], [ASK, PENSION], ["1"], id="pension"),
        pytest.param(["2"], [ASK, MEDICAL], ["2"], id="medical"),
        pytest.param(["0"], [ASK, TO_PERSON], ["0"], id="person"),
        pytest.param(["12"], [ASK, PENSION], ["1"], id="first-digit-counts"),
        pytest.param(["9", "1"], [ASK, INVALID, ASK, PENSION], ["9", "1"], id="wrong-then-right"),
        pytest.param(["", "2"], [ASK, NO_INPUT, ASK, MEDICAL], ["timeout", "2"], id="silent"),
        pytest.param(
            ["*", "#", "0"],
            [ASK, INVALID, ASK, INVALID, ASK, TO_PERSON],
            ["*", "#", "0"],
            id="star-and-hash-are-wrong",
        ),
        pytest.param(
            ["", "", ""],
            [ASK, NO_INPUT, ASK, NO_INPUT, ASK, NO_INPUT, TO_PERSON],
            ["timeout"] * 3,
            id="silence-to-person",
        ),
        pytest.param(
            ["7", "8", "9"],
            [ASK, INVALID, ASK, INVALID, ASK, INVALID, TO_PERSON],
            ["7", "8", "9"],
            id="wrong-keys-to-person",
        ),
        pytest.param(
            ["5", "", "5"],
            [ASK, INVALID, ASK, NO_INPUT, ASK, INVALID, TO_PERSON],
            ["5", "timeout", "5"],
            id="mixed-to-person",
        ),
        pytest.param(
            ["5", "", "1"],
            [ASK, INVALID, ASK, NO_INPUT, ASK, PENSION],
            ["5", "timeout", "1"],
            id="last-chance-counts",
        ),
    ],
)
def test_given_welcome_menu_when_caller_keys_in_then_effects_and_path_follow(
    inputs: list[str], effects: list[Effect], path: list[str]
) -> None:
    got, run = run_menu(MENU, inputs)
    assert got == effects
    assert run.path == path


def test_given_valid_key_when_received_then_the_option_queue_and_topic_are_routed() -> None:
    for option in MENU.options:
        run = MenuRun(MENU)
        run.start()
        assert run.receive(option.key) == [option.route]


def test_given_wrong_key_when_received_then_invalid_plays_and_the_menu_asks_again() -> None:
    run = MenuRun(MENU)
    assert run.start() == ASK
    assert run.receive("9") == [Play(Prompt("invalid", "您的输入有误。")), ASK]


def test_given_silence_when_received_then_no_input_plays_and_the_menu_asks_again() -> None:
    run = MenuRun(MENU)
    run.start()
    assert run.receive("") == [Play(Prompt("no_input", "我们没有收到您的按键。")), ASK]


@pytest.mark.parametrize("retries", [0, 1, 2, 4])
def test_given_retries_when_caller_never_keys_right_then_menu_asks_retries_plus_one_times(
    retries: int,
) -> None:
    menu = Menu(
        prompt=Prompt("welcome", "w"),
        invalid=Prompt("invalid", "i"),
        no_input=Prompt("no_input", "n"),
        options=(Option("1", "pension", "pension-q"),),
        default=Option("0", "operator", "people"),
        retries=retries,
        digit_timeout_ms=3000,
    )
    effects, run = run_menu(menu, ["9"] * (retries + 1))
    asks = [e for e in effects if isinstance(e, PlayAndCollect)]
    assert len(asks) == retries + 1
    assert all(a == PlayAndCollect(menu.prompt, 1, 3000) for a in asks)
    assert effects[-2:] == [Play(menu.invalid), RouteToAgent("people", "operator")]
    assert run.path == ["9"] * (retries + 1)


def test_given_welcome_menu_when_listing_prompts_then_the_three_prompts_are_named() -> None:
    assert [p.name for p in MENU.prompts] == ["welcome", "invalid", "no_input"]
    assert MENU.default == GENERAL
    assert MENU.option("0") == GENERAL
    assert MENU.option("") is None
