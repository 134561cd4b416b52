"""Asterisk Manager Interface: a sans-I/O codec and tracker, and a thin asyncio client.

`ami.codec` and `ami.tracker` are pure (bytes and messages in, messages and decisions out);
`ami.client.AmiClient` moves the bytes. Read `ami.client`'s module doc for the at-most-once
delivery rule of actions.
"""

from ami.client import AmiClient, backoff_delay
from ami.codec import (
    AmiConnection,
    FrameDecoder,
    encode_action,
    parse_recording,
)
from ami.errors import (
    AmiActionError,
    AmiActionOutcomeUnknown,
    AmiConnectionLost,
    AmiError,
    AmiLoginFailed,
    AmiNotConnected,
    AmiProtocolError,
    AmiSubscriptionOverflow,
    AmiTimeout,
    AmiUnsafeValue,
)
from ami.messages import Event, Greeting, Message, Response
from ami.subscription import Connected, Delivery, Disconnected, EventSubscription
from ami.tracker import ActionTracker, Completed, Expect, InProgress

__all__ = [
    "ActionTracker",
    "AmiActionError",
    "AmiActionOutcomeUnknown",
    "AmiClient",
    "AmiConnection",
    "AmiConnectionLost",
    "AmiError",
    "AmiLoginFailed",
    "AmiNotConnected",
    "AmiProtocolError",
    "AmiSubscriptionOverflow",
    "AmiTimeout",
    "AmiUnsafeValue",
    "Completed",
    "Connected",
    "Delivery",
    "Disconnected",
    "Event",
    "EventSubscription",
    "Expect",
    "FrameDecoder",
    "Greeting",
    "InProgress",
    "Message",
    "Response",
    "backoff_delay",
    "encode_action",
    "parse_recording",
]
