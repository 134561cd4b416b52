"""Window connections left open by a controller that stopped (killed, crashed), settled from
what Asterisk reports on each AMI connect (transfers/reconcile.py decides).

Each stored open transfer, the one in memory or else rebuilt from its record, is compared with
the channels alive, the members of its room and its window leg; the decisions come one at a
time, so the desk carries out each before the next transfer's room is asked about.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime

from ami import AmiClient, Event
from hotline.storage import Store
from hotline.window_actions import members_of
from hotline.window_ami import leg_id
from hotline.window_records import transfer_of
from transfers.directory import Directory
from transfers.machine import Decision, WindowSettings, WindowTransfer
from transfers.reconcile import AsteriskSnapshot, reconcile

log = logging.getLogger("hotline.window_desk")


async def settle_open(
    client: AmiClient, ami: AmiClient, store: Store, *, directory: Directory,
    known: Callable[[str], WindowTransfer | None], settings: WindowSettings,
    wall: Callable[[], datetime],
) -> AsyncIterator[tuple[Decision, frozenset[str]]]:  # fmt: skip
    """Each stored open transfer's decision, with the channels found alive."""
    records = await asyncio.to_thread(store.open_transfers)
    if not records:
        return
    _, channels = await client.action_list("CoreShowChannels")
    for record in records:
        transfer = known(record.case_id) or transfer_of(record, directory)
        if transfer is None:
            continue
        snapshot = await _snapshot(ami, transfer, channels)
        decision = reconcile(transfer, snapshot, wall(), settings)
        log.info("transfer %s settled after a (re)connect: %s", record.case_id,
                 decision.transfer.state)  # fmt: skip
        yield decision, snapshot.alive


async def _snapshot(
    ami: AmiClient, transfer: WindowTransfer, channels: list[Event]
) -> AsteriskSnapshot:
    mine = {transfer.caller, transfer.agent, transfer.clerk}
    leg = next((c for c in channels if c.get("Uniqueid", "") == leg_id(
        transfer.case.case_id)), None)  # fmt: skip
    alive = {c.get("Channel", "") for c in channels} & (mine | {_name(leg)})
    return AsteriskSnapshot(
        alive=frozenset(name for name in alive if name),
        in_conference=frozenset(await members_of(ami, transfer.conference_id)),
        window_channel=_name(leg) or None,
        window_answered=leg is not None and leg.get("ChannelStateDesc", "") == "Up",
    )


def _name(channel: Event | None) -> str:
    return channel.get("Channel", "") if channel is not None else ""
