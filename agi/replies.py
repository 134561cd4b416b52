"""Asterisk's answers on a FastAGI socket, parsed incrementally and without I/O.

Shapes (res_agi):
    200 result=<n> [(<data>)] [endpos=<n>]      success (GET DATA puts digits, maybe none, in n)
    100 result=0 Trying...                       provisional, a final reply follows
    510 Invalid or unknown command
    511 Command Not Permitted on a dead channel or intercept routine
    520-Invalid command syntax.  Proper usage follows:
    <usage lines>
    520 End of proper usage.
    HANGUP                                       unsolicited: the channel hung up
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agi._lines import LineBuffer
from agi.errors import AgiProtocolError, reply_error
from agi.text import sanitize_text

DEFAULT_MAX_REPLY_LINE = 64 * 1024
DEFAULT_MAX_USAGE_LINES = 1024

_STATUS = re.compile(r"(?P<code>\d{3}) (?P<rest>.*)")
_RESULT = re.compile(r"result=(?P<token>\S*)(?P<tail>.*)")
_INTEGER = re.compile(r"-?\d+")
# Greedy data: GET VARIABLE values may themselves contain parentheses, so take the widest
# parenthesised span that still leaves only an optional endpos after it.
_TAIL_DATA = re.compile(r" \((?P<data>.*)\)(?: endpos=(?P<endpos>-?\d+))?")
_TAIL_OTHER = re.compile(r"(?: \((?P<data>[^)]*)\))?(?P<extra>.*)")
_ENDPOS = re.compile(r"(?:^| )endpos=(?P<endpos>-?\d+)")


@dataclass(frozen=True, slots=True)
class AgiReply:
    """A 200 reply. `result` is None only when the token after `result=` is not a number
    (GET DATA digits such as `12*` or none at all); `result_text` always holds that token."""

    code: int
    result: int | None
    data: str | None
    endpos: int | None
    raw: str
    result_text: str = ""


@dataclass(frozen=True, slots=True)
class AgiErrorReply:
    """A 5xx reply; 520 usage replies keep all their lines."""

    code: int
    lines: tuple[str, ...]

    @property
    def raw(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True, slots=True)
class AgiProvisional:
    """A 1xx reply: Asterisk is still working on the command."""

    raw: str


@dataclass(frozen=True, slots=True)
class AgiHangupNotice:
    """The unsolicited `HANGUP` line: the channel has hung up."""


AgiEvent = AgiReply | AgiErrorReply | AgiProvisional | AgiHangupNotice


def raise_for_reply(reply: AgiReply | AgiErrorReply, command: str) -> AgiReply:
    """Return a success reply, or raise the exception mapped from the error code."""
    if isinstance(reply, AgiErrorReply):
        raise reply_error(command, reply.code, reply.lines)
    return reply


class ReplyParser:
    """Feed bytes with `receive_data`, then call `next_event` until it returns None."""

    def __init__(
        self,
        *,
        max_line_bytes: int = DEFAULT_MAX_REPLY_LINE,
        max_usage_lines: int = DEFAULT_MAX_USAGE_LINES,
    ) -> None:
        self._max_line = max_line_bytes
        self._max_usage_lines = max_usage_lines
        self._lines = LineBuffer()
        self._usage: list[str] | None = None
        self._usage_bytes = 0

    def receive_data(self, data: bytes) -> None:
        self._lines.feed(data)

    def next_event(self) -> AgiEvent | None:
        """Return the next complete event, or None if more bytes are needed."""
        while (line := self._next_line()) is not None:
            event = self._parse(line)
            if event is not None:
                return event
        return None

    def _next_line(self) -> str | None:
        line = self._lines.next_line()
        if line is None:
            self._check_length(self._lines.pending)
            return None
        self._check_length(len(line))
        return line.removesuffix(b"\r").decode("utf-8", errors="replace")

    def _check_length(self, size: int) -> None:
        if size > self._max_line:
            raise AgiProtocolError(f"reply line longer than {self._max_line} bytes")

    def _parse(self, line: str) -> AgiEvent | None:
        if self._usage is not None:
            return self._continue_usage(line)
        if line == "HANGUP":
            return AgiHangupNotice()
        if line.startswith("520-"):
            self._usage, self._usage_bytes = [line], len(line)
            return None
        match = _STATUS.fullmatch(line)
        if match is None:
            raise AgiProtocolError(f"unparseable reply {sanitize_text(line)!r}")
        code = int(match["code"])
        if code == 200:
            return _parse_success(line, match["rest"])
        if code == 100:
            return AgiProvisional(line)
        return AgiErrorReply(code, (line,))

    def _continue_usage(self, line: str) -> AgiErrorReply | None:
        assert self._usage is not None
        self._usage.append(line)
        self._usage_bytes += len(line)
        if line.startswith("520 "):
            lines, self._usage = tuple(self._usage), None
            return AgiErrorReply(520, lines)
        # The whole usage block shares the line budget, so it cannot grow without bound either.
        if len(self._usage) > self._max_usage_lines or self._usage_bytes > self._max_line:
            raise AgiProtocolError("520 usage text exceeds its size limit")
        return None


def _parse_success(line: str, rest: str) -> AgiReply:
    match = _RESULT.fullmatch(rest)
    if match is None:
        raise AgiProtocolError(f"200 reply without result= {sanitize_text(line)!r}")
    token = match["token"]
    data, endpos = _parse_tail(match["tail"])
    result = int(token) if _INTEGER.fullmatch(token) else None
    return AgiReply(200, result, data, endpos, line, token)


def _parse_tail(tail: str) -> tuple[str | None, int | None]:
    if (match := _TAIL_DATA.fullmatch(tail)) is not None:
        endpos = match["endpos"]
        return match["data"], int(endpos) if endpos is not None else None
    # Replies with extra fields (RECORD FILE, SPEECH RECOGNIZE): first (...) and any endpos.
    other = _TAIL_OTHER.fullmatch(tail)
    assert other is not None  # the pattern accepts any string
    found = _ENDPOS.search(other["extra"])
    return other["data"], int(found["endpos"]) if found else None
