"""Admins change the IVR through the API of a running controller (`hotline run`), without a
restart: a flow with errors is refused with its lines, a good one is served and reverted, a
hot-topic announcement reaches the next real caller, and the path report shows that call."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hotline.settings import Settings
from hotline.setup import Prepared
from hotline.sipp.runner import CallerPath
from hotline.storage import Outcome, Role, StepKind, Store
from ivr.shipped_flows import DEFAULT_FLOW
from tests.integration import lab
from tests.integration.lab import HTTP_PORT, ControllerProcess

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]

IVR_TIME = "2026-11-25T10:00:00+08:00"  # a Wednesday morning: the hotline is open


@pytest.fixture
def ivr_controller(
    asterisk: Prepared, lab_env: dict[str, str], store: Store, database_url: str, tmp_path: Path
) -> Iterator[ControllerProcess]:
    token = store.create_token("ivr-admin", Role.ADMIN)
    env = {
        **lab_env, "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_IVR_FLOW": str(DEFAULT_FLOW), "HOTLINE_IVR_TIME": IVR_TIME,
    }  # fmt: skip
    process = ControllerProcess(env=env, token=token, log_path=tmp_path / "controller.log")
    process.start()
    yield process
    process.stop()


def send(method: str, path: str, token: str, body: bytes, content_type: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{HTTP_PORT}{path}", data=body, method=method
    )
    request.add_header("Content-Type", content_type)
    request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def put_flow(
    controller: ControllerProcess, source: str, token: str | None = None
) -> tuple[int, Any]:
    return send("PUT", "/api/v1/ivr/flow?comment=test", token or controller.token,
                source.encode(), "text/yaml")  # fmt: skip


async def test_flow_changes_hot_topics_and_the_path_report_through_the_api(
    ivr_controller: ControllerProcess,
    store: Store,
    lab_settings: Settings,
    tmp_path: Path,
    no_leaked_channels: None,
) -> None:
    served = ivr_controller.api("GET", "/api/v1/ivr/flow")
    assert (served["flow"], served["version"]) == ("hotline_12333", 1)
    assert served["paths"] >= 40

    source = DEFAULT_FLOW.read_text(encoding="utf-8")
    status, body = put_flow(
        ivr_controller, source.replace("  welcome:\n", "  welcome:\n    colour: red\n")
    )
    assert status == 422
    assert body["error"]["id"] == "flow.invalid"
    assert any("colour" in p["message"] and p["line"] > 0 for p in body["error"]["problems"])

    agent_token = store.create_token("ivr-agent", Role.AGENT, "A001")
    status, body = put_flow(ivr_controller, source, agent_token)
    assert status == 403

    status, body = put_flow(
        ivr_controller, source.replace("英语服务请按八", "English service, press 8")
    )
    assert (status, body["version"]) == (200, 2)
    status, body = send("POST", "/api/v1/ivr/flow/revert", ivr_controller.token,
                        json.dumps({"version": 1}).encode(), "application/json")  # fmt: skip
    assert (status, body["version"]) == (200, 3)
    versions = ivr_controller.api("GET", "/api/v1/ivr/flow/versions")
    assert [(v["version"], v["reverted_from"]) for v in versions] == [(3, 1), (2, None), (1, None)]

    topic = ivr_controller.api("POST", "/api/v1/ivr/hot-topics", {
        "text": "社保缴费基数调整，自七月一日起执行。",
        "starts_at": "2026-11-25T00:00:00+08:00", "ends_at": "2026-11-26T00:00:00+08:00",
    })  # fmt: skip
    # The caller listens to the announcement and part of the menu, then hangs up.
    callers = lab.callers(lab_settings, tmp_path, [CallerPath("", hangup_after_ms=9000)], 1)
    await callers.start()
    stats = await callers.wait(timeout=60)
    assert stats.failed == 0, callers.errors()
    (record,) = await lab.ended_records(store, 1, timeout=30)
    assert record.outcome is Outcome.IVR_HANGUP
    announced = [s.detail for s in record.steps if s.kind is StepKind.IVR_ANNOUNCEMENT]
    assert announced == [{"prompt": f"hot_topic_{topic['id']}"}]
    played = [s.detail["prompt"] for s in record.steps if s.kind is StepKind.IVR_PROMPT]
    assert played[0] == f"hot_topic_{topic['id']}"

    report = ivr_controller.api("GET", "/api/v1/ivr/paths")
    assert report["calls"] == 1
    (welcome,) = [n for n in report["nodes"] if n["node"] == "welcome"]
    assert welcome["entries"] == 1
    assert welcome["hangups"] == 1

    cancelled = ivr_controller.api("POST", f"/api/v1/ivr/hot-topics/{topic['id']}/cancel")
    assert cancelled["id"] == topic["id"]
    (listed,) = ivr_controller.api("GET", "/api/v1/ivr/hot-topics")
    assert listed["cancelled_at"] is not None
