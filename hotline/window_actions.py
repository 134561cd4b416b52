"""The AMI actions a window connection takes on its channels and its ConfBridge room (one call
each, no state): the hold, members into and out of the room, the room emptied.

On Asterisk (dialplans/extensions.conf.j2): the caller and the agent are redirected from their
Dial into the case's ConfBridge room (``hotline-conference``, one extension per role), where they
keep talking and the caller alone hears music; a supervisor's phone is originated into the room,
listening muted or talking.
"""

from __future__ import annotations

from ami import AmiClient, AmiError
from hotline import channel_vars
from transfers.case import Role
from transfers.effects import Member, MemberMode
from transfers.machine import WindowTransfer

CONFERENCE_CONTEXT = "hotline-conference"
FALLBACK_CONTEXT = "hotline-fallback"
TRANSFER_CONTEXT = "hotline-transfer"
"""Where a caller returned to the queue is routed again, with the case (hotline/window_returns)."""
ROLE_EXTEN = {
    Role.CALLER: "caller",
    Role.AGENT: "seat",
    Role.CLERK: "clerk",
    Role.SUPERVISOR: "supervisor",
}
SUPERVISOR_EXTEN = {MemberMode.LISTEN: "supervisor", MemberMode.TALK: "barge"}
"""A supervisor listens muted by default; ``talk`` joins unmuted (heard by everyone)."""


async def hold(ami: AmiClient, transfer: WindowTransfer) -> None:
    """The caller (marked as waiting for the window) and the agent, from their Dial into the
    case's room in one Redirect."""
    room = transfer.conference_id
    await setvar(ami, transfer.caller, channel_vars.WINDOW_PENDING, "1")
    await ami.action(
        "Redirect",
        {
            "Channel": transfer.caller, "Context": CONFERENCE_CONTEXT,
            "Exten": f"caller-{room}", "Priority": "1",
            "ExtraChannel": transfer.agent, "ExtraContext": CONFERENCE_CONTEXT,
            "ExtraExten": f"{ROLE_EXTEN[Role.AGENT]}-{room}", "ExtraPriority": "1",
        },
    )  # fmt: skip


async def into_room(ami: AmiClient, room: str, members: tuple[Member, ...]) -> None:
    """Each member not in the room yet: redirected there, or a supervisor's phone originated."""
    present = await members_of(ami, room)
    for member in members:
        if member.channel in present:
            continue
        exten = f"{ROLE_EXTEN[member.role]}-{room}"
        if member.role is Role.SUPERVISOR:
            await originate_into(ami, member.channel, f"{SUPERVISOR_EXTEN[member.mode]}-{room}")
        else:
            await redirect(ami, member.channel, CONFERENCE_CONTEXT, exten)


async def back_with_agent(ami: AmiClient, transfer: WindowTransfer) -> None:
    """The caller in the room stays there with the agent (brought back if need be); a
    caller still in the Dial with the agent (a window closed by its hours) is left there."""
    room = transfer.conference_id
    present = await members_of(ami, room)
    if transfer.caller in present and transfer.agent not in present:
        await into_room(ami, room, (Member(transfer.agent, Role.AGENT),))


async def members_of(ami: AmiClient, room: str) -> set[str]:
    try:
        _, listed = await ami.action_list("ConfbridgeList", {"Conference": room})
    except AmiError:
        return set()  # no such conference (yet): nobody in it
    return {m.get("Channel", "") for m in listed}


async def kick(ami: AmiClient, room: str, channel: str) -> None:
    await ami.action("ConfbridgeKick", {"Conference": room, "Channel": channel})


async def end_room(ami: AmiClient, room: str) -> None:
    for channel in await members_of(ami, room):
        await kick(ami, room, channel)


async def redirect(ami: AmiClient, channel: str, context: str, exten: str) -> None:
    fields = {"Channel": channel, "Context": context, "Exten": exten, "Priority": "1"}
    await ami.action("Redirect", fields)


async def setvar(ami: AmiClient, channel: str, name: str, value: str) -> None:
    await ami.action("Setvar", {"Channel": channel, "Variable": name, "Value": value})


async def originate_into(ami: AmiClient, endpoint: str, exten: str) -> None:
    fields = {
        "Channel": endpoint, "Context": CONFERENCE_CONTEXT, "Exten": exten,
        "Priority": "1", "Timeout": "30000", "Async": "true",
    }  # fmt: skip
    await ami.action("Originate", fields)
