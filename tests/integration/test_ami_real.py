"""The AMI client against the real Asterisk: least privilege, and recovery from a restart."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

from ami import AmiActionError, AmiClient, AmiNotConnected, Connected, Disconnected, Event
from hotline.settings import Settings
from hotline.setup import Prepared
from hotline.sipp.runner import CallerPath
from tests.integration import lab
from tests.integration.lab import ControllerProcess

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]


def client_for(prepared: Prepared, settings: Settings) -> AmiClient:
    return AmiClient(
        "127.0.0.1",
        settings.ami_port,
        username=prepared.secrets.ami_username,
        secret=prepared.secrets.ami_secret,
        ping_interval=1.0,
        ping_timeout=1.0,
        backoff_initial=0.2,
        backoff_max=1.0,
    )


async def test_given_controller_account_when_it_asks_for_a_cli_command_then_asterisk_refuses(
    asterisk: Prepared, lab_settings: Settings
) -> None:
    client = client_for(asterisk, lab_settings)
    task = asyncio.create_task(client.run())
    try:
        await client.wait_connected(10)
        with pytest.raises(AmiActionError) as refused:
            await client.action("Command", {"Command": "core show version"})
        assert "denied" in (refused.value.response.message or "").lower()
        response, channels = await client.action_list("CoreShowChannels")
        assert response.status == "Success"
        assert isinstance(channels, list)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_given_connected_client_when_asterisk_restarts_then_it_reconnects_and_rebuilds(
    asterisk: Prepared, lab_settings: Settings
) -> None:
    client = client_for(asterisk, lab_settings)
    rebuilds: list[int] = []

    async def rebuild(c: AmiClient) -> None:
        _, channels = await c.action_list("CoreShowChannels")
        for _ in range(20):  # right after a restart the module may still be loading
            try:
                await c.action_list("DeviceStateList")
                break
            except AmiActionError:
                await asyncio.sleep(0.5)
        rebuilds.append(len(channels))

    client.add_on_connected(rebuild)
    markers: list[str] = []

    async def watch() -> None:
        with client.subscribe() as subscription:
            async for item in subscription:
                if isinstance(item, Connected | Disconnected):
                    markers.append(type(item).__name__)
                elif isinstance(item, Event) and item.name == "FullyBooted":
                    markers.append("FullyBooted")

    task = asyncio.create_task(client.run())
    watcher = asyncio.create_task(watch())
    try:
        await client.wait_connected(10)
        await lab.wait_until(lambda: len(rebuilds) == 1, 10)
        await asyncio.to_thread(asterisk.asterisk.stop)
        await lab.wait_until(lambda: not client.connected, 10)
        # While Asterisk is away an action fails at once: it is never kept to be sent later.
        with pytest.raises(AmiNotConnected):
            await client.action(
                "Originate",
                {"Channel": "Local/s@hotline-fallback", "Application": "Wait", "Data": "1"},
            )
        await asyncio.to_thread(asterisk.asterisk.start)
        await client.wait_connected(30)
        await lab.wait_until(lambda: len(rebuilds) == 2, 10)
        assert rebuilds[1] == 0, "the refused Originate was not replayed after the reconnect"
        assert markers[:1] == ["Connected"]
        assert "Disconnected" in markers
        assert markers.count("Connected") == 2
    finally:
        for t in (task, watcher):
            t.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await t


async def test_given_running_controller_when_asterisk_restarts_then_it_recovers_and_routes_calls(
    asterisk: Prepared,
    controller: ControllerProcess,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    controller.api("POST", "/api/v1/agents/A001/login", {"seat": "seat001"})
    await asyncio.to_thread(asterisk.asterisk.stop)
    await lab.wait_until(lambda: not (controller.health() or {}).get("ami_connected"), 15)
    await asyncio.to_thread(asterisk.asterisk.start)
    await lab.wait_until(lambda: bool((controller.health() or {}).get("ami_connected")), 30)
    # The rebuild follows the login, with retries while Asterisk is still loading modules.
    await lab.wait_until(
        lambda: controller.log_tail(200).count("state rebuilt from Asterisk") >= 2, 15
    )
    agents = controller.api("GET", "/api/v1/agents")
    assert [(a["agent"], a["state"]) for a in agents] == [("A001", "available")]
    await lab.answered_calls(lab_settings, tmp_path, [CallerPath("1")], 2, rate=1.0)

    def outcomes() -> list[str]:
        return sorted(c["outcome"] for c in controller.api("GET", "/api/v1/calls?limit=10"))

    # The last call's record is written just after its hang-up: wait for it.
    await lab.wait_until(lambda: outcomes().count("answered") >= 2, 15)
    assert outcomes() == ["answered", "answered"]
