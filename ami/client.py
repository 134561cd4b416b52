"""The asyncio AMI client: one connection loop around the sans-I/O codec and tracker.

Delivery guarantee for actions — read this before calling `action`:

- An action is sent at most once. Nothing is ever queued for a later connection and nothing
  is re-sent after a reconnect: a second `Originate` rings a second phone, a second
  `Redirect` moves a call that has already moved.
- `AmiNotConnected`: there was no logged-in connection; the action was NOT sent.
- `AmiActionOutcomeUnknown`: the action was written but the connection dropped before its
  answer; `AmiTimeout` (a subclass): no answer in time. In both cases Asterisk may have run
  it. The caller must look at Asterisk (does the channel exist? is the agent in the queue?)
  before deciding to act again.
- `AmiActionError`: Asterisk answered `Response: Error`; the response is attached.

Actions take a `timeout` argument (hence the ASYNC109 exemptions) rather than relying on the
caller's `asyncio.timeout`: a default applies to every action, so none waits forever, and a
timeout must forget the ActionID and report the outcome as unknown, not merely cancel.

On every (re)connect the client logs in with an `Events:` mask, puts a `Connected` marker in
every subscription and runs the `on_connected` callbacks, where the controller rebuilds its
state from Asterisk (CoreShowChannels, DeviceStateList), since Asterisk is the source of
truth and events were missed while disconnected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ami.codec import AmiConnection, Fields
from ami.errors import (
    AmiActionError,
    AmiActionOutcomeUnknown,
    AmiConnectionLost,
    AmiError,
    AmiLoginFailed,
    AmiNotConnected,
    AmiProtocolError,
    AmiTimeout,
)
from ami.messages import Event, Greeting, Message, Response
from ami.requests import OnSuccess, PendingActions
from ami.subscription import Connected, Delivery, Disconnected, EventSubscription
from ami.tracker import Completed, Expect, InProgress

_log = logging.getLogger("hotline.ami")

_READ_SIZE = 64 * 1024
_CLOSE_TIMEOUT = 1.0

OnConnected = Callable[["AmiClient"], Awaitable[None]]


def backoff_delay(
    failures: int, initial: float, maximum: float, rand: Callable[[], float] = random.random
) -> float:
    """Seconds to wait before reconnect attempt number `failures + 1`.

    Exponential and capped, with "equal jitter": half fixed, half random, so many
    controllers restarted together spread out, yet never retry in a tight loop.
    """
    ceiling = min(maximum, initial * 2.0 ** min(failures, 32))
    return ceiling / 2 + ceiling / 2 * rand()


@dataclass
class _Link:
    """One TCP connection to Asterisk and the codec reading it."""

    writer: asyncio.StreamWriter
    codec: AmiConnection
    greeting: asyncio.Future[Greeting]
    logged_in: bool = False


class AmiClient:
    """An AMI connection that reconnects by itself; run `run()` in a TaskGroup."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 5038,
        *,
        username: str,
        secret: str,
        events: str = "call,agent",
        ping_interval: float = 10.0,
        ping_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 10.0,
        action_timeout: float = 10.0,
    ) -> None:
        self._host = host
        self._port = port
        self._username = username
        self._secret = secret
        self._events = events
        self._ping_interval = ping_interval
        self._ping_timeout = ping_timeout
        self._connect_timeout = connect_timeout
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._action_timeout = action_timeout
        self._pending = PendingActions()
        self._subscriptions: list[EventSubscription] = []
        self._on_connected: list[OnConnected] = []
        self._connected = asyncio.Event()
        self._link: _Link | None = None
        self._running = False
        self.version: str | None = None

    def __repr__(self) -> str:  # never the secret
        return f"AmiClient({self._host}:{self._port}, user={self._username!r})"

    # -- public API ---------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """True while logged in to Asterisk."""
        return self._connected.is_set()

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Wait until logged in; `AmiNotConnected` after `timeout` seconds."""
        try:
            async with asyncio.timeout(timeout):
                await self._connected.wait()
        except TimeoutError:
            raise AmiNotConnected(f"no AMI connection within {timeout:g} s") from None

    def add_on_connected(self, callback: OnConnected) -> None:
        """Run `callback(client)` after every login, in registration order."""
        self._on_connected.append(callback)

    def subscribe(self, maxsize: int = 10000) -> EventSubscription:
        """A new subscription to every event (except event-list items answering an action)."""
        subscription = EventSubscription(
            maxsize, self._subscriptions.remove, name=f"subscriber {len(self._subscriptions) + 1}"
        )
        self._subscriptions.append(subscription)
        return subscription

    async def action(
        self,
        name: str,
        fields: Fields = (),
        *,
        timeout: float | None = None,
    ) -> Response:
        """Send one action and return its response; see the module doc for failures."""
        completed = await self._request(self._current_link(), name, fields, timeout=timeout)
        return completed.response

    async def action_list(
        self,
        name: str,
        fields: Fields = (),
        *,
        timeout: float | None = None,
    ) -> tuple[Response, list[Event]]:
        """Send an event-list action (CoreShowChannels...) and return its response and items."""
        completed = await self._request(
            self._current_link(), name, fields, expect=Expect.EVENT_LIST, timeout=timeout
        )
        return completed.response, list(completed.events)

    async def action_with_event(
        self,
        name: str,
        fields: Fields = (),
        *,
        event: str,
        timeout: float | None = None,
    ) -> tuple[Response, Event]:
        """Send an async action and wait for its completion `event` (OriginateResponse)."""
        completed = await self._request(
            self._current_link(),
            name,
            fields,
            expect=Expect.COMPLETION_EVENT,
            event=event,
            timeout=timeout,
        )
        assert completed.final_event is not None  # the tracker completes only with it
        return completed.response, completed.final_event

    async def run(self) -> None:
        """Connect, log in, read, keep alive; reconnect with backoff forever until cancelled."""
        if self._running:
            raise RuntimeError("AmiClient.run() is already running")
        self._running = True
        try:
            failures = 0
            while True:
                logged_in = await self._connect_once()
                failures = 0 if logged_in else failures + 1
                delay = backoff_delay(failures, self._backoff_initial, self._backoff_max)
                _log.info("reconnecting to AMI at %s:%d in %.2f s", self._host, self._port, delay)
                await asyncio.sleep(delay)
        finally:
            self._running = False

    # -- connection lifecycle -------------------------------------------------------------

    async def _connect_once(self) -> bool:
        """One connection from open to close; True if it got as far as a login."""
        try:
            async with asyncio.timeout(self._connect_timeout):
                reader, writer = await asyncio.open_connection(self._host, self._port)
        except OSError as exc:  # includes TimeoutError
            _log.warning("cannot connect to AMI at %s:%d: %s", self._host, self._port, _why(exc))
            return False
        loop = asyncio.get_running_loop()
        link = _Link(writer, AmiConnection(), loop.create_future())
        self._link = link
        reason: str | None = None  # stays None only when run() is cancelled
        try:
            await self._session(reader, link)
        except* AmiLoginFailed:
            reason = "login refused"  # already logged with what to do about it
        except* (OSError, AmiError) as group:
            reason = "; ".join(_why(exc) for exc in group.exceptions)
        finally:
            self._teardown(link, reason)
            await _close(writer)
        return link.logged_in

    async def _session(self, reader: asyncio.StreamReader, link: _Link) -> None:
        """Greeting, login, then reader + keep-alive + callbacks until something fails."""
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._read_loop(reader, link), name="ami-reader")
            greeting = await self._greeting(link)
            self.version = greeting.version
            await self._login(link)
            tasks.create_task(self._keepalive(link), name="ami-keepalive")
            tasks.create_task(self._run_on_connected(), name="ami-on-connected")

    async def _greeting(self, link: _Link) -> Greeting:
        try:
            async with asyncio.timeout(self._connect_timeout):
                return await link.greeting
        except TimeoutError:
            raise AmiProtocolError(f"no AMI banner within {self._connect_timeout:g} s") from None

    async def _login(self, link: _Link) -> None:
        fields = {"Username": self._username, "Secret": self._secret, "Events": self._events}
        try:
            await self._request(
                link, "Login", fields, on_success=lambda _: self._mark_connected(link)
            )
        except AmiActionError as exc:
            _log.error(
                "AMI login as %r at %s:%d refused (%s). Check that the AMI secret in the hotline "
                "state directory matches the secret of [%s] in Asterisk's manager.conf, and that "
                "its permit= allows this host; retrying with backoff.",
                self._username,
                self._host,
                self._port,
                exc.response.message,
                self._username,
            )
            raise AmiLoginFailed(exc.response) from None

    def _mark_connected(self, link: _Link) -> None:
        # Called from the reader right after the login response, so the Connected marker is
        # queued before any event that followed the login on the wire.
        link.logged_in = True
        self._connected.set()
        _log.info(
            "logged in to AMI %s at %s:%d as %r (events: %s)",
            self.version,
            self._host,
            self._port,
            self._username,
            self._events,
        )
        self._publish(Connected(self.version or ""))

    def _teardown(self, link: _Link, failure: str | None) -> None:
        """Forget the connection and fail whatever waited on it (`failure` None: stopped).

        Synchronous on purpose: no action can slip in between marking the client
        disconnected and failing the waiters.
        """
        reason = failure or "AMI client stopped"
        self._connected.clear()
        if self._link is link:
            self._link = None
        self._pending.fail_all(reason)
        self._log_end(link, failure)
        if link.logged_in:
            self._publish(Disconnected(reason))

    def _log_end(self, link: _Link, failure: str | None) -> None:
        where = f"{self._host}:{self._port}"
        if failure is None:
            _log.info("AMI connection to %s closed: client stopped", where)
        elif link.logged_in:
            _log.warning("AMI connection to %s lost: %s", where, failure)
        elif failure != "login refused":
            _log.warning("AMI connection to %s failed before login: %s", where, failure)

    async def _keepalive(self, link: _Link) -> None:
        while True:
            await asyncio.sleep(self._ping_interval)
            try:
                await self._request(link, "Ping", timeout=self._ping_timeout)
            except AmiTimeout:
                raise AmiConnectionLost(
                    f"no answer to Ping within {self._ping_timeout:g} s"
                ) from None

    async def _run_on_connected(self) -> None:
        for callback in list(self._on_connected):
            try:
                await callback(self)
            except (AmiNotConnected, AmiActionOutcomeUnknown) as exc:
                _log.warning("AMI on_connected %r interrupted: %s", callback, exc)
                return  # the next connection runs them all again
            except Exception:
                # One broken callback must not keep the others from rebuilding their state.
                _log.exception("AMI on_connected callback %r failed", callback)

    # -- reading --------------------------------------------------------------------------

    async def _read_loop(self, reader: asyncio.StreamReader, link: _Link) -> None:
        while True:
            data = await reader.read(_READ_SIZE)
            if not data:
                raise AmiConnectionLost("Asterisk closed the connection")
            link.codec.receive_data(data)
            while (message := link.codec.next_message()) is not None:
                self._dispatch(link, message)

    def _dispatch(self, link: _Link, message: Message) -> None:
        """Route one message; never awaits, so a slow consumer cannot stall the reader."""
        if isinstance(message, Greeting):
            if not link.greeting.done():  # cancelled if the banner came too late
                link.greeting.set_result(message)
            return
        result = self._pending.feed(message)
        if isinstance(message, Event) and link.logged_in and _is_broadcast(result):
            self._publish(message)

    def _publish(self, item: Delivery) -> None:
        for subscription in self._subscriptions:
            subscription.deliver(item)

    # -- writing --------------------------------------------------------------------------

    def _current_link(self) -> _Link:
        if self._link is None or not self._connected.is_set():
            raise AmiNotConnected("not connected to AMI: the action was not sent")
        return self._link

    async def _request(
        self,
        link: _Link,
        name: str,
        fields: Fields = (),
        *,
        expect: Expect = Expect.RESPONSE,
        event: str | None = None,
        timeout: float | None = None,
        on_success: OnSuccess | None = None,
    ) -> Completed:
        return await self._pending.send(
            link.writer,
            name,
            fields,
            timeout=self._action_timeout if timeout is None else timeout,
            expect=expect,
            event=event,
            on_success=on_success,
        )


def _is_broadcast(result: Completed | InProgress | None) -> bool:
    """Subscribers get ordinary events and completion events, not event-list items."""
    return result is None or result.expect is Expect.COMPLETION_EVENT


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        async with asyncio.timeout(_CLOSE_TIMEOUT):
            await writer.wait_closed()
