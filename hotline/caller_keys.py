"""Keys a waiting caller presses while music plays (reported by AMI), and nudges from the routing
core, delivered to the caller's FastAGI session that is waiting for them.

AMI reports every key, also those FastAGI has already taken (the menu key that put the caller
in the queue, a key that ended an announcement), and often after FastAGI did, when the session
listens again. So the session tells ``consumed`` which keys it took, and their AMI echoes are
dropped in order; and a key also counts only if AMI says it was pressed after the session began
to listen (its event timestamps and our clock are the same host's; under load AMI stamps events
late, hence the first rule).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

MAX_PENDING_ECHOES = 32


class CallerKeys:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._listeners: dict[str, tuple[asyncio.Future[str], float]] = {}
        self._echoes: dict[str, deque[str]] = {}

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

    def consumed(self, uniqueid: str, keys: str) -> None:
        """FastAGI took these keys (in this order): their AMI reports are not new keys."""
        if keys:
            echoes = self._echoes.setdefault(uniqueid, deque(maxlen=MAX_PENDING_ECHOES))
            echoes.extend(keys)

    def press(self, uniqueid: str, key: str, pressed_at: float | None = None) -> None:
        """A key (or a nudge) for a caller; ignored when it is the echo of a key FastAGI took,
        when nobody is listening for it, or when it was pressed (``pressed_at``, epoch seconds)
        before the listening began."""
        if pressed_at is not None and self._is_echo(uniqueid, key):
            return
        listener = self._listeners.get(uniqueid)
        if listener is None:
            return
        future, since = listener
        if pressed_at is not None and pressed_at < since:
            return
        del self._listeners[uniqueid]
        if not future.done():
            future.set_result(key)

    def _is_echo(self, uniqueid: str, key: str) -> bool:
        echoes = self._echoes.get(uniqueid)
        if not echoes:
            return False
        # Keys FastAGI took but AMI reports differently were lost on the way: skip past them.
        while echoes and echoes[0] != key:
            echoes.popleft()
        if echoes:
            echoes.popleft()
            return True
        return False

    def forget(self, uniqueid: str) -> None:
        self._echoes.pop(uniqueid, None)
        listener = self._listeners.pop(uniqueid, None)
        if listener is not None:
            listener[0].cancel()
