"""Per-subscriber event queues that never block the AMI reader.

Asterisk disconnects a manager session that does not read fast enough, so the reader hands
events over with a non-blocking `deliver` and a slow subscriber loses events instead of
slowing everyone. It learns it lost them: after the events queued before the gap, iteration
raises `AmiSubscriptionOverflow` once, so the consumer rebuilds its view from Asterisk
(CoreShowChannels, DeviceStateList) and iterates again.

Connection markers (`Connected`, `Disconnected`) travel in the same queue, in order with the
events, so a consumer knows exactly which events came before a reconnect.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from ami.errors import AmiSubscriptionOverflow
from ami.messages import Event

_log = logging.getLogger("hotline.ami")


@dataclass(frozen=True)
class Connected:
    """Logged in to AMI; events after this marker come from the new connection."""

    version: str


@dataclass(frozen=True)
class Disconnected:
    """The AMI connection ended; events may be missed until the next `Connected`."""

    reason: str


Delivery = Event | Connected | Disconnected


class EventSubscription:
    """A bounded queue of deliveries, read with `async for`.

    Close it (or use it as a `with` block) to stop receiving; iteration then ends.
    """

    def __init__(
        self,
        maxsize: int,
        on_close: Callable[[EventSubscription], None] | None = None,
        *,
        name: str = "subscriber",
    ) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.name = name
        self._maxsize = maxsize
        self._on_close = on_close
        self._queue: collections.deque[Delivery] = collections.deque()
        self._wakeup = asyncio.Event()
        self._dropped = 0  # > 0 while in a gap: everything is dropped until it is reported
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._queue)

    def deliver(self, item: Delivery) -> bool:
        """Queue without blocking; False if the item was dropped (full, gap, or closed)."""
        if self._closed:
            return False
        if self._dropped or len(self._queue) >= self._maxsize:
            # Keep dropping until the gap is reported, so nothing is queued after a hole
            # that the consumer has not been told about.
            if not self._dropped:
                _log.warning(
                    "AMI %s fell behind (%d queued): dropping events", self.name, self._maxsize
                )
            self._dropped += 1
            return False
        self._queue.append(item)
        self._wakeup.set()
        return True

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wakeup.set()
        if self._on_close is not None:
            self._on_close(self)

    def __enter__(self) -> EventSubscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __aiter__(self) -> EventSubscription:
        return self

    async def __anext__(self) -> Delivery:
        while True:
            if self._queue:
                return self._queue.popleft()
            if self._dropped:
                dropped, self._dropped = self._dropped, 0
                raise AmiSubscriptionOverflow(dropped)
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()
