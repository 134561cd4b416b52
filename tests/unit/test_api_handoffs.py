"""The transfer API over a handoff desk whose Asterisk is a stand-in: refusals say what is wrong
before Asterisk is asked anything; a blind transfer redirects the caller to the transfer script,
which frees the first agent and queues the caller for the target queue, boosted, with the case."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from ami import AmiClient, Event
from hotline.api import build_app
from hotline.api_base import ApiContext
from hotline.bus import EventHub
from hotline.controller import Controller
from hotline.events import AgentStateChanged
from hotline.events import Event as HotlineEvent
from hotline.handoff_ami import queue_routes
from hotline.handoff_desk import HandoffDesk
from hotline.metrics import Metrics
from hotline.repeat_callers import RepeatCallers
from hotline.storage import Role, Store
from ivr.flow_yaml import load_flow_file
from ivr.shipped_flows import DEFAULT_FLOW
from queues.router import Router
from tests.unit import test_storage_support as support
from tests.unit.test_controller import CollectingRecorder
from transfers.events import HandoffOffered
from transfers.handoff import HandoffSettings

database_url = support.database_url
postgres_admin_url = support.postgres_admin_url
postgres_url = support.postgres_url
store = support.store
ANSWERED, RINGING = "1764400000.7", "1764400000.8"
CALLER, SEAT = "PJSIP/trunk-00000001", "PJSIP/seat001-00000002"
TARGET = "PJSIP/seat002-00000003"
NOW = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
ROUTES = queue_routes(load_flow_file(DEFAULT_FLOW, lambda name, raw: raw))


def channel(name: str, uniqueid: str, bridge: str) -> Event:
    items = (("Event", "CoreShowChannel"), ("Channel", name), ("Uniqueid", uniqueid),
             ("BridgeId", bridge))  # fmt: skip
    return Event.from_items(items)


@dataclass
class StandInAmi:
    """Answers CoreShowChannels with the caller and seat001 in one bridge, and Originates as
    answered by the target; records every action."""

    actions: list[tuple[str, Mapping[str, str]]] = field(default_factory=list)

    async def action_list(self, name: str, fields: object = None) -> tuple[None, list[Event]]:
        return None, [channel(CALLER, ANSWERED, "b1"), channel(SEAT, "1764400000.9", "b1")]

    async def action(self, name: str, fields: Mapping[str, str]) -> None:
        self.actions.append((name, fields))

    async def action_with_event(
        self, name: str, fields: list[tuple[str, str]], *, event: str, timeout: float
    ) -> tuple[None, dict[str, str]]:
        """An Originate whose leg the target answers at once."""
        self.actions.append((name, dict(fields)))
        return None, {"Response": "Success", "Reason": "4", "Channel": TARGET}


@dataclass
class Setup:
    client: httpx.AsyncClient
    desk: HandoffDesk
    controller: Controller
    ami: StandInAmi
    published: list[HotlineEvent]


@pytest.fixture
async def setup(store: Store) -> AsyncIterator[Setup]:
    published: list[HotlineEvent] = []
    hub = EventHub([published.append])
    controller = Controller(Router(), hub, CollectingRecorder())
    now = controller.clock.mono()
    controller.router.login("7001", "seat001", now, skills={"pension": 5})
    controller.router.login("7001", "seat001", now, skills={"pension": 5})  # free, preferred?
    controller.router.login("7002", "seat002", now, skills={"medical_insurance": 4})
    trace = controller.call_arrived(ANSWERED, ANSWERED, "13912345678", "", "12333")
    controller.router.enqueue(ANSWERED, "pension", now, requirements=[("pension", 3)])
    controller.router.decide(now)  # 7001 is offered the caller (7002 lacks the skill)
    controller.router.answered("7001")
    trace.enter_queue("pension", "pension", 1, NOW)
    trace.answer("7001", "seat001", NOW)
    controller.call_arrived(RINGING, RINGING, "13912345679", "", "12333")
    ami = StandInAmi()
    desk = HandoffDesk(
        AmiClient("127.0.0.1", 1, username="nobody", secret="never-used"), store, hub.publish,
        controller, HandoffSettings(), routes=lambda: ROUTES, wall=lambda: NOW,
    )  # fmt: skip
    desk.ami = ami  # type: ignore[assignment]
    hub.add(desk)
    ctx = ApiContext(controller=controller, store=store, metrics=Metrics(),
                     seats=frozenset({"seat001"}), health=dict, handoffs=desk)  # fmt: skip
    worker = asyncio.create_task(desk.run())
    transport = httpx.ASGITransport(app=build_app(ctx))
    async with httpx.AsyncClient(transport=transport, base_url="http://hotline") as client:
        yield Setup(client, desk, controller, ami, published)
    worker.cancel()


def token(store: Store, agent: str) -> dict[str, str]:
    value = store.create_token(f"t-{agent}", Role.AGENT, agent)
    return {"Authorization": f"Bearer {value}"}


def blind(**target: str) -> dict[str, str]:
    return {"kind": "blind", "note": "医保部分请接着答复", **target}


@pytest.mark.parametrize(
    ("call", "agent", "body", "status", "error"),
    [
        (ANSWERED, "7002", blind(queue="medical_insurance"), 409, "call.not_yours"),
        (RINGING, "7001", blind(queue="medical_insurance"), 409, "call.not_answered"),
        ("1764400000.5", "7001", blind(queue="medical_insurance"), 404, "call.unknown"),
        (ANSWERED, "7001", blind(queue="tax"), 422, "queue.unknown"),
        (ANSWERED, "7001", blind(), 422, "target.missing"),
        (ANSWERED, "7001", blind(queue="pension", agent="7002"), 422, "target.missing"),
        (ANSWERED, "7001", {**blind(queue="pension"), "kind": "warm"}, 422, "target.warm_queue"),
        (ANSWERED, "7001", blind(agent="7001"), 422, "agent.self"),
        (ANSWERED, "7001", blind(agent="7009"), 422, "agent.unavailable"),
    ],
)
async def test_a_transfer_that_cannot_be_carried_out_says_why(
    setup: Setup, store: Store, call: str, agent: str, body: dict[str, str], status: int,
    error: str,
) -> None:  # fmt: skip
    answer = await setup.client.post(
        f"/api/v1/calls/{call}/transfer", json=body, headers=token(store, agent)
    )
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["id"] == error
    assert setup.ami.actions == []


async def test_an_unknown_transfer_is_a_404_and_an_unknown_kind_a_422(
    setup: Setup, store: Store
) -> None:
    agent = token(store, "7001")
    for path in ("/api/v1/transfers/nope/complete", "/api/v1/transfers/nope/cancel"):
        assert (await setup.client.post(path, headers=agent)).status_code == 404
    assert (await setup.client.get("/api/v1/handoffs/nope", headers=agent)).status_code == 404
    odd = await setup.client.post(
        f"/api/v1/calls/{ANSWERED}/transfer", json={"kind": "sideways", "queue": "pension"},
        headers=agent,
    )  # fmt: skip
    assert odd.status_code == 422
    assert (await setup.client.post(f"/api/v1/calls/{ANSWERED}/transfer")).status_code == 401


async def until(predicate: Any) -> None:
    async with asyncio.timeout(5):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_a_blind_transfer_frees_the_agent_and_queues_the_caller_for_the_target_boosted(
    setup: Setup, store: Store
) -> None:
    agent = token(store, "7001")
    answer = await setup.client.post(
        f"/api/v1/calls/{ANSWERED}/transfer", json=blind(queue="medical_insurance"), headers=agent
    )
    assert answer.status_code == 200, answer.text
    case_id = answer.json()["transfer_id"]
    again = await setup.client.post(
        f"/api/v1/calls/{ANSWERED}/transfer", json=blind(queue="pension"), headers=agent
    )
    assert again.status_code == 409 and again.json()["error"]["id"] == "transfer.in_progress"
    await until(lambda: setup.ami.actions)
    assert setup.ami.actions[0] == (
        "Redirect", {"Channel": CALLER, "Context": "hotline-transfer", "Exten": "s",
                     "Priority": "1"},
    )  # fmt: skip
    complete = await setup.client.post(f"/api/v1/transfers/{case_id}/complete", headers=agent)
    assert complete.status_code == 409 and complete.json()["error"]["id"] == "transfer.state"

    route = setup.desk.route_for(ANSWERED)  # the caller's transfer FastAGI script
    assert route is not None and route.queue == "medical_insurance"
    assert (route.priority, route.requirements) == (3, (("medical_insurance", 3),))
    assert route.preferred_agent is None
    freed = [e for e in setup.published if isinstance(e, AgentStateChanged)]
    assert (freed[-1].agent, freed[-1].previous, freed[-1].reason) == ("7001", "on_call",
                                                                       "transferred")  # fmt: skip
    assert setup.controller.router.agents["7001"].call_id is None
    offer = await asyncio.wait_for(  # as the transfer script's wait does
        setup.controller.wait_for_agent(
            ANSWERED, route.queue, route.topic, requirements=route.requirements,
            priority=route.priority, preferred_agent=route.preferred_agent,
        ), 5,
    )  # fmt: skip
    assert offer.agent == "7002"  # the only one with the skill
    await until(lambda: any(isinstance(e, HandoffOffered) for e in setup.published))
    offered = next(e for e in setup.published if isinstance(e, HandoffOffered))
    assert (offered.agent, offered.previous_agent) == ("7002", "7001")
    assert offered.note == blind()["note"]

    def received() -> bool:
        found = store.get_handoff(case_id)
        return found is not None and found[0].received_by is not None

    await until(received)
    found = store.get_handoff(case_id)
    assert found is not None
    record, steps = found
    assert (record.state, record.finished, record.received_by) == ("completed", True, "7002")
    assert [str(s) for s in steps] == [" -[blind_requested]-> requested",
                                       "requested -[delivered]-> completed"]  # fmt: skip
    assert setup.desk.route_for(ANSWERED) is None  # once: a second script run is not ours


async def test_a_transferred_caller_is_not_held_for_the_agent_they_just_left() -> None:
    controller = Controller(Router(), EventHub(), CollectingRecorder())
    controller.repeat_callers = RepeatCallers(window_s=3600)
    now = controller.clock.mono()
    controller.router.login("7001", "seat001", now, skills={"pension": 5})  # free, preferred?
    controller.router.login("7002", "seat002", now, skills={"medical_insurance": 4})
    trace = controller.call_arrived(ANSWERED, ANSWERED, "13912345678", "", "12333")
    at = controller.clock.wall()
    controller.repeat_callers.remember("13912345678", "7001", at)  # answered by 7001 just now
    trace.answer("7001", "seat001", at)
    offer = await asyncio.wait_for(
        controller.wait_for_agent(
            ANSWERED, "medical_insurance", "medical", requirements=(("medical_insurance", 3),)
        ), 5,
    )  # fmt: skip
    assert offer.agent == "7002"
    named = controller.call_arrived(RINGING, RINGING, "13912345679", "", "12333")
    named.answer("7001", "seat001", at)
    waiting = asyncio.create_task(
        controller.wait_for_agent(
            RINGING,
            "work_injury",
            "injury",
            requirements=(("work_injury", 3),),
            preferred_agent="7003",
        )
    )
    await asyncio.sleep(0.05)
    assert controller.router.calls[RINGING].preferred_agent == "7003"
    waiting.cancel()


async def test_a_warm_transfer_holds_the_caller_consults_the_target_and_cancel_brings_them_back(
    setup: Setup, store: Store
) -> None:
    agent = token(store, "7001")
    answer = await setup.client.post(
        f"/api/v1/calls/{ANSWERED}/transfer", json={**blind(agent="7002"), "kind": "warm"},
        headers=agent,
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    case_id = answer.json()["transfer_id"]
    room = f"handoff-{case_id}"
    await until(lambda: setup.desk.handoffs[case_id].state.value == "consulted")
    hold, consult = setup.ami.actions[:2]
    assert hold == ("Redirect", {
        "Channel": CALLER, "Context": "hotline-transfer", "Exten": "hold", "Priority": "1",
        "ExtraChannel": SEAT, "ExtraContext": "hotline-conference", "ExtraExten": f"seat-{room}",
        "ExtraPriority": "1",
    })  # fmt: skip
    fields = dict(consult[1])
    assert (consult[0], fields["Channel"], fields["Exten"]) == (
        "Originate",
        "PJSIP/seat002",
        f"seat-{room}",
    )
    assert fields["ChannelId"] == f"xfer-{case_id}"
    cancel = await setup.client.post(f"/api/v1/transfers/{case_id}/cancel", headers=agent)
    assert cancel.status_code == 200 and cancel.json()["state"] == "returned_to_agent"
    await until(lambda: len(setup.ami.actions) >= 4)
    assert setup.ami.actions[2:4] == [
        ("Hangup", {"Channel": TARGET, "Cause": "16"}),
        ("Redirect", {"Channel": CALLER, "Context": "hotline-conference",
                      "Exten": f"caller-{room}", "Priority": "1"}),
    ]  # fmt: skip
