"""A test-side model of how Asterisk's res_agi splits a command line into words.

Written from the documented behaviour, not from our encoder: blanks (space, tab) separate
words outside quotes, `"` toggles quoting, `\\` makes the next character literal, and a quote
opening after blanks starts a word even if it stays empty. The other AGI tests use it as the
judge of what Asterisk would execute.
"""

from __future__ import annotations

import pytest

_BLANKS = frozenset(b" \t")
_QUOTE = ord('"')
_BACKSLASH = ord("\\")


def split_like_asterisk(line: bytes) -> list[bytes]:
    """Split one command line (without its LF) into the words Asterisk would see."""
    words: list[bytearray] = []
    in_word = quoted = escaped = False
    for byte in line:
        if escaped:
            escaped = False
        elif byte == _BACKSLASH:
            escaped = True
            continue
        elif byte == _QUOTE:
            quoted = not quoted
            if not in_word:
                words.append(bytearray())
                in_word = True
            continue
        elif byte in _BLANKS and not quoted:
            in_word = False
            continue
        if not in_word:
            words.append(bytearray())
            in_word = True
        words[-1].append(byte)
    return [bytes(word) for word in words]


def split_command_line(encoded: bytes) -> list[str]:
    """Check the framing of one encoded command and return its words as text."""
    assert encoded.endswith(b"\n")
    assert encoded.count(b"\n") == 1
    return [word.decode("utf-8") for word in split_like_asterisk(encoded[:-1])]


@pytest.mark.parametrize(
    ("line", "words"),
    [
        (b"ANSWER", [b"ANSWER"]),
        (b"STREAM FILE welcome 0123", [b"STREAM", b"FILE", b"welcome", b"0123"]),
        (b'STREAM FILE welcome ""', [b"STREAM", b"FILE", b"welcome", b""]),
        (b"  ANSWER\t ", [b"ANSWER"]),
        (b'SET VARIABLE X "a b"', [b"SET", b"VARIABLE", b"X", b"a b"]),
        (b'X "a"b"c d"', [b"X", b"abc d"]),
        (b"X a\\ b", [b"X", b"a b"]),
        (b'X "a\\"b"', [b"X", b'a"b']),
        (b'X "a\\\\" b', [b"X", b"a\\", b"b"]),
        (b"X \\", [b"X"]),
        (b'X "" ""', [b"X", b"", b""]),
        (b'X "tab\there"', [b"X", b"tab\there"]),
    ],
)
def test_given_documented_examples_when_split_then_reference_matches_res_agi(
    line: bytes, words: list[bytes]
) -> None:
    assert split_like_asterisk(line) == words


def test_given_unquoted_injection_when_split_then_reference_sees_extra_words() -> None:
    # The reference must be able to see an injection, otherwise it proves nothing.
    assert split_like_asterisk(b'SET VARIABLE X "a" EXEC System') == [
        b"SET",
        b"VARIABLE",
        b"X",
        b"a",
        b"EXEC",
        b"System",
    ]
