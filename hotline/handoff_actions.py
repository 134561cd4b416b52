"""The AMI actions a handoff takes on its channels and its ConfBridge room (one call each)."""

from __future__ import annotations

import logging

from ami import AmiClient, AmiError

log = logging.getLogger("hotline.handoff_desk")


async def redirect(ami: AmiClient, channel: str, context: str, exten: str) -> None:
    fields = {"Channel": channel, "Context": context, "Exten": exten, "Priority": "1"}
    await ami.action("Redirect", fields)


async def kick(ami: AmiClient, room: str, channel: str) -> None:
    try:
        await ami.action("ConfbridgeKick", {"Conference": room, "Channel": channel})
    except AmiError as exc:
        log.info("room %s: %s already gone (%s)", room, channel, exc)


async def end_room(ami: AmiClient, room: str) -> None:
    """Everyone still in the room is kicked (each goes on in their dialplan, or hangs up)."""
    try:
        _, listed = await ami.action_list("ConfbridgeList", {"Conference": room})
    except AmiError:
        return  # no such room: nobody in it
    for member in listed:
        await kick(ami, room, member.get("Channel", ""))


async def hang_up_leg(ami: AmiClient, leg_uniqueid: str, channel: str | None) -> None:
    """Hang up an originated leg, ringing (found by its uniqueid) or answered (its channel)."""
    if channel is None:
        _, channels = await ami.action_list("CoreShowChannels")
        channel = next(
            (c.get("Channel", "") for c in channels if c.get("Uniqueid", "") == leg_uniqueid), None
        )
    if channel:
        await ami.action("Hangup", {"Channel": channel, "Cause": "16"})
