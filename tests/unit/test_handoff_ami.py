"""The pure parts of blind and warm transfers on Asterisk: AMI events as the handoff machine's,
the consulted target's Originate outcome, and where a transferred caller is routed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hotline.handoff_ami import TRANSFER_BOOST, consult_outcome, handoff_event, queue_routes
from ivr.flow_yaml import load_flow_file
from ivr.shipped_flows import DEFAULT_FLOW
from transfers.case import CaseContext
from transfers.handoff import (
    Handoff,
    HandoffKey,
    HandoffKind,
    HandoffState,
    Target,
    TargetKind,
)

NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
CALLER, AGENT, TARGET = "PJSIP/trunk-00000001", "PJSIP/seat001-00000002", "PJSIP/seat002-03"


def warm(state: HandoffState, target_channel: str | None = None) -> Handoff:
    case = CaseContext("c0ffee000001", "1764400000.7", "报销比例", topic="medical")
    return Handoff(
        HandoffKind.WARM, case, Target(TargetKind.AGENT, "A002"), CALLER, AGENT, "A001",
        state=state, target_channel=target_channel,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("state", "channel", "key"),
    [
        (HandoffState.CALLER_ON_HOLD, CALLER, HandoffKey.CALLER_HUNG_UP),
        (HandoffState.CALLER_ON_HOLD, AGENT, HandoffKey.AGENT_HUNG_UP),
        (HandoffState.CONSULTED, TARGET, HandoffKey.TARGET_HUNG_UP),
        (HandoffState.CALLER_ON_HOLD, TARGET, None),  # ringing: OriginateResponse says how
        (HandoffState.CONSULTED, "PJSIP/seat003-09", None),  # not one of ours
        (HandoffState.COMPLETED, CALLER, None),  # over: late hang-ups are not news
    ],
)
def test_a_hangup_is_the_handoff_event_of_whose_channel_it_was(
    state: HandoffState, channel: str, key: HandoffKey | None
) -> None:
    handoff = warm(state, TARGET if state is HandoffState.CONSULTED else None)
    found = handoff_event(handoff, "Hangup", {"Channel": channel}, NOW)
    assert (found.key if found else None) == key
    assert handoff_event(handoff, "Newchannel", {"Channel": channel}, NOW) is None


@pytest.mark.parametrize(
    ("response", "reason", "channel", "key"),
    [
        ("Success", "4", TARGET, HandoffKey.TARGET_ANSWERED),
        ("Failure", "5", "", HandoffKey.TARGET_BUSY),
        ("Failure", "8", "", HandoffKey.TARGET_BUSY),
        ("Failure", "3", "", HandoffKey.TARGET_NO_ANSWER),
        ("Failure", "0", "", HandoffKey.TARGET_NO_ANSWER),
    ],
)
def test_the_consulted_legs_originate_response_is_answered_busy_or_no_answer(
    response: str, reason: str, channel: str, key: HandoffKey
) -> None:
    found = consult_outcome(response, reason, channel, NOW)
    assert found.key is key
    assert found.channel == channel


def test_a_transferred_caller_asks_for_the_queues_skills_and_goes_ahead_by_the_boost() -> None:
    routes = queue_routes(load_flow_file(DEFAULT_FLOW, lambda name, raw: raw))
    medical = routes["medical_insurance"]
    assert medical.requirements == (("medical_insurance", 3),)
    assert medical.priority == 5 - TRANSFER_BOOST
    assert routes["general"].requirements == ()
    assert {"pension", "medical_insurance", "general"} <= set(routes)
