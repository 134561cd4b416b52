"""The screen-pop on the real Asterisk: a caller picks pension in the IVR, an agent is offered
the call, and the agent's screen-pop arrives on the real Mosquitto broker within 300 ms of the
offer, with the pension entries agents marked most at the top."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from hotline.settings import Settings
from hotline.setup import Prepared
from hotline.sipp.runner import CallerPath
from hotline.storage import Role, Store
from kb.corpus import read_provisions
from tests.integration import lab
from tests.integration.lab import HTTP_PORT, ControllerProcess

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]

SAMPLE = Path(__file__).parents[1] / "fixtures" / "kb" / "provisions_sample.jsonl"
MAX_POP_DELAY_S = 0.3
MARKS = {"L0029-0016": 3, "L0029-0019": 2, "L0029-0014": 1}
"""Earlier pension calls: how often agents marked each entry as the answer."""

Received = list[tuple[str, dict[str, object], float]]


async def listen(topics: list[str], into: Received, ready: asyncio.Event) -> None:
    async with aiomqtt.Client("127.0.0.1", 1883, identifier="screen-pop-test") as client:
        for topic in topics:
            await client.subscribe(topic, qos=1)
        ready.set()
        async for message in client.messages:
            payload = json.loads(bytes(message.payload))  # type: ignore[arg-type, unused-ignore]
            into.append((str(message.topic), payload, time.monotonic()))


def first(received: Received, suffix: str) -> tuple[dict[str, object], float] | None:
    found = [(payload, t) for topic, payload, t in received if topic.endswith(suffix)]
    return found[0] if found else None


async def test_given_marked_pension_entries_when_a_pension_caller_is_offered_then_pop_in_300ms(
    asterisk: Prepared,
    controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    now = datetime.now(UTC)
    await asyncio.to_thread(store.import_provisions, read_provisions(SAMPLE), author="t", at=now)
    assert controller.api("POST", "/api/v1/kb/reload")["provisions"] == 1288
    for pid, times in MARKS.items():
        for n in range(times):
            body = {"call_id": f"earlier-{pid}-{n}", "provision_id": pid, "topic": "pension"}
            assert controller.api("POST", "/api/v1/kb/marks", body)["marked"]

    received: Received = []
    ready = asyncio.Event()
    topics = ["hotline/v1/calls/+/offered", "hotline/v1/agents/A001/screen-pop"]
    listener = asyncio.create_task(listen(topics, received, ready))
    try:
        await asyncio.wait_for(ready.wait(), 10)
        controller.api("POST", "/api/v1/agents/A001/login", {"seat": "seat001"})
        await lab.answered_calls(lab_settings, tmp_path, [CallerPath("1")], 1, talk_ms=1000)
        await lab.wait_until(lambda: first(received, "/screen-pop") is not None, 10)
    finally:
        listener.cancel()

    offered, offered_at = first(received, "/offered") or ({}, 0.0)
    pop, popped_at = first(received, "/screen-pop") or ({}, 0.0)
    print(f"screen-pop {1000 * (popped_at - offered_at):.1f} ms after the offer on MQTT, "
          f"assembled in {pop['assembled_ms']} ms")  # fmt: skip
    assert popped_at - offered_at <= MAX_POP_DELAY_S
    assert pop["call_id"] == offered["call_id"] and pop["agent"] == "A001"
    assert pop["ivr_topic"] == "pension" and pop["queue"] == "pension"
    assert pop["ivr_path"], "the IVR nodes the caller went through"
    assert pop["kb_ready"] is True
    entries = pop["entries"]
    assert isinstance(entries, list)
    assert [e["id"] for e in entries[:3]] == list(MARKS)
    assert [e["hit_rate"] for e in entries[:3]] == [0.5, round(2 / 6, 4), round(1 / 6, 4)]
    assert len(entries) == 5, "filled with the topic's best matches"
    number = str(pop["caller_number"])
    assert "*" in number, "the number is masked on MQTT"

    on_api = controller.api("GET", "/api/v1/agents/A001/screen-pop")
    assert on_api["call_id"] == pop["call_id"] and "*" not in on_api["caller_number"]


def send(path: str, token: str, body: object = None, method: str = "GET") -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"http://127.0.0.1:{HTTP_PORT}{path}", data=data,
                                     method=method)  # fmt: skip
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


async def test_the_kb_api_serves_agents_and_keeps_guidance_and_gaps_to_their_roles(
    asterisk: Prepared, controller: ControllerProcess, store: Store
) -> None:
    now = datetime.now(UTC)
    await asyncio.to_thread(store.import_provisions, read_provisions(SAMPLE), author="t", at=now)
    admin = controller.token
    agent = await asyncio.to_thread(store.create_token, "kb-agent", Role.AGENT, "A001")
    supervisor = await asyncio.to_thread(store.create_token, "kb-sup", Role.SUPERVISOR)
    assert send("/api/v1/kb/reload", agent, {}, "POST")[0] == 403
    assert send("/api/v1/kb/reload", admin, {}, "POST")[1]["provisions"] == 1288

    query = urllib.parse.quote("老板不给我交社保")
    status, hits = send(f"/api/v1/kb/search?q={query}&top=5", agent)
    assert status == 200 and any(h["law_title"] == "中华人民共和国社会保险法" for h in hits)
    for hostile in ["社" * 10_000, "\0 AND ( OR * 😀", ""]:
        status, found = send("/api/v1/kb/search", agent, {"query": hostile}, "POST")
        assert status == 200 and isinstance(found, list)

    guidance = {"text": "本市2026年度社会保险缴费基数上限为37302元。", "category": "社会保险"}
    assert send("/api/v1/kb/guidance", agent, guidance, "POST")[0] == 403
    status, added = send("/api/v1/kb/guidance", admin, guidance, "POST")
    assert status == 201 and added["id"] == "G-0001" and added["provisions"] == 1289
    status, hits = send("/api/v1/kb/search?q=" + urllib.parse.quote("社保缴费基数上限"), agent)
    assert "G-0001" in [h["id"] for h in hits[:3]]

    mark = {"call_id": "c-1", "provision_id": "L0029-0016", "topic": "pension"}
    assert send("/api/v1/kb/marks", agent, mark, "POST")[1] == {"marked": True, "topic": "pension"}
    status, entries = send("/api/v1/kb/topics/pension/entries?top=3", agent)
    assert entries[0]["id"] == "L0029-0016" and entries[0]["hit_rate"] == 1.0
    gap = {"question": "灵活就业人员怎么补缴养老保险？", "topic": "pension"}
    assert send("/api/v1/kb/gaps", agent, gap, "POST")[0] == 200
    assert send("/api/v1/kb/gaps", agent)[0] == 403
    status, report = send("/api/v1/kb/gaps?days=1", supervisor)
    assert [q["question"] for q in report["questions"]] == [gap["question"]]
    assert send("/api/v1/kb/provisions/L9999-0001", agent)[0] == 404
