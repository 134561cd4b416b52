"""The FastAGI error hierarchy: one exception type per way a call can go wrong on the AGI socket.

Every error carries the data a caller needs to decide (the command, the reply code, the lines
Asterisk sent) so handlers never have to parse messages.
"""

from __future__ import annotations

from agi.text import sanitize_text


class AgiError(Exception):
    """Base class of everything raised by the agi package."""


class AgiProtocolError(AgiError):
    """Asterisk (or whoever is on the socket) sent bytes that are not FastAGI."""


class AgiEnvironmentTooLarge(AgiProtocolError):
    """The environment block exceeded the configured byte or line budget."""


class AgiMalformedEnvironment(AgiProtocolError):
    """An environment line was not `key: value`, or a key was repeated."""


class AgiChannelHungUp(AgiError):
    """The caller is gone: HANGUP notice, result=-1 on a channel operation, or the socket closed.

    A caller hanging up is a normal outcome of a call, not a failure of the controller.
    """


class AgiTimeout(AgiError, TimeoutError):
    """No reply (or no awaited event) within the allowed time."""


class AgiUnsafeArgument(AgiError, ValueError):
    """A command could not be encoded as exactly one safe AGI line."""


class AgiReplyError(AgiError):
    """Asterisk answered a command with an error code (5xx)."""

    def __init__(self, command: str, code: int, lines: tuple[str, ...]) -> None:
        self.command = command
        self.code = code
        self.lines = lines
        first = sanitize_text(lines[0], 200) if lines else ""
        super().__init__(f"{command}: {first}")


class AgiInvalidCommand(AgiReplyError):
    """510: Asterisk does not know the command."""


class AgiDeadChannel(AgiReplyError):
    """511: the command is not permitted on a dead channel."""


class AgiUsageError(AgiReplyError):
    """520: wrong arguments; `usage` holds the usage text Asterisk sent back."""

    @property
    def usage(self) -> tuple[str, ...]:
        # The first and last lines are the 520 framing, the rest is the usage text.
        return self.lines[1:-1]


_REPLY_ERRORS: dict[int, type[AgiReplyError]] = {
    510: AgiInvalidCommand,
    511: AgiDeadChannel,
    520: AgiUsageError,
}


def reply_error(command: str, code: int, lines: tuple[str, ...]) -> AgiReplyError:
    """Build the exception that matches an error reply code (unknown codes get the base type)."""
    return _REPLY_ERRORS.get(code, AgiReplyError)(command, code, lines)
