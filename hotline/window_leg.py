"""The window's leg on Asterisk: originated into the clerk's briefing, watched while it rings,
hung up when the transfer gives it up; what happened comes back as the machine's events.

The leg's ``ChannelId`` is the case's leg id (hotline/window_ami.leg_id), so it can be found
before Asterisk has answered the Originate. AMI sends no Newstate (manager.conf's
disabledevents), so the leg's Status is asked every RING_POLL_S until it rings.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from ami import AmiClient, AmiError
from hotline.window_ami import leg_id, leg_ringing, originate_outcome
from transfers.effects import DialWindow
from transfers.machine import WindowState, WindowTransfer
from transfers.window_events import WindowEvent

log = logging.getLogger("hotline.window_desk")

CLERK_CONTEXT = "hotline-window-clerk"
RING_POLL_S = 0.25
"""How often a window leg being dialled is asked whether it rings (AMI sends no Newstate)."""


async def originate(
    ami: AmiClient, transfer: WindowTransfer, dial: DialWindow, briefing: str,
    wall: Callable[[], datetime],
) -> WindowEvent:  # fmt: skip
    """Dial the window's phone and wait for the Originate's outcome (answered, busy, no answer);
    a leg Asterisk would not place is a failure like any other."""
    case_id = transfer.case.case_id
    fields = [
        ("Channel", f"PJSIP/{dial.endpoint}"),
        ("Context", CLERK_CONTEXT),
        ("Exten", "s"),
        ("Priority", "1"),
        ("Timeout", str(round(dial.timeout_s * 1000))),
        ("CallerID", f'"{dial.caller_id}" <{dial.caller_id}>'),
        ("Variable", f"HOTLINE_CONFERENCE={transfer.conference_id}"),
        ("Variable", f"HOTLINE_BRIEFING={briefing}"),
        ("ChannelId", leg_id(case_id)),
        ("Async", "true"),
    ]
    try:
        _, result = await ami.action_with_event(
            "Originate", fields, event="OriginateResponse", timeout=dial.timeout_s + 10
        )
    except AmiError as exc:
        log.warning("transfer %s: window leg not placed: %s", case_id, exc)
        return originate_outcome("Failure", "0", "", wall())
    return originate_outcome(
        result.get("Response", ""), result.get("Reason", ""), result.get("Channel", ""), wall()
    )


async def watch_ringing(
    ami: AmiClient, case_id: str, timeout_s: float, *,
    current: Callable[[str], WindowTransfer | None], feed: Callable[[str, WindowEvent], None],
    wall: Callable[[], datetime],
) -> None:  # fmt: skip
    """Feed when the window starts ringing: the leg's Status, asked every RING_POLL_S
    until it rings, is answered or given up, or the dial time is over."""
    loop = asyncio.get_running_loop()
    until = loop.time() + timeout_s
    while loop.time() < until:
        transfer = current(case_id)
        if transfer is None or transfer.state is not WindowState.CALLER_ON_HOLD:
            return
        try:
            _, statuses = await ami.action_list("Status", {"Channel": leg_id(case_id)})
        except AmiError:
            statuses = []  # the leg not created yet (or already gone)
        found = [leg_ringing(transfer, s.fields, wall()) for s in statuses]
        if ringing := next((f for f in found if f is not None), None):
            feed(case_id, ringing)
            return
        await asyncio.sleep(RING_POLL_S)


async def hang_up(ami: AmiClient, case_id: str, channel: str | None) -> None:
    """The window's leg hung up: ringing (found by its leg id) or answered (its channel)."""
    if channel is None:
        _, channels = await ami.action_list("CoreShowChannels")
        leg = leg_id(case_id)
        channel = next(
            (c.get("Channel", "") for c in channels if c.get("Uniqueid", "") == leg), None
        )
    if channel:
        await ami.action("Hangup", {"Channel": channel, "Cause": "16"})
