"""Encoding AGI commands as exactly one safe line.

res_agi splits a command line into words: blanks separate words, `"` toggles quoting and `\\`
makes the next character literal. We quote every argument and escape `\\` and `"` inside it, so
each argument comes back as exactly one word whatever it contains. CR, LF and NUL cannot be made
safe (LF ends the command, NUL ends the C string), so they are refused instead.
"""

from __future__ import annotations

import re

from agi.errors import AgiUnsafeArgument

# res_agi reads a command into a 2048-byte buffer with fgets: a longer line is cut after 2047
# bytes and its tail is executed as a second command. The whole line, LF included, must fit.
MAX_COMMAND_BYTES = 2047

# res_agi keeps at most MAX_ARGS (128) argv slots including the terminating NULL, and its
# quote branch does not check the bound, so never send more than 127 words in total.
MAX_COMMAND_WORDS = 127

_COMMAND_NAME = re.compile(r"[A-Z]+(?: [A-Z]+)*")
_FORBIDDEN = frozenset("\r\n\0")


def format_command(name: str, *args: str | int) -> bytes:
    """Encode `name` and its arguments as one UTF-8 line ending in LF.

    Raises AgiUnsafeArgument if an argument contains CR, LF or NUL, if the name is not a plain
    upper-case AGI command, or if the line would not fit in res_agi's command buffer.
    """
    words = [*_command_words(name), *(_quote(_as_text(arg)) for arg in args)]
    if len(words) > MAX_COMMAND_WORDS:
        raise AgiUnsafeArgument(f"{name}: {len(words)} words, Asterisk keeps {MAX_COMMAND_WORDS}")
    line = _encode(" ".join(words) + "\n", name)
    if len(line) > MAX_COMMAND_BYTES:
        raise AgiUnsafeArgument(f"{name}: {len(line)} bytes, Asterisk reads {MAX_COMMAND_BYTES}")
    return line


def _command_words(name: str) -> list[str]:
    if not _COMMAND_NAME.fullmatch(name):
        raise AgiUnsafeArgument(f"not an AGI command name: {name[:40]!r}")
    return name.split(" ")


def _as_text(arg: str | int) -> str:
    # bool is an int subclass; str(True) would silently send "True".
    if isinstance(arg, bool) or not isinstance(arg, str | int):
        raise TypeError(f"AGI arguments are str or int, not {type(arg).__name__}")
    text = str(arg)
    if not _FORBIDDEN.isdisjoint(text):
        raise AgiUnsafeArgument("argument contains CR, LF or NUL; sanitize caller text first")
    return text


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _encode(line: str, name: str) -> bytes:
    try:
        return line.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        raise AgiUnsafeArgument(f"{name}: argument is not encodable as UTF-8") from exc
