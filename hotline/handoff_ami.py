"""What Asterisk's AMI says about a blind or warm transfer, as the handoff machine's events;
where a transferred caller is routed; a handoff as stored and as announced. Pure: no I/O.

==============================  =====================================================
AMI                             handoff event
==============================  =====================================================
Hangup, the caller              caller_hung_up
Hangup, the agent               agent_hung_up
Hangup, the consulted target    target_hung_up (once answered; before, OriginateResponse)
OriginateResponse               target_answered, target_busy (busy, congestion),
                                target_no_answer (anything else)
==============================  =====================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from hotline.storage.handoff_store import HandoffRecord
from ivr.flow import Flow, QueueNode
from ivr.interpreter import Route
from transfers.events import HandoffOffered
from transfers.handoff import TERMINAL, Handoff, HandoffEvent, HandoffKey, HandoffState

TRANSFER_CONTEXT = "hotline-transfer"
CONFERENCE_CONTEXT = "hotline-conference"
FALLBACK_CONTEXT = "hotline-fallback"
# OriginateResponse's Reason: Asterisk's AST_CONTROL code for how the outbound leg ended.
BUSY, CONGESTION = "5", "8"
TRANSFER_BOOST = 2
"""A transferred caller's priority is their queue's minus this (lower goes first). A boost, not
the original arrival time: the queues' relax rules count from the time a caller is queued, so an
old arrival time would drop the very skill the caller was transferred for (and offer a callback
at once after a long talk). With the boost the caller is next for the target's agents, ahead of
ordinary callers, and still served by an agent with the skill."""


def consult_leg_id(case_id: str) -> str:
    """The consulted target's leg uniqueid (Originate ``ChannelId``): its events name the case."""
    return f"xfer-{case_id}"


def room_of(case_id: str) -> str:
    """The warm transfer's ConfBridge room: the agent consults the target there, and the caller
    joins it to be with the target (complete) or back with the agent (cancel)."""
    return f"handoff-{case_id}"


def handoff_event(handoff: Handoff, name: str, fields: Mapping[str, str], at: datetime) -> (
    HandoffEvent | None
):  # fmt: skip
    """The handoff event an AMI event is for this handoff, or None (not ours, or not news)."""
    if name != "Hangup" or handoff.state in TERMINAL:
        return None
    channel = fields.get("Channel", "")
    if channel == handoff.caller:
        return HandoffEvent(at, HandoffKey.CALLER_HUNG_UP)
    if channel == handoff.agent:
        return HandoffEvent(at, HandoffKey.AGENT_HUNG_UP)
    if handoff.state is HandoffState.CONSULTED and channel == handoff.target_channel:
        return HandoffEvent(at, HandoffKey.TARGET_HUNG_UP)
    return None


def consult_outcome(response: str, reason: str, channel: str, at: datetime) -> HandoffEvent:
    """How the consulted target's leg ended up, from OriginateResponse."""
    if response == "Success" and channel:
        return HandoffEvent(at, HandoffKey.TARGET_ANSWERED, channel)
    if reason in (BUSY, CONGESTION):
        return HandoffEvent(at, HandoffKey.TARGET_BUSY)
    return HandoffEvent(at, HandoffKey.TARGET_NO_ANSWER)


def queue_routes(flow: Flow) -> dict[str, Route]:
    """Each queue the IVR flow routes to, as a transferred caller is routed there: the skills
    and topic of the flow's first node for that queue, with the transfer's boost."""
    routes: dict[str, Route] = {}
    for node in flow.nodes.values():
        if isinstance(node, QueueNode) and node.queue not in routes:
            routes[node.queue] = Route(
                node.queue, node.topic, "transfer", node.requirements,
                node.priority - TRANSFER_BOOST,
            )  # fmt: skip
    routes.setdefault("general", Route("general", "general", "transfer", (), 5 - TRANSFER_BOOST))
    return routes


def offered_event(handoff: Handoff, agent: str, at: datetime) -> HandoffOffered:
    case = handoff.case
    return HandoffOffered(
        at, case.case_id, case.call_id, handoff.kind.value, agent, handoff.agent_id,
        case.summary, case.topic,
    )  # fmt: skip


def record_of(
    h: Handoff, now: datetime, *, received_by: str | None = None, caller_gone: bool = False
) -> HandoffRecord:
    """The handoff as stored. Back with the agent it stays open until the caller hangs up:
    the room must still be emptied then, even after a restart."""
    created = h.steps[0].at if h.steps else now
    back_with_agent = h.state is HandoffState.RETURNED_TO_AGENT and not caller_gone
    return HandoffRecord(
        case_id=h.case.case_id, call_id=h.case.call_id, kind=h.kind.value, agent=h.agent_id,
        target_kind=h.target.kind.value, target=h.target.name, note=h.case.summary,
        topic=h.case.topic, caller_channel=h.caller, agent_channel=h.agent,
        target_channel=h.target_channel, received_by=received_by, state=h.state.value,
        reason=h.reason, agent_present=h.agent_present,
        finished=h.state in TERMINAL and not back_with_agent, created_at=created, updated_at=now,
    )  # fmt: skip
