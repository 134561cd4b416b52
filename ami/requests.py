"""Actions in flight on one client: send, wait for the answer, fail them all on disconnect.

The thin async layer over `ActionTracker`: it owns the futures the callers wait on. Every
path out of `send` forgets the ActionID, so a late answer (after a timeout) is ignored and
nothing keeps growing.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from ami.codec import Fields, encode_action
from ami.errors import AmiActionError, AmiActionOutcomeUnknown, AmiTimeout
from ami.messages import Message, Response
from ami.tracker import ActionTracker, Completed, Expect, InProgress

_log = logging.getLogger("hotline.ami")

OnSuccess = Callable[[Completed], None]


@dataclass
class _Waiter:
    action: str
    future: asyncio.Future[Completed]
    # Runs in the reader, before the next message is dispatched (login → connected).
    on_success: OnSuccess | None = None


class PendingActions:
    """ActionID generation, correlation and the waiting callers of one client."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        # A random part tells two controllers apart in Asterisk's manager debug output.
        self._prefix = f"hotline-{secrets.token_hex(3)}-"
        self._tracker = ActionTracker()
        self._waiters: dict[str, _Waiter] = {}

    def __len__(self) -> int:
        return len(self._waiters)

    async def send(
        self,
        writer: asyncio.StreamWriter,
        name: str,
        fields: Fields,
        *,
        timeout: float,
        expect: Expect = Expect.RESPONSE,
        event: str | None = None,
        on_success: OnSuccess | None = None,
    ) -> Completed:
        """Write the action once and wait for its whole answer."""
        action_id = f"{self._prefix}{next(self._ids)}"
        data = encode_action(name, action_id, fields)  # refuses unsafe values before any I/O
        future: asyncio.Future[Completed] = asyncio.get_running_loop().create_future()
        # Registered before writing: the answer may be read before drain() returns.
        self._tracker.register(action_id, expect, completion_event=event)
        self._waiters[action_id] = _Waiter(name, future, on_success)
        _log.debug("AMI action %s sent (ActionID %s)", name, action_id)
        try:
            writer.write(data)
            async with asyncio.timeout(timeout):
                await writer.drain()
                completed = await future
        except TimeoutError:
            raise AmiTimeout(name, action_id, timeout) from None
        except OSError as exc:
            raise AmiActionOutcomeUnknown(name, action_id, str(exc) or repr(exc)) from exc
        finally:
            self._tracker.forget(action_id)
            self._waiters.pop(action_id, None)
            _mark_retrieved(future)
        if completed.response.is_error:
            raise AmiActionError(name, completed.response)
        return completed

    def feed(self, message: Message) -> Completed | InProgress | None:
        """Give a received message to the tracker; wake the caller of a completed action."""
        result = self._tracker.feed(message)
        if isinstance(result, Completed):
            self._resolve(result)
        elif result is None and isinstance(message, Response):
            _log.debug("AMI response nobody waits for (ActionID %s)", message.action_id)
        return result

    def fail_all(self, reason: str) -> None:
        """The connection is gone: every action in flight has an unknown outcome."""
        for action_id in self._tracker.clear():
            waiter = self._waiters.pop(action_id, None)
            if waiter is not None and not waiter.future.done():
                lost = AmiActionOutcomeUnknown(
                    waiter.action, action_id, f"connection lost: {reason}"
                )
                waiter.future.set_exception(lost)

    def _resolve(self, completed: Completed) -> None:
        waiter = self._waiters.pop(completed.action_id, None)
        if waiter is None or waiter.future.done():
            return
        if waiter.on_success is not None and not completed.response.is_error:
            waiter.on_success(completed)
        waiter.future.set_result(completed)


def _mark_retrieved(future: asyncio.Future[Completed]) -> None:
    # If the caller was cancelled just as the answer failed, asyncio would log "exception
    # was never retrieved" for an exception nobody can receive any more.
    if future.done() and not future.cancelled():
        future.exception()
