"""Command encoding: every argument comes back from Asterisk's splitter as exactly one word."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agi import (
    MAX_COMMAND_BYTES,
    MAX_COMMAND_WORDS,
    AgiUnsafeArgument,
    format_command,
    sanitize_text,
)
from tests.unit.test_agi_reference import split_command_line

NASTY = [
    "",
    " ",
    '"',
    '""',
    "\\",
    "\\\\",
    '\\"',
    'x" EXEC System "rm -rf /',
    "\\nEXEC System rm",  # a literal backslash and n: must stay text
    '" ; EXEC System "rm -rf /" ; "',
    "trailing backslash\\",
    "\t",
    "张三 李四",
    "国家政务服务热线 12345",
    "emoji 📞 and combining é",
    "\x1b[31mred",
    "\u2028line separator",
]

COMMANDS = ["ANSWER", "STREAM FILE", "SET VARIABLE", "GET DATA", "EXEC", "VERBOSE"]

safe_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\x00"),
    max_size=40,
)
arguments = st.one_of(safe_text, st.sampled_from(NASTY), st.integers(-(10**9), 10**9))


@given(name=st.sampled_from(COMMANDS), args=st.lists(arguments, max_size=8))
def test_given_any_safe_arguments_when_formatted_then_asterisk_splits_them_back_exactly(
    name: str, args: list[str | int]
) -> None:
    encoded = format_command(name, *args)

    assert encoded.count(b"\n") == 1
    assert encoded.endswith(b"\n")
    assert split_command_line(encoded) == [*name.split(" "), *(str(a) for a in args)]


@pytest.mark.parametrize("nasty", NASTY)
def test_given_named_injection_attempt_when_formatted_then_it_is_one_argument(nasty: str) -> None:
    words = split_command_line(format_command("SET VARIABLE", "CALLER_NAME", nasty))

    assert words == ["SET", "VARIABLE", "CALLER_NAME", nasty]


@pytest.mark.parametrize(
    "payload",
    [
        "\nEXEC System rm",
        'x"\nEXEC System "rm -rf /"',
        "carriage\rreturn",
        "nul\x00byte",
        "ends with newline\n",
    ],
    ids=["lf-exec", "quote-lf-exec", "cr", "nul", "trailing-lf"],
)
def test_given_cr_lf_or_nul_when_formatted_then_refused_before_anything_is_sent(
    payload: str,
) -> None:
    with pytest.raises(AgiUnsafeArgument):
        format_command("SET VARIABLE", "CALLER_NAME", payload)


@pytest.mark.parametrize(
    "name", ["", "answer", "STREAM  FILE", " ANSWER", "ANSWER ", "EXEC\n", "SET-VARIABLE", "É"]
)
def test_given_bad_command_name_when_formatted_then_refused(name: str) -> None:
    with pytest.raises(AgiUnsafeArgument):
        format_command(name)


def test_given_empty_string_when_formatted_then_sent_as_empty_quotes() -> None:
    assert format_command("STREAM FILE", "welcome", "") == b'STREAM FILE "welcome" ""\n'


def test_given_integers_when_formatted_then_sent_as_decimal_words() -> None:
    assert format_command("GET DATA", "menu", 5000, -1) == b'GET DATA "menu" "5000" "-1"\n'


def test_given_bool_argument_when_formatted_then_type_error() -> None:
    with pytest.raises(TypeError):
        format_command("SET MUSIC", True)  # a bool type-checks as int: refused at run time


def test_given_lone_surrogate_when_formatted_then_refused() -> None:
    with pytest.raises(AgiUnsafeArgument):
        format_command("VERBOSE", "bad \udc80 text")


def test_given_line_at_buffer_limit_when_formatted_then_accepted_and_one_byte_more_refused() -> (
    None
):
    overhead = len(format_command("VERBOSE", ""))
    fits = "a" * (MAX_COMMAND_BYTES - overhead)

    assert len(format_command("VERBOSE", fits)) == MAX_COMMAND_BYTES
    with pytest.raises(AgiUnsafeArgument):
        # Past res_agi's buffer the tail would run as a second command.
        format_command("VERBOSE", fits + "a")


def test_given_escapes_count_toward_the_limit_when_formatted_then_long_quoted_text_refused() -> (
    None
):
    with pytest.raises(AgiUnsafeArgument):
        format_command("VERBOSE", '"' * (MAX_COMMAND_BYTES // 2))


def test_given_more_words_than_asterisk_keeps_when_formatted_then_refused() -> None:
    assert format_command("EXEC", *["x"] * (MAX_COMMAND_WORDS - 1))
    with pytest.raises(AgiUnsafeArgument):
        format_command("EXEC", *["x"] * MAX_COMMAND_WORDS)


# -- sanitize_text ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("张三", "张三"),
        ('Evil"\nEXEC System "rm -rf /"', 'Evil" EXEC System "rm -rf /"'),
        ("a\r\nb\x00c\x1bd\x7fe\x85f", "a  b c d e f"),
        ("tab\there", "tab here"),
        ("line\u2028sep\u2029para", "line sep para"),
    ],
)
def test_given_caller_text_when_sanitized_then_controls_become_spaces(raw: str, clean: str) -> None:
    assert sanitize_text(raw) == clean


def test_given_long_caller_text_when_sanitized_then_truncated() -> None:
    assert sanitize_text("x" * 500) == "x" * 80
    assert sanitize_text("张" * 10, max_len=3) == "张张张"


def test_given_negative_length_when_sanitized_then_value_error() -> None:
    with pytest.raises(ValueError, match="max_len"):
        sanitize_text("x", max_len=-1)


@given(raw=st.text(max_size=300), max_len=st.integers(0, 200))
def test_given_any_text_when_sanitized_then_it_is_always_safe_to_send(
    raw: str, max_len: int
) -> None:
    clean = sanitize_text(raw, max_len)

    assert len(clean) <= max_len
    assert not any(unicodedata.category(ch) in ("Cc", "Cs") for ch in clean)
    words = split_command_line(format_command("SET VARIABLE", "CALLER_NAME", clean))
    assert words == ["SET", "VARIABLE", "CALLER_NAME", clean]
