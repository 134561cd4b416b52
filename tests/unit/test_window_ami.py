"""AMI events as a window connection's events: the mapping depends on the transfer's state."""

from __future__ import annotations

import pytest

from hotline.window_ami import leg_id, leg_ringing, originate_outcome, window_event
from tests.unit.transfers.test_machine import AGENT, CALLER, CLERK, WEDNESDAY_10, transfer_in
from transfers.case import Role
from transfers.machine import WindowState
from transfers.window_events import (
    BriefingDone,
    HoldStarted,
    HungUp,
    MemberChanged,
    WindowAnswered,
    WindowBusy,
    WindowNoAnswer,
    WindowRinging,
)

S = WindowState
ROOM = "case-case-7"


def confbridge(name: str, channel: str, uniqueid: str = "", room: str = ROOM) -> dict[str, str]:
    return {"Channel": channel, "Uniqueid": uniqueid, "Conference": room}


def test_given_a_request_when_the_caller_joins_the_room_then_the_hold_has_started() -> None:
    found = window_event(
        transfer_in(S.REQUESTED), "ConfbridgeJoin", confbridge("join", CALLER), WEDNESDAY_10
    )
    assert found == HoldStarted(WEDNESDAY_10)


@pytest.mark.parametrize("state", [S.CALLER_ON_HOLD, S.DIALING_WINDOW, S.BRIEFING_CLERK])
def test_given_the_window_not_yet_there_when_the_agent_joins_then_it_is_not_news(
    state: WindowState,
) -> None:
    fields = confbridge("join", AGENT)
    assert window_event(transfer_in(state), "ConfbridgeJoin", fields, WEDNESDAY_10) is None


def test_given_the_briefing_when_the_clerk_joins_the_room_then_the_briefing_is_done() -> None:
    fields = confbridge("join", CLERK, leg_id("case-7"))
    found = window_event(transfer_in(S.BRIEFING_CLERK), "ConfbridgeJoin", fields, WEDNESDAY_10)
    assert found == BriefingDone(WEDNESDAY_10)


def test_given_the_conference_when_the_agent_leaves_then_it_is_a_member_change() -> None:
    fields = confbridge("leave", AGENT)
    found = window_event(transfer_in(S.CONFERENCE), "ConfbridgeLeave", fields, WEDNESDAY_10)
    assert found == MemberChanged(WEDNESDAY_10, Role.AGENT, False, AGENT)


def test_given_another_room_or_channel_then_the_event_is_not_ours() -> None:
    other_room = confbridge("leave", AGENT, room="case-other")
    stranger = confbridge("leave", "PJSIP/seat009-00000001")
    for fields in (other_room, stranger):
        assert (
            window_event(transfer_in(S.CONFERENCE), "ConfbridgeLeave", fields, WEDNESDAY_10) is None
        )


def test_given_the_window_ringing_when_its_leg_hangs_up_then_originate_response_decides() -> None:
    fields = {"Channel": "PJSIP/win-changning-si-00000001", "Uniqueid": leg_id("case-7")}
    assert window_event(transfer_in(S.DIALING_WINDOW), "Hangup", fields, WEDNESDAY_10) is None
    found = window_event(transfer_in(S.BRIEFING_CLERK), "Hangup", fields, WEDNESDAY_10)
    assert found == HungUp(WEDNESDAY_10, Role.CLERK)


def leg_status(state: str = "5", uniqueid: str = leg_id("case-7")) -> dict[str, str]:
    return {"Channel": "PJSIP/win-changning-si-00000009", "Uniqueid": uniqueid,
            "ChannelState": state}  # fmt: skip


def test_given_the_caller_on_hold_when_the_windows_leg_rings_then_the_window_is_ringing() -> None:
    found = leg_ringing(transfer_in(S.CALLER_ON_HOLD), leg_status(), WEDNESDAY_10)
    assert found == WindowRinging(WEDNESDAY_10)


@pytest.mark.parametrize(
    ("state", "fields"),
    [
        (S.DIALING_WINDOW, leg_status()),  # already noted
        (S.BRIEFING_CLERK, leg_status()),  # answered meanwhile
        (S.CALLER_ON_HOLD, leg_status(uniqueid=leg_id("case-8"))),  # another transfer's leg
        (S.CALLER_ON_HOLD, leg_status(state="4")),  # dialled, no 180 yet
        (S.CALLER_ON_HOLD, leg_status(state="6")),  # up: OriginateResponse says so
    ],
)
def test_given_other_leg_states_then_they_are_not_the_window_ringing(
    state: WindowState, fields: dict[str, str]
) -> None:
    assert leg_ringing(transfer_in(state), fields, WEDNESDAY_10) is None


def test_given_the_caller_hangs_up_then_the_caller_hung_up() -> None:
    fields = {"Channel": CALLER, "Uniqueid": "1700000000.1"}
    found = window_event(transfer_in(S.DIALING_WINDOW), "Hangup", fields, WEDNESDAY_10)
    assert found == HungUp(WEDNESDAY_10, Role.CALLER)


@pytest.mark.parametrize(
    ("response", "reason", "channel", "expected"),
    [
        ("Success", "4", CLERK, WindowAnswered(WEDNESDAY_10, CLERK)),
        ("Failure", "5", "", WindowBusy(WEDNESDAY_10)),
        ("Failure", "8", "", WindowBusy(WEDNESDAY_10, congested=True)),
        ("Failure", "3", "", WindowNoAnswer(WEDNESDAY_10)),
        ("Failure", "0", "", WindowNoAnswer(WEDNESDAY_10)),
    ],
)
def test_originate_response_is_how_the_window_leg_ended(
    response: str, reason: str, channel: str, expected: object
) -> None:
    assert originate_outcome(response, reason, channel, WEDNESDAY_10) == expected
