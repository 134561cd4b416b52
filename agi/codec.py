"""The pure FastAGI codecs in one import: no I/O, no asyncio.

from agi.codec import EnvironmentParser, ReplyParser, format_command, sanitize_text
"""

from agi.commands import MAX_COMMAND_BYTES, MAX_COMMAND_WORDS, format_command
from agi.environment import AgiEnvironment, AgiRequestUrl, EnvironmentParser, parse_request_url
from agi.replies import (
    AgiErrorReply,
    AgiEvent,
    AgiHangupNotice,
    AgiProvisional,
    AgiReply,
    ReplyParser,
    raise_for_reply,
)
from agi.text import sanitize_text

__all__ = [
    "MAX_COMMAND_BYTES",
    "MAX_COMMAND_WORDS",
    "AgiEnvironment",
    "AgiErrorReply",
    "AgiEvent",
    "AgiHangupNotice",
    "AgiProvisional",
    "AgiReply",
    "AgiRequestUrl",
    "EnvironmentParser",
    "ReplyParser",
    "format_command",
    "parse_request_url",
    "raise_for_reply",
    "sanitize_text",
]
