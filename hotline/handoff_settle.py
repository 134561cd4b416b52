"""Handoffs left open by a controller that stopped (killed, crashed), settled from what Asterisk
reports on the next AMI connect, so that nobody waits on hold or alone in a room.

==================================  ===============================================
stored handoff, caller's channel     settled as
==================================  ===============================================
caller gone                          caller_gone (a warm transfer's room emptied)
blind, caller alive                  returned_to_queue (the transfer script died: the
                                     dialplan's fallback queue has the caller)
warm, caller in the room             returned_to_agent, as it was
warm, caller on hold                 the ringing target hung up; caller to the agent's
                                     room (returned_to_agent), or the agent gone, to the
                                     fallback queue (returned_to_queue)
warm, caller still in the Dial       failed (the hold never began)
==================================  ===============================================

A caller settled back with the agent is watched: when they hang up, the room is emptied.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from ami import AmiClient
from hotline.handoff_actions import end_room, hang_up_leg, redirect
from hotline.handoff_ami import (
    CONFERENCE_CONTEXT,
    FALLBACK_CONTEXT,
    TRANSFER_CONTEXT,
    consult_leg_id,
    room_of,
)
from hotline.storage import Store
from hotline.storage.handoff_store import HandoffRecord
from transfers.case import Step
from transfers.handoff import HandoffKind, HandoffState

log = logging.getLogger("hotline.handoff_desk")


class RestartSettler:
    def __init__(self, ami: AmiClient, store: Store, wall: Callable[[], datetime]) -> None:
        self.ami, self.store, self.wall = ami, store, wall
        self._watch: dict[str, HandoffRecord] = {}
        """Caller channel -> a handoff settled back with the agent."""
        self._tasks: set[asyncio.Task[None]] = set()

    async def settle_open(self, client: AmiClient, known: Callable[[str], bool]) -> None:
        """Settle each stored open handoff the desk does not know (``known``)."""
        records = await asyncio.to_thread(self.store.open_handoffs)
        if not records:
            return
        _, channels = await client.action_list("CoreShowChannels")
        where = {c.get("Channel", ""): c.get("Context", "") for c in channels}
        for record in records:
            if known(record.case_id):
                continue
            state, reason = await self._settle(record, where)
            watched = state == HandoffState.RETURNED_TO_AGENT
            if watched:
                self._watch[record.caller_channel] = record
            settled = dataclasses.replace(
                record, state=state, reason=reason, finished=not watched, updated_at=self.wall()
            )
            step = Step(self.wall(), record.state, "controller_restarted", state)
            log.info("transfer %s settled after a (re)connect: %s", record.case_id, step)
            steps = [step] if state != record.state else []
            await asyncio.to_thread(self.store.save_handoff, settled, steps)

    async def _settle(self, record: HandoffRecord, where: Mapping[str, str]) -> tuple[str, str]:
        room, caller = room_of(record.case_id), record.caller_channel
        if caller not in where:
            if record.kind == HandoffKind.WARM:
                await end_room(self.ami, room)
            return HandoffState.CALLER_GONE, "caller_hung_up"
        if record.kind == HandoffKind.BLIND:
            return HandoffState.RETURNED_TO_QUEUE, "controller_restarted"
        if where[caller] == CONFERENCE_CONTEXT:
            return HandoffState.RETURNED_TO_AGENT, record.reason
        if where[caller] != TRANSFER_CONTEXT:
            return HandoffState.FAILED, "controller_restarted"
        await hang_up_leg(self.ami, consult_leg_id(record.case_id), None)
        if record.agent_channel in where:
            await redirect(self.ami, caller, CONFERENCE_CONTEXT, f"caller-{room}")
            return HandoffState.RETURNED_TO_AGENT, "controller_restarted"
        await redirect(self.ami, caller, FALLBACK_CONTEXT, "s")
        return HandoffState.RETURNED_TO_QUEUE, "controller_restarted"

    def caller_gone(self, channel: str) -> None:
        """A Hangup: if it is a watched caller's, their room is emptied and the handoff closed."""
        record = self._watch.pop(channel, None)
        if record is not None:
            task = asyncio.create_task(self._close(record))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _close(self, record: HandoffRecord) -> None:
        await end_room(self.ami, room_of(record.case_id))
        closed = dataclasses.replace(record, finished=True, updated_at=self.wall())
        await asyncio.to_thread(self.store.save_handoff, closed)
