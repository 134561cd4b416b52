"""A byte buffer that hands out LF-terminated lines, shared by the environment and reply parsers."""

from __future__ import annotations


class LineBuffer:
    """Accumulates bytes and returns complete lines (without the LF) one at a time.

    Limits are enforced by the callers, which know what a line means; `pending` tells them how
    much is buffered so they can refuse input before it grows without bound.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        # Bytes already searched for LF: with byte-at-a-time input we would otherwise rescan
        # the whole partial line on every byte (quadratic).
        self._scanned = 0

    @property
    def pending(self) -> int:
        """Number of bytes buffered and not yet returned as lines."""
        return len(self._buffer)

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def next_line(self) -> bytes | None:
        """Return the next complete line, or None if no LF has arrived yet."""
        end = self._buffer.find(b"\n", self._scanned)
        if end < 0:
            self._scanned = len(self._buffer)
            return None
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 1]
        self._scanned = 0
        return line

    def take_rest(self) -> bytes:
        """Return and forget everything buffered (used to hand over bytes after a block)."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        self._scanned = 0
        return rest
