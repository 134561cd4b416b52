"""AmiClient against a scripted fake Asterisk on a loopback socket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from ami.client import AmiClient
from ami.errors import (
    AmiActionError,
    AmiActionOutcomeUnknown,
    AmiNotConnected,
    AmiSubscriptionOverflow,
    AmiTimeout,
    AmiUnsafeValue,
)
from ami.messages import Event
from ami.subscription import Connected, Delivery, Disconnected, EventSubscription

SECRET = "s3cret-that-must-never-be-logged"
FULLY_BOOTED = (
    "Event: FullyBooted\nPrivilege: system,all\nUptime: 3\nLastReload: 3\nStatus: Fully Booted\n\n"
)
WAIT = 5.0  # generous: these tests must not flake on a loaded machine


@dataclass
class Action:
    """One action as the fake Asterisk received it."""

    connection: int
    items: list[tuple[str, str]]

    def get(self, key: str) -> str | None:
        return next((v for k, v in self.items if k.lower() == key.lower()), None)

    @property
    def name(self) -> str:
        return self.get("Action") or ""

    @property
    def action_id(self) -> str:
        return self.get("ActionID") or ""


@dataclass
class FakeConnection:
    number: int
    writer: asyncio.StreamWriter
    closed: bool = False

    def send(self, text: str) -> None:
        """Write AMI traffic written with LF as Asterisk sends it, with CRLF."""
        self.writer.write(text.replace("\n", "\r\n").encode())

    def close(self) -> None:
        self.writer.close()


Handler = Callable[[FakeConnection, Action], None]


@dataclass
class FakeAmi:
    """Asterisk's manager port, scripted: answers Login and Ping, records every action."""

    secret: str = SECRET
    banner: str = "Asterisk Call Manager/11.0.0"
    answer_pings: bool = True
    after_login: str = FULLY_BOOTED
    handlers: dict[str, Handler] = field(default_factory=dict)
    actions: list[Action] = field(default_factory=list)
    connections: list[FakeConnection] = field(default_factory=list)
    port: int = 0
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def named(self, name: str) -> list[Action]:
        return [action for action in self.actions if action.name.lower() == name.lower()]

    async def wait_for(self, predicate: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    def _notify(self) -> None:
        self._changed.set()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        connection = FakeConnection(len(self.connections) + 1, writer)
        self.connections.append(connection)
        self._notify()
        writer.write(f"{self.banner}\r\n".encode())
        try:
            while True:
                block = await reader.readuntil(b"\r\n\r\n")
                action = Action(connection.number, parse_block(block))
                self.actions.append(action)
                self._answer(connection, action)
                self._notify()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            connection.closed = True
            writer.close()
            self._tasks.discard(task)
            self._notify()

    def _answer(self, connection: FakeConnection, action: Action) -> None:
        name, action_id = action.name.lower(), action.action_id
        if name in self.handlers:
            self.handlers[name](connection, action)
        elif name == "login" and action.get("Secret") == self.secret:
            connection.send(
                f"Response: Success\nActionID: {action_id}\n"
                f"Message: Authentication accepted\n\n{self.after_login}"
            )
        elif name == "login":
            connection.send(
                f"Response: Error\nActionID: {action_id}\nMessage: Authentication failed\n\n"
            )
            connection.close()  # as Asterisk does after a failed login
        elif name == "ping":
            if self.answer_pings:
                connection.send(
                    f"Response: Success\nActionID: {action_id}\nPing: Pong\n"
                    "Timestamp: 1717000000.123456\n\n"
                )
        else:
            connection.send(
                f"Response: Error\nActionID: {action_id}\n"
                f"Message: Invalid/unknown command: {action.name}.\n\n"
            )


def parse_block(block: bytes) -> list[tuple[str, str]]:
    """A deliberately independent little parser, so codec bugs cannot cancel out."""
    pairs = []
    for line in block.decode().split("\r\n"):
        if line:
            key, _, value = line.partition(": ")
            pairs.append((key, value))
    return pairs


@pytest.fixture
async def fake() -> AsyncIterator[FakeAmi]:
    server = FakeAmi()
    await server.start()
    yield server
    await server.stop()


class Record:
    """Values noted by client-side callbacks; a test awaits a count without polling."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._changed = asyncio.Event()

    def add(self, value: Any) -> None:
        self.values.append(value)
        self._changed.set()

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(WAIT):
            while len(self.values) < count:
                self._changed.clear()
                await self._changed.wait()


def make_client(port: int, **overrides: Any) -> AmiClient:
    options: dict[str, Any] = {
        "ping_interval": 30.0,
        "ping_timeout": 5.0,
        "connect_timeout": 2.0,
        "backoff_initial": 0.05,
        "backoff_max": 0.2,
        "action_timeout": WAIT,
    }
    options.update(overrides)
    return AmiClient("127.0.0.1", port, username="hotline", secret=SECRET, **options)


@contextlib.asynccontextmanager
async def running(client: AmiClient) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(client.run(), name="ami-client-under-test")
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def take(subscription: EventSubscription, count: int) -> list[Delivery]:
    async with asyncio.timeout(WAIT):
        return [await anext(subscription) for _ in range(count)]


def channels_start(action_id: str) -> str:
    return (
        f"Response: Success\nActionID: {action_id}\nEventList: start\n"
        "Message: Channels will follow\n\n"
    )


def channels_complete(action_id: str, count: int) -> str:
    return (
        f"Event: CoreShowChannelsComplete\nActionID: {action_id}\nEventList: Complete\n"
        f"ListItems: {count}\n\n"
    )


def kinds(items: list[Delivery]) -> list[str]:
    return [item.name if isinstance(item, Event) else type(item).__name__ for item in items]


async def test_given_correct_secret_when_run_then_it_logs_in_with_the_event_mask(
    fake: FakeAmi,
) -> None:
    client = make_client(fake.port)
    async with running(client):
        await client.wait_connected(WAIT)
        assert client.connected
        assert client.version == "11.0.0"
    [login] = fake.named("Login")
    assert (login.get("Username"), login.get("Secret")) == ("hotline", SECRET)
    assert login.get("Events") == "call,agent"
    assert SECRET not in repr(client)


async def test_given_wrong_secret_when_run_then_error_says_what_to_do_and_login_is_retried(
    fake: FakeAmi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="hotline.ami")
    fake.secret = "another-secret"
    client = make_client(fake.port)
    async with running(client):
        await fake.wait_for(lambda: len(fake.named("Login")) >= 3)
        assert not client.connected
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors
    assert "manager.conf" in errors[0].getMessage()
    assert "Authentication failed" in errors[0].getMessage()
    assert SECRET not in caplog.text


async def test_given_no_connection_when_action_then_not_connected_and_never_sent_later(
    fake: FakeAmi,
) -> None:
    client = make_client(fake.port)
    with pytest.raises(AmiNotConnected):
        await client.action("Originate", {"Channel": "PJSIP/agent1001"})
    async with running(client):
        await client.wait_connected(WAIT)
        await client.action("Ping")
    assert fake.named("Originate") == []


async def test_given_interleaved_events_when_answers_come_out_of_order_then_each_gets_its_own(
    fake: FakeAmi,
) -> None:
    held: list[Action] = []

    def getvar(connection: FakeConnection, action: Action) -> None:
        held.append(action)
        if len(held) == 2:
            first, second = held
            connection.send(
                "Event: Newchannel\nPrivilege: call,all\nChannel: PJSIP/trunk-00000009\n\n"
                f"Response: Success\nActionID: {second.action_id}\n"
                f"Variable: {second.get('Variable')}\nValue: value-of-{second.get('Variable')}\n\n"
                "Event: Hangup\nPrivilege: call,all\nChannel: PJSIP/trunk-00000009\nCause: 16\n\n"
                f"Response: Success\nActionID: {first.action_id}\n"
                f"Variable: {first.get('Variable')}\nValue: value-of-{first.get('Variable')}\n\n"
            )

    fake.handlers["getvar"] = getvar
    fake.after_login = ""
    client = make_client(fake.port)
    with client.subscribe() as subscription:
        async with running(client):
            await client.wait_connected(WAIT)
            a, b = await asyncio.gather(
                client.action("GetVar", {"Variable": "A"}),
                client.action("GetVar", {"Variable": "B"}),
            )
            assert (a.get("Value"), b.get("Value")) == ("value-of-A", "value-of-B")
            assert kinds(await take(subscription, 3)) == ["Connected", "Newchannel", "Hangup"]


async def test_given_permission_denied_when_action_then_action_error_carries_the_response(
    fake: FakeAmi,
) -> None:
    fake.handlers["redirect"] = lambda c, a: c.send(
        f"Response: Error\nActionID: {a.action_id}\nMessage: Permission denied\n\n"
    )
    client = make_client(fake.port)
    async with running(client):
        await client.wait_connected(WAIT)
        with pytest.raises(AmiActionError) as caught:
            await client.action("Redirect", {"Channel": "PJSIP/1", "Context": "x"})
        assert caught.value.response.message == "Permission denied"
        assert client.connected


async def test_given_event_list_action_when_items_arrive_then_they_are_collected_not_broadcast(
    fake: FakeAmi,
) -> None:
    def core_show_channels(connection: FakeConnection, action: Action) -> None:
        aid = action.action_id
        connection.send(
            channels_start(aid)
            + f"Event: CoreShowChannel\nActionID: {aid}\nChannel: PJSIP/trunk-00000001\n\n"
            "Event: DeviceStateChange\nPrivilege: call,all\nDevice: PJSIP/agent1001\n"
            "State: INUSE\n\n"
            f"Event: CoreShowChannel\nActionID: {aid}\nChannel: PJSIP/agent1001-00000002\n\n"
            + channels_complete(aid, 2)
        )

    fake.handlers["coreshowchannels"] = core_show_channels
    fake.after_login = ""
    client = make_client(fake.port)
    with client.subscribe() as subscription:
        async with running(client):
            await client.wait_connected(WAIT)
            response, events = await client.action_list("CoreShowChannels")
            await client.action("Ping")  # everything sent before the Pong has been dispatched
        assert response.message == "Channels will follow"
        assert [e.get("Channel") for e in events] == [
            "PJSIP/trunk-00000001",
            "PJSIP/agent1001-00000002",
        ]
        assert kinds(await take(subscription, 3)) == [
            "Connected",
            "DeviceStateChange",
            "Disconnected",
        ]


async def test_given_async_originate_when_waiting_for_its_event_then_both_answers_are_returned(
    fake: FakeAmi,
) -> None:
    def originate(connection: FakeConnection, action: Action) -> None:
        aid = action.action_id
        connection.send(
            f"Response: Success\nActionID: {aid}\nMessage: Originate successfully queued\n\n"
        )
        asyncio.get_running_loop().call_later(
            0.05,
            connection.send,
            f"Event: OriginateResponse\nPrivilege: call,all\nActionID: {aid}\nResponse: Success\n"
            "Channel: PJSIP/agent1001-00000003\nReason: 4\nUniqueid: 1717000000.3\n\n",
        )

    fake.handlers["originate"] = originate
    client = make_client(fake.port)
    async with running(client):
        await client.wait_connected(WAIT)
        response, event = await client.action_with_event(
            "Originate",
            {"Channel": "PJSIP/agent1001", "Application": "Wait", "Data": "1", "Async": "true"},
            event="OriginateResponse",
        )
    assert response.message == "Originate successfully queued"
    assert (event.name, event.get("Response"), event.get("Reason")) == (
        "OriginateResponse",
        "Success",
        "4",
    )


async def test_given_server_answers_pings_when_idle_then_the_connection_stays_up(
    fake: FakeAmi,
) -> None:
    client = make_client(fake.port, ping_interval=0.05, ping_timeout=1.0)
    async with running(client):
        await fake.wait_for(lambda: len(fake.named("Ping")) >= 4)
        assert client.connected
    assert len(fake.connections) == 1


async def test_given_server_stops_answering_pings_when_ping_times_out_then_client_reconnects(
    fake: FakeAmi,
) -> None:
    fake.answer_pings = False
    logins = Record()

    async def count(_: AmiClient) -> None:
        logins.add(len(fake.connections))

    client = make_client(fake.port, ping_interval=0.05, ping_timeout=0.2)
    client.add_on_connected(count)
    async with running(client):
        await logins.wait_for(2)
        await fake.wait_for(lambda: fake.connections[0].closed)
    assert logins.values[:2] == [1, 2]


async def test_given_server_closes_when_client_reconnects_then_callbacks_rerun_and_markers_arrive(
    fake: FakeAmi,
) -> None:
    def core_show_channels(connection: FakeConnection, action: Action) -> None:
        aid = action.action_id
        connection.send(channels_start(aid) + channels_complete(aid, 0))

    fake.handlers["coreshowchannels"] = core_show_channels
    rebuilds = Record()

    async def rebuild(client: AmiClient) -> None:
        _, channels = await client.action_list("CoreShowChannels")
        rebuilds.add(len(channels))

    client = make_client(fake.port, backoff_initial=0.2, backoff_max=0.4)
    client.add_on_connected(rebuild)
    with client.subscribe() as subscription:
        async with running(client):
            await rebuilds.wait_for(1)
            loop = asyncio.get_running_loop()
            fake.connections[0].close()
            closed_at = loop.time()
            await fake.wait_for(lambda: len(fake.connections) == 2)
            waited = loop.time() - closed_at
            await rebuilds.wait_for(2)
            deliveries = await take(subscription, 5)
    assert waited >= 0.1  # backoff: at least half of backoff_initial, never a tight loop
    assert kinds(deliveries) == [
        "Connected",
        "FullyBooted",
        "Disconnected",
        "Connected",
        "FullyBooted",
    ]
    assert isinstance(deliveries[0], Connected)
    assert deliveries[0].version == "11.0.0"
    assert isinstance(deliveries[2], Disconnected)
    assert "closed" in deliveries[2].reason
    assert len(fake.named("CoreShowChannels")) == 2


async def test_given_action_in_flight_when_connection_drops_then_outcome_unknown_and_sent_once(
    fake: FakeAmi,
) -> None:
    # Asterisk received the Originate and the connection died before the answer.
    fake.handlers["originate"] = lambda connection, action: connection.close()
    client = make_client(fake.port)
    async with running(client):
        await client.wait_connected(WAIT)
        with pytest.raises(AmiActionOutcomeUnknown) as caught:
            await client.action("Originate", {"Channel": "PJSIP/agent1001", "Exten": "1001"})
        assert type(caught.value) is AmiActionOutcomeUnknown
        assert caught.value.action == "Originate"
        await fake.wait_for(lambda: len(fake.named("Login")) == 2)
        await client.wait_connected(WAIT)
        await client.action("Ping")
        await asyncio.sleep(0.2)  # room for a wrongful re-send to show up
    assert [action.connection for action in fake.named("Originate")] == [1]


async def test_given_a_slow_subscriber_when_it_overflows_then_others_and_actions_are_not_blocked(
    fake: FakeAmi,
) -> None:
    fake.after_login = ""
    client = make_client(fake.port)
    slow = client.subscribe(maxsize=5)
    fast = client.subscribe()
    async with running(client):
        await client.wait_connected(WAIT)
        fake.connections[0].send(
            "".join(f"Event: UserEvent\nPrivilege: user,all\nN: {n}\n\n" for n in range(50))
        )
        received = await take(fast, 51)
        await client.action("Ping")  # the reader is still reading
    assert [e.get("N") for e in received if isinstance(e, Event)] == [str(n) for n in range(50)]
    assert kinds(await take(slow, 5)) == ["Connected"] + ["UserEvent"] * 4
    with pytest.raises(AmiSubscriptionOverflow) as caught:
        await take(slow, 1)
    assert caught.value.dropped >= 46


async def test_given_running_client_when_run_is_cancelled_then_it_returns_promptly_and_closes(
    fake: FakeAmi,
) -> None:
    client = make_client(fake.port)
    subscription = client.subscribe()
    task = asyncio.create_task(client.run())
    await client.wait_connected(WAIT)
    loop = asyncio.get_running_loop()
    started = loop.time()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert loop.time() - started < 1.0
    assert not client.connected
    await fake.wait_for(lambda: fake.connections[0].closed)
    deliveries = await take(subscription, 3)
    assert kinds(deliveries) == ["Connected", "FullyBooted", "Disconnected"]


async def test_given_no_answer_when_action_timeout_passes_then_timeout_and_late_answer_ignored(
    fake: FakeAmi,
) -> None:
    held: list[Action] = []
    fake.handlers["queueadd"] = lambda connection, action: held.append(action)
    client = make_client(fake.port)
    async with running(client):
        await client.wait_connected(WAIT)
        with pytest.raises(AmiTimeout):
            await client.action("QueueAdd", {"Queue": "pension"}, timeout=0.2)
        fake.connections[0].send(
            f"Response: Success\nActionID: {held[0].action_id}\nMessage: Added interface\n\n"
        )
        response = await client.action("Ping")
        assert response.get("Ping") == "Pong"
        assert client.connected


async def test_given_injected_newline_when_action_then_refused_before_anything_is_sent(
    fake: FakeAmi,
) -> None:
    client = make_client(fake.port)
    async with running(client):
        await client.wait_connected(WAIT)
        with pytest.raises(AmiUnsafeValue):
            await client.action("Setvar", {"Variable": "X", "Value": "1\r\nAction: Hangup"})
        await client.action("Ping")
    assert fake.named("Setvar") == []
    assert fake.named("Hangup") == []


async def test_given_a_failing_callback_when_connected_then_the_next_callback_still_runs(
    fake: FakeAmi, caplog: pytest.LogCaptureFixture
) -> None:
    ran = Record()

    async def broken(_: AmiClient) -> None:
        raise RuntimeError("rebuild bug")

    async def healthy(_: AmiClient) -> None:
        ran.add("healthy")

    client = make_client(fake.port)
    client.add_on_connected(broken)
    client.add_on_connected(healthy)
    async with running(client):
        await ran.wait_for(1)
    assert "rebuild bug" in caplog.text


async def test_given_a_peer_that_is_not_ami_when_run_then_it_retries_without_logging_in(
    fake: FakeAmi,
) -> None:
    fake.banner = "SSH-2.0-OpenSSH_9.2"
    client = make_client(fake.port)
    async with running(client):
        await fake.wait_for(lambda: len(fake.connections) >= 3)
        assert not client.connected
    assert fake.named("Login") == []
