"""A window connection to and from its stored record, and the briefing text. Pure: no I/O.

The record holds the office's endpoint, not the office: the office is found again in the
directory when a transfer is rebuilt after a restart.
"""

from __future__ import annotations

import logging
from datetime import datetime

from hotline.storage.transfer_store import TransferRecord
from transfers.case import CaseContext
from transfers.directory import Directory, Office
from transfers.machine import WindowState, WindowTransfer, briefing_text

log = logging.getLogger("hotline.window_desk")


def record_of(t: WindowTransfer, now: datetime, *, caller_gone: bool = False) -> TransferRecord:
    """The transfer as stored. Back with the agent, it stays open until the caller hangs up:
    after a restart the controller must still end the room then (the agent alone in it)."""
    created = t.steps[0].at if t.steps else now
    back_with_agent = t.state is WindowState.RETURNED_TO_AGENT and not caller_gone
    return TransferRecord(
        case_id=t.case.case_id, call_id=t.case.call_id, agent=t.agent_id,
        office_endpoint=t.office.endpoint, summary=t.case.summary, caller_channel=t.caller,
        agent_channel=t.agent, clerk_channel=t.clerk, state=t.state.value, reason=t.reason,
        agent_present=t.agent_present, finished=t.finished and not back_with_agent,
        dialled_at=t.dialled_at,
        created_at=created, updated_at=now,
    )  # fmt: skip


def transfer_of(record: TransferRecord, directory: Directory) -> WindowTransfer | None:
    """The stored transfer as the machine's, or None (logged) when its office is gone."""
    office = directory.office_by_endpoint(record.office_endpoint)
    if office is None:
        log.error("transfer %s: office %s is no longer in the directory",
                  record.case_id, record.office_endpoint)  # fmt: skip
        return None
    case = CaseContext(record.case_id, record.call_id, record.summary,
                       district_id=office.district_id)  # fmt: skip
    return WindowTransfer(
        case, office, record.caller_channel, record.agent_channel, record.agent,
        state=WindowState(record.state), clerk=record.clerk_channel,
        agent_present=record.agent_present, dialled_at=record.dialled_at,
        reason=record.reason,
    )  # fmt: skip


def briefing_of(case: CaseContext, office: Office) -> str:
    """The text the clerk hears, known before the transfer exists (synthesised ahead)."""
    probe = WindowTransfer(case, office, "", "", "")
    return briefing_text(probe)
