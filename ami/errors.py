"""Errors of the AMI layer, one per thing a caller must handle differently.

Names follow what happened rather than ending in "Error" (`AmiNotConnected`, `AmiTimeout`):
they are the contract other packages code against, hence the N818 exemptions.

The split that matters most: `AmiNotConnected` means the action was never sent, so the caller
may try again later; `AmiActionOutcomeUnknown` (and its subclass `AmiTimeout`) means the action
was written and Asterisk may have run it, so the caller must look at Asterisk before acting again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ami.messages import Response


class AmiError(Exception):
    """Base of every error raised by the `ami` package."""


class AmiProtocolError(AmiError):
    """Asterisk sent bytes that are not AMI, or a message over the size caps.

    The stream cannot be trusted after this; the client drops the connection and reconnects.
    """


class AmiUnsafeValue(AmiError, ValueError):
    """An action name, key or value would break the framing (CR, LF, NUL, bad key).

    The message never echoes the value: it may be a secret.
    """


class AmiConnectionLost(AmiError):
    """The AMI connection ended (closed by Asterisk, keep-alive unanswered, socket error)."""


class AmiNotConnected(AmiError):
    """There is no logged-in AMI connection; the action was NOT sent and is not queued."""


class AmiLoginFailed(AmiError):
    """Asterisk refused the Login action (wrong user or secret, or a host not permitted)."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.message or response.status)
        self.response = response


class AmiActionError(AmiError):
    """Asterisk answered the action with `Response: Error`; the response is attached."""

    def __init__(self, action: str, response: Response) -> None:
        super().__init__(f"{action} failed: {response.message or response.status}")
        self.action = action
        self.response = response


class AmiActionOutcomeUnknown(AmiError):
    """The action was sent but its answer never came: it may or may not have run.

    It is never re-sent automatically (a second Originate would ring a second phone);
    the caller must check Asterisk (does the channel exist? is the member in the queue?).
    """

    def __init__(self, action: str, action_id: str, reason: str) -> None:
        super().__init__(f"{action} (ActionID {action_id}): outcome unknown, {reason}")
        self.action = action
        self.action_id = action_id
        self.reason = reason


class AmiTimeout(AmiActionOutcomeUnknown):
    """No complete answer within the action's timeout; the action may still run."""

    def __init__(self, action: str, action_id: str, timeout: float) -> None:
        super().__init__(action, action_id, f"no answer within {timeout:g} s")
        self.timeout = timeout


class AmiSubscriptionOverflow(AmiError):
    """A subscriber fell behind and events were dropped; its view must be rebuilt.

    Raised once by the subscription after the events queued before the gap; iterating
    again continues with events received after it.
    """

    def __init__(self, dropped: int) -> None:
        super().__init__(f"subscriber fell behind: {dropped} AMI events dropped")
        self.dropped = dropped
