"""Keys a waiting caller presses while music plays (reported by AMI), and nudges from the routing
core, delivered to the caller's FastAGI session that is waiting for them."""

from __future__ import annotations

import asyncio


class CallerKeys:
    def __init__(self) -> None:
        self._listeners: dict[str, asyncio.Future[str]] = {}

    def listen(self, uniqueid: str) -> asyncio.Future[str]:
        """A future for the caller's next key, or for a nudge (``LONG_WAIT_NUDGE``)."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._listeners[uniqueid] = future
        return future

    def stop_listening(self, uniqueid: str, future: asyncio.Future[str]) -> None:
        if self._listeners.get(uniqueid) is future:
            del self._listeners[uniqueid]
        future.cancel()

    def press(self, uniqueid: str, key: str) -> None:
        """A key (or a nudge) for a caller; ignored when nobody is listening for it."""
        future = self._listeners.pop(uniqueid, None)
        if future is not None and not future.done():
            future.set_result(key)

    def forget(self, uniqueid: str) -> None:
        future = self._listeners.pop(uniqueid, None)
        if future is not None:
            future.cancel()
