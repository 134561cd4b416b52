"""FastAGI for hotline: sans-I/O codecs (environment, replies, command quoting) and a thin
asyncio session and server on top of them."""

from agi.commands import MAX_COMMAND_BYTES, MAX_COMMAND_WORDS, format_command
from agi.environment import (
    AgiEnvironment,
    AgiRequestUrl,
    EnvironmentParser,
    parse_request_url,
)
from agi.errors import (
    AgiChannelHungUp,
    AgiDeadChannel,
    AgiEnvironmentTooLarge,
    AgiError,
    AgiInvalidCommand,
    AgiMalformedEnvironment,
    AgiProtocolError,
    AgiReplyError,
    AgiTimeout,
    AgiUnsafeArgument,
    AgiUsageError,
)
from agi.replies import (
    AgiErrorReply,
    AgiEvent,
    AgiHangupNotice,
    AgiProvisional,
    AgiReply,
    ReplyParser,
    raise_for_reply,
)
from agi.server import AgiHandler, FastAgiServer, FastAgiStats, RejectReason
from agi.session import AgiSession
from agi.text import sanitize_text

__all__ = [
    "MAX_COMMAND_BYTES",
    "MAX_COMMAND_WORDS",
    "AgiChannelHungUp",
    "AgiDeadChannel",
    "AgiEnvironment",
    "AgiEnvironmentTooLarge",
    "AgiError",
    "AgiErrorReply",
    "AgiEvent",
    "AgiHandler",
    "AgiHangupNotice",
    "AgiInvalidCommand",
    "AgiMalformedEnvironment",
    "AgiProtocolError",
    "AgiProvisional",
    "AgiReply",
    "AgiReplyError",
    "AgiRequestUrl",
    "AgiSession",
    "AgiTimeout",
    "AgiUnsafeArgument",
    "AgiUsageError",
    "EnvironmentParser",
    "FastAgiServer",
    "FastAgiStats",
    "RejectReason",
    "ReplyParser",
    "format_command",
    "parse_request_url",
    "raise_for_reply",
    "sanitize_text",
]
