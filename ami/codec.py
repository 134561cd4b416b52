"""AMI framing without I/O: bytes in, typed messages out; actions in, bytes out.

Asterisk first sends one banner line (`Asterisk Call Manager/11.0.0`), then messages made of
`Key: Value` lines, each message ended by an empty line. Lines end with CRLF; a bare LF is
accepted too. Nothing here reads a socket or a clock, so the same code parses a live
connection, a recorded transcript (`parse_recording`) or bytes split at random points.

Memory is bounded: a line or a message above its cap raises `AmiProtocolError`, because a
peer that never ends a line must not make us buffer without limit.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence

from ami.errors import AmiProtocolError, AmiUnsafeValue
from ami.messages import Event, Greeting, Items, Message, Response

DEFAULT_MAX_MESSAGE_SIZE = 1024 * 1024
DEFAULT_MAX_LINE_SIZE = 64 * 1024

_BANNER = re.compile(r"Asterisk Call Manager/(?P<version>\S+)")
_SAFE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_UNSAFE_CHARS = ("\r", "\n", "\0")
_END_COMMAND = "--END COMMAND--"
# Header keys that may precede the raw body of a legacy `Response: Follows` (Command action).
_FOLLOWS_HEADERS = frozenset({"privilege", "actionid", "message"})
# Compact the buffer only past this many consumed bytes, so a large input (a whole recorded
# file) is not copied once per message.
_COMPACT_AFTER = 64 * 1024

Fields = Mapping[str, str | int] | Sequence[tuple[str, str | int]]


class _Follows(enum.Enum):
    """Where we are inside a legacy `Response: Follows` frame (pre-Asterisk 14 Command)."""

    NO = "not a Follows response"
    HEAD = "header lines"
    BODY = "raw output lines"
    END = "after --END COMMAND--"


class FrameDecoder:
    """Splits a byte stream into lines and into frames of `(key, value)` pairs.

    Used by `AmiConnection` for Asterisk's side; also usable alone for the client's side
    (a test's fake Asterisk parses actions with it).
    """

    def __init__(
        self,
        *,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        max_line_size: int = DEFAULT_MAX_LINE_SIZE,
    ) -> None:
        self._max_message_size = max_message_size
        self._max_line_size = max_line_size
        self._buffer = bytearray()
        self._start = 0  # first byte not yet consumed
        self._scanned = 0  # bytes from _start known to hold no LF
        self._items: list[tuple[str, str]] = []
        self._frame_size = 0
        self._follows = _Follows.NO

    @property
    def at_boundary(self) -> bool:
        """True when no partial line or partial frame is held."""
        return self._start == len(self._buffer) and not self._items

    def receive_data(self, data: bytes) -> None:
        """Append bytes read from the peer; call `next_line`/`next_frame` until None."""
        self._buffer += data

    def next_line(self) -> str | None:
        """The next complete line without its line ending, or None if none is complete."""
        end = self._buffer.find(b"\n", self._start + self._scanned)
        if end < 0:
            self._scanned = len(self._buffer) - self._start
            self._check_line_size(self._scanned)
            self._compact()
            return None
        raw = self._buffer[self._start : end]
        self._check_line_size(len(raw))
        self._start = end + 1
        self._scanned = 0
        if len(self._buffer) - self._start < self._start and self._start > _COMPACT_AFTER:
            self._compact()
        if raw.endswith(b"\r"):
            del raw[-1]
        # Caller names from trunks are not always UTF-8; never fail the stream over them.
        return raw.decode("utf-8", errors="replace")

    def next_frame(self) -> Items | None:
        """The next complete frame, or None if more bytes are needed."""
        while (line := self.next_line()) is not None:
            frame = self._add_line(line)
            if frame is not None:
                return frame
        return None

    def _check_line_size(self, size: int) -> None:
        if size > self._max_line_size:
            raise AmiProtocolError(f"AMI line longer than {self._max_line_size} bytes")

    def _compact(self) -> None:
        del self._buffer[: self._start]
        self._start = 0

    def _add_line(self, line: str) -> Items | None:
        self._frame_size += len(line) + 2
        if self._frame_size > self._max_message_size:
            raise AmiProtocolError(f"AMI message larger than {self._max_message_size} bytes")
        if self._follows is not _Follows.NO:
            return self._add_follows_line(line)
        if not line:
            if self._items:
                return self._finish()
            self._frame_size = 0  # blank lines between messages are padding, not messages
            return None
        key, value = split_line(line)
        self._items.append((key, value))
        if len(self._items) == 1 and _is_follows(key, value):
            self._follows = _Follows.HEAD
        return None

    def _add_follows_line(self, line: str) -> Items | None:
        # Old Asterisk sends Command output raw, blank lines included, up to --END COMMAND--.
        if self._follows is _Follows.END:
            if not line:
                return self._finish()
            self._items.append(split_line(line))
            return None
        if line.endswith(_END_COMMAND):
            if rest := line[: -len(_END_COMMAND)]:
                self._items.append(("Output", rest))
            self._follows = _Follows.END
            return None
        key, sep, _ = line.partition(":")
        if self._follows is _Follows.HEAD and sep and key.casefold() in _FOLLOWS_HEADERS:
            self._items.append(split_line(line))
        else:
            self._follows = _Follows.BODY
            self._items.append(("Output", line))
        return None

    def _finish(self) -> Items:
        frame = tuple(self._items)
        self._items.clear()
        self._frame_size = 0
        self._follows = _Follows.NO
        return frame


def split_line(line: str) -> tuple[str, str]:
    """`Key: Value` → (key, value); only the first colon splits, values may hold `: `.

    Exactly one space after the colon is dropped: CLI output in `Output:` lines keeps its
    indentation. A line without a colon is kept whole as the value of the empty key.
    """
    key, sep, value = line.partition(":")
    if not sep:
        return "", line
    return key, value[1:] if value.startswith(" ") else value


def _is_follows(key: str, value: str) -> bool:
    return key.casefold() == "response" and value.casefold() == "follows"


class AmiConnection:
    """Asterisk's side of an AMI connection as a state machine: greeting, then messages.

    Feed bytes with `receive_data`, then call `next_message` until it returns None.
    """

    def __init__(
        self,
        *,
        expect_greeting: bool = True,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        max_line_size: int = DEFAULT_MAX_LINE_SIZE,
    ) -> None:
        self._frames = FrameDecoder(max_message_size=max_message_size, max_line_size=max_line_size)
        self._awaiting_greeting = expect_greeting

    @property
    def at_boundary(self) -> bool:
        """True when every byte received so far belongs to a returned message."""
        return self._frames.at_boundary

    def receive_data(self, data: bytes) -> None:
        """Append bytes; then call `next_message` until None (the caps are checked there)."""
        self._frames.receive_data(data)

    def next_message(self) -> Message | None:
        """The next complete message, or None if more bytes are needed."""
        if self._awaiting_greeting:
            line = self._frames.next_line()
            if line is None:
                return None
            self._awaiting_greeting = False
            return parse_greeting(line)
        items = self._frames.next_frame()
        return None if items is None else message_from_items(items)


def parse_greeting(line: str) -> Greeting:
    """The banner, or `AmiProtocolError` when the peer is not an AMI server."""
    match = _BANNER.fullmatch(line.strip())
    if match is None:
        # Do not echo much: a wrong port may answer with anything.
        raise AmiProtocolError(f"not an AMI banner: {line[:80]!r}")
    return Greeting(version=match["version"], banner=line.strip())


def message_from_items(items: Items) -> Response | Event:
    """Classify a frame by its FIRST key.

    Only the first key decides: `OriginateResponse` events also carry a `Response:` field.
    """
    key = items[0][0].casefold()
    if key == "response":
        return Response.from_items(items)
    if key == "event":
        return Event.from_items(items)
    raise AmiProtocolError(f"AMI message starts with {items[0][0]!r}, not Response or Event")


def parse_recording(data: bytes, *, expect_greeting: bool = True) -> list[Message]:
    """Every message in a recorded transcript of Asterisk's side of a connection.

    Raises `AmiProtocolError` if the recording ends inside a message.
    """
    connection = AmiConnection(expect_greeting=expect_greeting)
    messages: list[Message] = []
    for offset in range(0, len(data), _COMPACT_AFTER):
        connection.receive_data(data[offset : offset + _COMPACT_AFTER])
        while (message := connection.next_message()) is not None:
            messages.append(message)
    if not connection.at_boundary:
        raise AmiProtocolError("recording ends inside an AMI message")
    return messages


def encode_action(name: str, action_id: str, fields: Fields = ()) -> bytes:
    """The bytes of one action: `Action:`, `ActionID:`, then `fields` in order.

    A CR or LF in any part would let a value end the action early and start another one
    (say a `Hangup` smuggled in a caller-ID), so they are refused, as is NUL (Asterisk
    reads C strings). Keys may repeat (several `Variable:` for Originate).
    """
    if not action_id:
        raise AmiUnsafeValue("empty ActionID: the answer could not be matched")
    lines = [_encode_line("Action", name), _encode_line("ActionID", action_id)]
    for key, value in _pairs(fields):
        if key.casefold() in {"action", "actionid"}:
            raise AmiUnsafeValue(f"{key} is set by encode_action, not by fields")
        lines.append(_encode_line(key, value))
    lines.append("\r\n")
    return "".join(lines).encode("utf-8")


def _pairs(fields: Fields) -> Iterable[tuple[str, str | int]]:
    return fields.items() if isinstance(fields, Mapping) else fields


def _encode_line(key: str, value: str | int) -> str:
    if not _SAFE_KEY.fullmatch(key):
        raise AmiUnsafeValue(f"AMI key {key[:40]!r} must match [A-Za-z0-9_-]+")
    if isinstance(value, bool):
        # str(True) is "True"; Asterisk wants yes/no or true/false, so make callers choose.
        raise AmiUnsafeValue(f"{key}: pass 'true'/'false' or 'yes'/'no', not a bool")
    text = str(value)
    if any(char in text for char in _UNSAFE_CHARS):
        raise AmiUnsafeValue(f"{key} value contains CR, LF or NUL")
    return f"{key}: {text}\r\n"
