"""The demo's last phase: "one call settles it" with a district.

A caller reaches an agent; the agent connects them to 长宁区's social-insurance window (a SIPp
phone at the window's contact answers, hears the spoken briefing and joins the conference), then
leaves the caller with the clerk; during the call the agent also files an inspection complaint
against an employer in 长宁区, which the delivery loop hands to 长宁区's labour-inspection
brigade on MQTT. Everything goes through the controller's own desks, as the API would.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from hotline.events import Event, TransferChanged, WorkOrderChanged
from hotline.settings import Settings
from hotline.sipp import runner
from hotline.sipp.runner import Caller, CallerPath
from hotline.wiring import ControllerApp
from transfers.directory import OfficeKind
from transfers.work_orders import InspectionComplaint, Issue, WorkOrderRequest

WINDOW = "win-changning-si"
WINDOW_PORT = 6050
DISTRICT_AGENT_PORT = 6049
DISTRICT_AGENT = "D900"
CALLER_NUMBER = "13911112222"
SUMMARY = "养老金领取资格认证未通过，需要窗口核对社保缴费记录"
COMPLAINT_ADDRESS = "长宁区仙霞路99号"
WINDOW_TALK_MS = 25_000
DISTRICT_AGENT_TALK_MS = 60_000
PHASE_TIMEOUT_S = 90.0


@dataclass
class DistrictTally:
    """What the district phase saw, from the controller's events."""

    transfer_states: dict[str, list[str]] = field(default_factory=dict)
    order_statuses: dict[str, list[str]] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def __call__(self, event: Event) -> None:
        if isinstance(event, TransferChanged):
            self.transfer_states.setdefault(event.case_id, []).append(event.state)
        elif isinstance(event, WorkOrderChanged):
            self.order_statuses.setdefault(event.number, []).append(event.status)
        else:
            return
        self.changed.set()

    @property
    def window_connections(self) -> int:
        """Connections that reached the three-way conference and ended normally."""
        return sum(
            1 for states in self.transfer_states.values()
            if "conference" in states and states[-1] == "completed"
        )  # fmt: skip

    @property
    def work_orders_delivered(self) -> int:
        return sum(1 for statuses in self.order_statuses.values() if "sent" in statuses)


def district_contacts(settings: Settings, agents: int) -> dict[str, dict[str, str]]:
    """Static contacts for the phase's own agent seat and the window's phone."""
    seat = settings.seats[agents]
    return {
        "lab_seat_contacts": {seat: f"sip:{seat}@127.0.0.1:{DISTRICT_AGENT_PORT}"},
        "lab_window_contacts": {WINDOW: f"sip:{WINDOW}@127.0.0.1:{WINDOW_PORT}"},
    }


async def run_district_phase(
    app: ControllerApp, workdir: Path, path: CallerPath, *, agents: int, tally: DistrictTally,
    say: Callable[[str], None],
) -> list[str]:  # fmt: skip
    """Run the phase; return what went wrong (empty when it went as scripted)."""
    seat = app.settings.seats[agents]
    for code in list(app.controller.router.agents):
        app.controller.logout(code)
    await asyncio.to_thread(app.store.upsert_agent, DISTRICT_AGENT, "区窗口演示坐席", {})
    labels = app.flows.current.skill_labels
    app.controller.login(DISTRICT_AGENT, seat, dict.fromkeys(labels, 3))
    phones = [_phone(workdir, "district_agent", DISTRICT_AGENT_PORT, DISTRICT_AGENT_TALK_MS, 8897),
              _phone(workdir, "window", WINDOW_PORT, WINDOW_TALK_MS, 8898)]  # fmt: skip
    caller = runner.callers(
        workdir, target=f"127.0.0.1:{app.settings.sip_port}",
        service=app.settings.service_number,
        local_port=int(app.settings.trunk_match.rsplit(":", 1)[1]),
        people=[Caller(CALLER_NUMBER, "demo district caller", 0)], paths=[path],
        rate_per_s=1, limit=1, timeout_s=180, name="district_caller", control_port=8896,
    )  # fmt: skip
    problems: list[str] = []
    try:
        for phone in phones:
            await phone.start()
        await caller.start()
        call_id = await _answered_call(app, DISTRICT_AGENT)
        say(f"district: call {call_id} answered by {DISTRICT_AGENT}; connecting 长宁区's window")
        problems += await _window_connection(app, call_id, tally)
        problems += await _work_order(app, call_id, tally, say)
        with contextlib.suppress(TimeoutError):
            await caller.wait(timeout=PHASE_TIMEOUT_S)
    except (TimeoutError, LookupError) as error:
        problems.append(f"district phase: {error}")
    finally:
        await caller.stop()
        for phone in phones:
            await phone.stop()
    return problems


def _phone(workdir: Path, name: str, port: int, talk_ms: int, control: int) -> runner.SippInstance:
    return runner.agents(
        workdir, local_port=port, ring_ms=500, talk_ms=talk_ms, timeout_s=300, name=name,
        control_port=control, media_port=42000 if name == "window" else 44000,
    )  # fmt: skip


async def _answered_call(app: ControllerApp, agent: str) -> str:
    async with asyncio.timeout(PHASE_TIMEOUT_S):
        while True:
            slot = app.controller.router.agents.get(agent)
            if slot is not None and slot.state == "on_call" and slot.call_id:
                return slot.call_id
            await asyncio.sleep(0.2)


async def _window_connection(app: ControllerApp, call_id: str, tally: DistrictTally) -> list[str]:
    office = app.directory.office("changning", OfficeKind.SOCIAL_INSURANCE_WINDOW)
    transfer = await app.windows.request(call_id, DISTRICT_AGENT, office, SUMMARY)
    case_id = transfer.case.case_id
    if not await _wait_for(tally, lambda: "conference" in tally.transfer_states.get(case_id, [])):
        return [
            f"window connection {case_id}: no conference ({tally.transfer_states.get(case_id)})"
        ]
    app.windows.leave(case_id)
    if not await _wait_for(tally, lambda: _last(tally.transfer_states, case_id) == "completed"):
        return [f"window connection {case_id}: ended {tally.transfer_states.get(case_id)}"]
    return []


async def _work_order(
    app: ControllerApp, call_id: str, tally: DistrictTally, say: Callable[[str], None]
) -> list[str]:
    complaint = InspectionComplaint(
        employer="上海某某服装有限公司", employer_address=COMPLAINT_ADDRESS,
        issues=frozenset({Issue.UNPAID_WAGES}), workers_affected=12,
        amount_owed=Decimal("86400.00"), urgent=True,
        description="三个月工资未发，老板联系不上",
    )  # fmt: skip
    order = await app.work_orders.create(
        WorkOrderRequest(complaint, case_id=call_id, caller_number=CALLER_NUMBER), DISTRICT_AGENT
    )
    say(f"district: work order {order.number} for {order.office}, due {order.deadline_at:%H:%M}")
    if not await _wait_for(tally, lambda: "sent" in tally.order_statuses.get(order.number, [])):
        return [f"work order {order.number}: not delivered ({tally.order_statuses})"]
    return []


def _last(states: dict[str, list[str]], key: str) -> str | None:
    return states[key][-1] if states.get(key) else None


async def _wait_for(tally: DistrictTally, done: Callable[[], bool]) -> bool:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(PHASE_TIMEOUT_S):
            while not done():
                await tally.changed.wait()
                tally.changed.clear()
    return done()
