"""Keys a waiting caller presses while music plays (reported by AMI), and nudges from the routing
core, delivered to the caller's FastAGI session that is waiting for them.

AMI reports a key after FastAGI has: the menu key that put the caller in the queue, or a key
that ended an announcement, arrives here once the session listens again. So a key counts only
if it was pressed after the session began to listen (AMI's event timestamps and our clock are
the same host's).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class CallerKeys:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._listeners: dict[str, tuple[asyncio.Future[str], float]] = {}

    def listen(self, uniqueid: str) -> asyncio.Future[str]:
        """A future for the caller's next key, or for a nudge (``LONG_WAIT_NUDGE``)."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._listeners[uniqueid] = (future, self.clock())
        return future

    def stop_listening(self, uniqueid: str, future: asyncio.Future[str]) -> None:
        listener = self._listeners.get(uniqueid)
        if listener is not None and listener[0] is future:
            del self._listeners[uniqueid]
        future.cancel()

    def press(self, uniqueid: str, key: str, pressed_at: float | None = None) -> None:
        """A key (or a nudge) for a caller; ignored when nobody is listening for it, or when it
        was pressed (``pressed_at``, epoch seconds) before the listening began."""
        listener = self._listeners.get(uniqueid)
        if listener is None:
            return
        future, since = listener
        if pressed_at is not None and pressed_at < since:
            return
        del self._listeners[uniqueid]
        if not future.done():
            future.set_result(key)

    def forget(self, uniqueid: str) -> None:
        listener = self._listeners.pop(uniqueid, None)
        if listener is not None:
            listener[0].cancel()
