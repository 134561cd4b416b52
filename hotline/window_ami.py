"""What Asterisk's AMI says about a window connection, as the machine's events. Pure: no I/O.

The machine (transfers/machine.py) only accepts the events its table has rows for, so the mapping
depends on the transfer's state: before the conference, the caller's and agent's ConfBridge joins
are the hold (the caller in the case's room) and nothing else; the clerk joining the room after
the briefing is the briefing done; from the conference on, every join and leave is a member
change. A channel that is none of the transfer's is ignored.

==============================  =====================================================
AMI                             window event
==============================  =====================================================
ConfbridgeJoin, the caller      HoldStarted (requested), else MemberChanged
ConfbridgeJoin, the clerk       BriefingDone (briefing_clerk), else MemberChanged
ConfbridgeLeave                 MemberChanged (from the conference on)
Hangup                          HungUp (the clerk's only once answered)
OriginateResponse               WindowAnswered, WindowBusy (busy, congestion),
                                WindowNoAnswer (anything else)
Status of the window's leg      WindowRinging (ChannelState 5, caller on hold)
==============================  =====================================================

Newstate and DialState are not sent (manager.conf's disabledevents, for load) and the window's
device state says BUSY from the moment it is dialled (device_state_busy_at), so the desk asks for
the leg's Status while it is being dialled (hotline/window_desk.py) and this maps the answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from transfers.case import Role
from transfers.machine import BEFORE_CONFERENCE, DIALLING, WindowState, WindowTransfer
from transfers.window_events import (
    BriefingDone,
    HoldStarted,
    HungUp,
    MemberChanged,
    WindowAnswered,
    WindowBusy,
    WindowEvent,
    WindowNoAnswer,
    WindowRinging,
)

CONFBRIDGE_EVENTS = frozenset({"ConfbridgeJoin", "ConfbridgeLeave"})
# OriginateResponse's Reason: Asterisk's AST_CONTROL code for how the outbound leg ended.
BUSY, CONGESTION = "5", "8"
RINGING_STATE = "5"
"""AST_STATE_RINGING: the far end has sent 180 Ringing."""


def leg_id(case_id: str) -> str:
    """The window leg's uniqueid (Originate ``ChannelId``): its events name the case."""
    return f"win-{case_id}"


def role_of(transfer: WindowTransfer, channel: str, uniqueid: str) -> Role | None:
    if channel == transfer.caller:
        return Role.CALLER
    if channel == transfer.agent:
        return Role.AGENT
    if uniqueid == leg_id(transfer.case.case_id) or (transfer.clerk and channel == transfer.clerk):
        return Role.CLERK
    return None


def window_event(
    transfer: WindowTransfer, name: str, fields: Mapping[str, str], at: datetime
) -> WindowEvent | None:
    """The window event an AMI event is for this transfer, or None (not ours, or not news)."""
    role = role_of(transfer, fields.get("Channel", ""), fields.get("Uniqueid", ""))
    if role is None:
        return None
    if name in CONFBRIDGE_EVENTS:
        if fields.get("Conference", "") != transfer.conference_id:
            return None
        return _membership(transfer, role, name == "ConfbridgeJoin", at, fields["Channel"])
    if name == "Hangup":
        return _hang_up(transfer, role, at)
    return None


def leg_ringing(
    transfer: WindowTransfer, fields: Mapping[str, str], at: datetime
) -> WindowRinging | None:
    """The window's phone ringing, from a ``Status`` event of its leg while the caller is on
    hold; None when the leg is not (yet) ringing or the transfer has moved on."""
    if transfer.state is not WindowState.CALLER_ON_HOLD:
        return None
    if fields.get("Uniqueid", "") != leg_id(transfer.case.case_id):
        return None
    return WindowRinging(at) if fields.get("ChannelState", "") == RINGING_STATE else None


def _membership(
    transfer: WindowTransfer, role: Role, joined: bool, at: datetime, channel: str
) -> WindowEvent | None:
    state = transfer.state
    if joined and role is Role.CALLER and state is WindowState.REQUESTED:
        return HoldStarted(at)
    if joined and role is Role.CLERK and state is WindowState.BRIEFING_CLERK:
        return BriefingDone(at)
    if state in BEFORE_CONFERENCE:
        return None  # the caller and agent settling into the room: not a member change yet
    return MemberChanged(at, role, joined, channel)


def _hang_up(transfer: WindowTransfer, role: Role, at: datetime) -> WindowEvent | None:
    if role is Role.CLERK and transfer.state in (WindowState.REQUESTED, *DIALLING):
        return None  # a window leg that never answered: OriginateResponse says how it ended
    return HungUp(at, role)


def originate_outcome(
    response: str, reason: str, channel: str, at: datetime
) -> WindowAnswered | WindowBusy | WindowNoAnswer:
    """How the window's leg ended up, from OriginateResponse (``Response``, ``Reason``)."""
    if response == "Success" and channel:
        return WindowAnswered(at, channel)
    if reason in (BUSY, CONGESTION):
        return WindowBusy(at, congested=reason == CONGESTION)
    return WindowNoAnswer(at)
