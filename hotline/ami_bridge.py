"""AMI events in, controller calls out; and on every (re)connect, a rebuild from Asterisk.

Asterisk is the source of truth: after a reconnect (or a gap in the event stream) the
controller's view is rebuilt from CoreShowChannels and DeviceStateList, so no agent stays stuck
as "on a call" for a call that ended while we were not listening.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from typing import ClassVar

from ami import AmiClient, AmiError, AmiSubscriptionOverflow, Event, EventSubscription
from hotline.asterisk.render import FALLBACK_QUEUE
from hotline.controller import Controller

log = logging.getLogger("hotline.ami_bridge")

SEAT_CHANNEL = re.compile(r"^PJSIP/(seat\d{3,4})-[0-9a-f]+$")
SEAT_DEVICE = re.compile(r"^PJSIP/(seat\d{3,4})$")
FREE_DEVICE_STATES = frozenset({"NOT_INUSE"})
REBUILD_ATTEMPTS = 20
REBUILD_RETRY_S = 0.5
STOP_TIMEOUT_S = 1.0
"""How long a ControlPlayback may take; beyond it the prompt is left to play out."""
# The agent's failures. CANCEL is not one: it means the caller hung up while the seat rang,
# which is no miss of the agent's (the caller's Hangup frees the agent).
FAILED_DIAL = frozenset({"NOANSWER", "BUSY", "CHANUNAVAIL", "CONGESTION", "DONTCALL"})


def seat_of_channel(channel: str) -> str | None:
    match = SEAT_CHANNEL.match(channel)
    return match.group(1) if match else None


def seat_of_device(device: str) -> str | None:
    match = SEAT_DEVICE.match(device)
    return match.group(1) if match else None


def key_pressed_at(event: Event) -> float | None:
    """When a DTMFEnd's key began (epoch seconds), from Asterisk's event timestamp."""
    try:
        ended = float(event.get("Timestamp", ""))
        duration_ms = float(event.get("DurationMs", "0") or 0)
    except ValueError:
        return None
    return ended - duration_ms / 1000


class AmiBridge:
    def __init__(self, client: AmiClient, controller: Controller) -> None:
        self.client = client
        self.controller = controller
        self.rebuilds = 0
        self.observers: list[Callable[[Event], None]] = []
        """Others who read every event (the window desk follows its conferences' members)."""
        client.add_on_connected(self._rebuild)

    async def consume(self, subscription: EventSubscription) -> None:
        """Feed every event to the controller; after a gap, rebuild and go on."""
        while True:
            try:
                async for item in subscription:
                    if isinstance(item, Event):
                        self.handle(item)
                return
            except AmiSubscriptionOverflow:
                log.warning("AMI events were lost (controller too slow): rebuilding state")
                await self._rebuild(self.client)

    def handle(self, event: Event) -> None:
        handler = self._handlers.get(event.name)
        if handler is not None:
            handler(self, event)
        for observer in self.observers:
            observer(event)

    def _dial_end(self, event: Event) -> None:
        seat = seat_of_channel(event.get("DestChannel", ""))
        uniqueid = event.get("Uniqueid", "")
        status = event.get("DialStatus", "")
        if seat is None or not uniqueid:
            return
        if status == "ANSWER":
            self.controller.offer_answered(uniqueid, seat)
        elif status in FAILED_DIAL:
            self.controller.offer_failed(uniqueid, status)

    def _hangup(self, event: Event) -> None:
        channel = event.get("Channel", "")
        seat = seat_of_channel(channel)
        if seat is not None:
            self.controller.seat_channel_ended(seat)
            return
        cause = event.get("Cause-txt", "") or event.get("Cause", "")
        self.controller.channel_ended(event.get("Uniqueid", ""), cause)

    def _device_state(self, event: Event) -> None:
        seat = seat_of_device(event.get("Device", ""))
        if seat is not None:
            self.controller.seat_busy(seat, event.get("State", "") not in FREE_DEVICE_STATES)

    def _dtmf_end(self, event: Event) -> None:
        # Keys the caller sends (not those Asterisk plays to them), while the AGI is idle.
        from_caller = seat_of_channel(event.get("Channel", "")) is None
        if event.get("Direction", "") == "Received" and from_caller:
            uniqueid, digit = event.get("Uniqueid", ""), event.get("Digit", "")
            self.controller.keys.press(uniqueid, digit, key_pressed_at(event))

    def _queue_join(self, event: Event) -> None:
        if event.get("Queue", "") == FALLBACK_QUEUE:
            self.controller.fallback_entered(event.get("Uniqueid", ""), "routing did not finish")

    _handlers: ClassVar[dict[str, Callable[[AmiBridge, Event], None]]] = {
        "DialEnd": _dial_end,
        "Hangup": _hangup,
        "DeviceStateChange": _device_state,
        "QueueCallerJoin": _queue_join,
        "DTMFEnd": _dtmf_end,
    }

    async def _rebuild(self, client: AmiClient) -> None:
        # AMI answers before Asterisk has loaded every module: right after a restart
        # DeviceStateList may still be unknown for a moment, so try again briefly.
        for attempt in range(REBUILD_ATTEMPTS):
            try:
                _, channels = await client.action_list("CoreShowChannels")
                _, devices = await client.action_list("DeviceStateList")
                break
            except AmiError as exc:
                if attempt == REBUILD_ATTEMPTS - 1:
                    log.error("could not rebuild state from Asterisk (%s)", exc)
                    return
                await asyncio.sleep(REBUILD_RETRY_S)
        live = {c.get("Uniqueid", "") for c in channels}
        busy = {
            seat
            for d in devices
            if (seat := seat_of_device(d.get("Device", ""))) is not None
            and d.get("State", "") not in FREE_DEVICE_STATES
        }
        self.rebuilds += 1
        log.info(
            "state rebuilt from Asterisk: %d channels, %d seats busy or unreachable",
            len(live), len(busy),
        )  # fmt: skip
        self.controller.reconcile(live, busy)


class AmiPlayback:
    """Stops the prompt a caller hears with AMI ``ControlPlayback`` (write class ``call``;
    app_controlplayback provides it). Asterisk queues a stop on the channel, and the
    CONTROL STREAM FILE playing there ends and answers result=0."""

    def __init__(self, client: AmiClient, timeout_s: float = STOP_TIMEOUT_S) -> None:
        self.client = client
        self.timeout_s = timeout_s

    async def stop(self, channel: str) -> bool:
        if not self.client.connected:
            return False
        fields = {"Channel": channel, "Control": "stop"}
        try:
            await self.client.action("ControlPlayback", fields, timeout=self.timeout_s)
        except AmiError as exc:
            # The channel may be gone, or the prompt just ended: it plays (or played) out.
            log.info("could not stop the prompt on %s: %s", channel, exc)
            return False
        return True


# OriginateResponse's Reason: Asterisk's AST_CONTROL codes for how the outbound leg ended.
ORIGINATE_REASONS = {
    "0": "failed", "1": "hung up", "3": "no answer", "4": "answered", "5": "busy",
    "8": "congestion",
}  # fmt: skip


class AmiDialer:
    """Places a queued callback's outbound leg with AMI Originate (customer first).

    The leg's uniqueid is ours (``ChannelId``), so its FastAGI session, its Hangup event and the
    OriginateResponse all name it. When the caller answers, the leg runs the ``hotline-callback``
    context; a failure is reported to ``on_failed``.
    """

    def __init__(
        self,
        client: AmiClient,
        endpoint: str,
        caller_id: str,
        on_failed: Callable[[str, str], None],
    ) -> None:
        self.client = client
        self.endpoint = endpoint
        self.caller_id = caller_id
        self.on_failed = on_failed
        self._tasks: set[asyncio.Task[None]] = set()

    def dial(self, leg_id: str, number: str, callback_id: str, ring_s: float) -> None:
        task = asyncio.create_task(self._originate(leg_id, number, callback_id, ring_s))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _originate(self, leg_id: str, number: str, callback_id: str, ring_s: float) -> None:
        fields = {
            "Channel": f"PJSIP/{number}@{self.endpoint}",
            "Context": "hotline-callback",
            "Exten": "s",
            "Priority": "1",
            "Timeout": str(round(ring_s * 1000)),
            "CallerID": f'"{self.caller_id}" <{self.caller_id}>',
            "Variable": f"HOTLINE_CALLBACK={callback_id}",
            "ChannelId": leg_id,
            "Async": "true",
        }
        try:
            _, result = await self.client.action_with_event(
                "Originate", fields, event="OriginateResponse", timeout=ring_s + 10
            )
        except AmiError as exc:
            self.on_failed(leg_id, f"originate: {exc}")
            return
        if result.get("Response", "") != "Success":
            reason = ORIGINATE_REASONS.get(result.get("Reason", ""), "failed")
            self.on_failed(leg_id, reason)
