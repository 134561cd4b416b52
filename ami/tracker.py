"""Which answers belong to which action: ActionID correlation without I/O.

Three shapes of answer exist in AMI:

- `Expect.RESPONSE`: one `Response` (Ping, Redirect, QueueAdd, Hangup...).
- `Expect.EVENT_LIST`: a `Response` with `EventList: start`, then events carrying the same
  ActionID, then one with `EventList: Complete` (CoreShowChannels → CoreShowChannelsComplete,
  DeviceStateList → DeviceStateListComplete, QueueStatus → QueueStatusComplete).
- `Expect.COMPLETION_EVENT`: a `Response`, then later a named event with the same ActionID
  (an `Originate` with `Async: true` is answered by `OriginateResponse` once the call is
  answered or fails).

A `Response: Error` completes any of them at once: no events follow an error.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from ami.messages import Event, Message, Response


class Expect(enum.Enum):
    RESPONSE = "response"
    EVENT_LIST = "event list"
    COMPLETION_EVENT = "completion event"


@dataclass(frozen=True)
class Completed:
    """A pending action got its whole answer.

    `events` are the items of an event list (without the closing event); `final_event` is
    the closing `...Complete` event of a list or the completion event (`OriginateResponse`).
    Both are empty/None when the action failed or needed only a response.
    """

    action_id: str
    expect: Expect
    response: Response
    events: tuple[Event, ...] = ()
    final_event: Event | None = None


@dataclass(frozen=True)
class InProgress:
    """The message belongs to a pending action whose answer is not complete yet."""

    action_id: str
    expect: Expect


@dataclass
class _Pending:
    expect: Expect
    completion_event: str | None
    response: Response | None = None
    events: list[Event] = field(default_factory=list)
    final_event: Event | None = None


class ActionTracker:
    """Pending actions by ActionID; `feed` every received message to it."""

    def __init__(self) -> None:
        self._pending: dict[str, _Pending] = {}

    def __contains__(self, action_id: object) -> bool:
        return action_id in self._pending

    def __len__(self) -> int:
        return len(self._pending)

    def register(
        self,
        action_id: str,
        expect: Expect = Expect.RESPONSE,
        *,
        completion_event: str | None = None,
    ) -> None:
        """Start waiting for the answer to `action_id` (register BEFORE sending it)."""
        if action_id in self._pending:
            raise ValueError(f"ActionID {action_id!r} is already pending")
        if (expect is Expect.COMPLETION_EVENT) != (completion_event is not None):
            raise ValueError("completion_event is required with, and only with, COMPLETION_EVENT")
        self._pending[action_id] = _Pending(expect, completion_event)

    def forget(self, action_id: str) -> bool:
        """Stop waiting (timeout, caller cancelled); a late answer is then ignored."""
        return self._pending.pop(action_id, None) is not None

    def clear(self) -> list[str]:
        """Drop every pending action (connection lost) and return their ids."""
        action_ids = list(self._pending)
        self._pending.clear()
        return action_ids

    def feed(self, message: Message) -> Completed | InProgress | None:
        """What `message` means for the pending actions.

        None means it is no answer to a pending action: an ordinary event, or a response
        nobody waits for any more.
        """
        if isinstance(message, Response | Event) and message.action_id is not None:
            pending = self._pending.get(message.action_id)
            if pending is not None:
                if isinstance(message, Response):
                    return self._on_response(message.action_id, pending, message)
                return self._on_event(message.action_id, pending, message)
        return None

    def _on_response(
        self, action_id: str, pending: _Pending, response: Response
    ) -> Completed | InProgress | None:
        if pending.response is not None:
            return None  # a second response for one ActionID is nobody's answer
        pending.response = response
        if response.is_error or pending.expect is Expect.RESPONSE:
            return self._complete(action_id, pending, response)
        if pending.expect is Expect.EVENT_LIST and not response.starts_event_list:
            # Success without `EventList: start`: nothing will follow, do not wait forever.
            return self._complete(action_id, pending, response)
        return self._complete_or_wait(action_id, pending)

    def _on_event(
        self, action_id: str, pending: _Pending, event: Event
    ) -> Completed | InProgress | None:
        if pending.expect is Expect.EVENT_LIST:
            if event.ends_event_list:
                pending.final_event = event
            else:
                pending.events.append(event)
            return self._complete_or_wait(action_id, pending)
        if pending.expect is Expect.COMPLETION_EVENT and _same_name(event, pending):
            pending.final_event = event
            return self._complete_or_wait(action_id, pending)
        return None  # another event that happens to carry the ActionID: ordinary

    def _complete_or_wait(self, action_id: str, pending: _Pending) -> Completed | InProgress:
        # The closing event may come before the response (Asterisk writes them from different
        # threads for async Originate), so completion needs both.
        if pending.response is None or pending.final_event is None:
            return InProgress(action_id, pending.expect)
        return self._complete(action_id, pending, pending.response)

    def _complete(self, action_id: str, pending: _Pending, response: Response) -> Completed:
        del self._pending[action_id]
        return Completed(
            action_id=action_id,
            expect=pending.expect,
            response=response,
            events=tuple(pending.events),
            final_event=pending.final_event,
        )


def _same_name(event: Event, pending: _Pending) -> bool:
    expected = pending.completion_event or ""
    return event.name.casefold() == expected.casefold()
