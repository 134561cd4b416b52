"""The lab for integration tests: the real Asterisk, a real controller process, SIPp parties.

Nothing here is a mock: Asterisk is the provisioned Asterisk 22, the controller is
``hotline run`` in its own process (so a test can kill it), and callers and agents are SIPp.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hotline.settings import Settings
from hotline.sipp import runner
from hotline.sipp.runner import Caller, CallerPath
from hotline.storage import CallRecord, Outcome, Store
from ivr.shipped_flows import ONE_MENU_FLOW

AGENT_PORT = 6001
SLOW_AGENT_PORT = 6002
"""Seats 7 and 8 ring at an agent who never answers in time (offer timeout tests)."""
LAB_SEATS = 8
SLOW_SEATS = (7, 8)
CALLBACK_PORT = 5090
"""The public network as the callback trunk reaches it: a SIPp phone answering callbacks."""
LAB_SKILLS = {"pension": "养老保险", "medical_insurance": "医疗保险"}
"""Every lab agent has both, at proficiency 3, unless a test says otherwise."""
HTTP_PORT = 18080


def lab_environment(database_url: str) -> dict[str, str]:
    contacts = ",".join(
        f"seat{n:03d}=sip:seat{n:03d}@127.0.0.1:"
        f"{SLOW_AGENT_PORT if n in SLOW_SEATS else AGENT_PORT}"
        for n in range(1, LAB_SEATS + 1)
    )
    return {
        "HOTLINE_LAB_SEAT_CONTACTS": contacts,
        # District windows' phones (tests/integration/windows_lab.py): one answers, one rings.
        "HOTLINE_LAB_WINDOW_CONTACTS": "win-changning-si=sip:win@127.0.0.1:6010,"
        "win-xuhui-si=sip:win@127.0.0.1:6011",
        "HOTLINE_HTTP_PORT": str(HTTP_PORT),
        "HOTLINE_DATABASE_URL": database_url,
        "HOTLINE_OFFER_TIMEOUT_S": "10",
        "HOTLINE_WRAPUP_S": "3",
        "HOTLINE_MAX_MISSED_OFFERS": "2",
        "HOTLINE_ANNOUNCE_AFTER_S": "2",
        "HOTLINE_CALLBACK_TRUNK": f"sip:127.0.0.1:{CALLBACK_PORT}",
        "HOTLINE_CALLBACK_RETRY_S": "2",
        "HOTLINE_CALLBACK_ATTEMPTS": "2",
        "HOTLINE_CALLBACK_RING_S": "8",
        # Routing tests press one key; the IVR tests (test_ivr_flow.py) serve the 12333 flow.
        "HOTLINE_IVR_FLOW": str(ONE_MENU_FLOW),
    }


@dataclass
class ControllerProcess:
    """``hotline run`` in a child process, with an admin token for its API."""

    env: dict[str, str]
    token: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hotline.cli", "run"],
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"controller exited early:\n{self.log_tail()}")
            health = self.health()
            if health and health.get("ami_connected"):
                return
            time.sleep(0.2)
        # Never leave it running: it would hold the lab's ports for every later test.
        self.kill()
        raise RuntimeError(f"controller not ready within {timeout} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: the controller gets no chance to clean up, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()

    def health(self) -> dict[str, Any] | None:
        try:
            return self.api("GET", "/healthz", auth=False)
        except (OSError, urllib.error.URLError, ValueError):
            return None

    def api(self, method: str, path: str, body: Any = None, *, auth: bool = True) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{HTTP_PORT}{path}", data=data, method=method
        )
        request.add_header("Content-Type", "application/json")
        if auth:
            request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def api_text(self, path: str) -> str:
        return self.api_bytes(path).decode()

    def api_bytes(self, path: str) -> bytes:
        request = urllib.request.Request(f"http://127.0.0.1:{HTTP_PORT}{path}")
        request.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return bytes(response.read())

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def agents(
    workdir: Path, *, ring_ms: int = 400, talk_ms: int = 3000, slow: bool = False
) -> runner.SippInstance:
    """The SIPp softphones of the lab's seats (slow=True: those of seats 7 and 8)."""
    return runner.agents(
        workdir,
        local_port=SLOW_AGENT_PORT if slow else AGENT_PORT,
        ring_ms=ring_ms,
        talk_ms=talk_ms,
        timeout_s=600,
        name="slow_agents" if slow else "agents",
        control_port=8892 if slow else 8891,
        media_port=34000 if slow else 32000,
    )


def callback_phones(
    workdir: Path, *, ring_ms: int = 1000, talk_ms: int = 20_000
) -> runner.SippInstance:
    """The phones that queued callbacks reach (every number dialled on the callback trunk)."""
    return runner.agents(
        workdir,
        local_port=CALLBACK_PORT,
        ring_ms=ring_ms,
        talk_ms=talk_ms,
        timeout_s=600,
        name="callback_phones",
        control_port=8893,
        media_port=36000,
    )


def callers(
    settings: Settings,
    workdir: Path,
    paths: list[CallerPath],
    count: int,
    *,
    rate: float = 2.0,
    name: str = "callers",
) -> runner.SippInstance:
    people = [Caller(f"1380013{n:04d}", f"caller {n}", n % len(paths)) for n in range(count)]
    return runner.callers(
        workdir,
        target=f"127.0.0.1:{settings.sip_port}",
        service=settings.service_number,
        local_port=int(settings.trunk_match.rsplit(":", 1)[1]),
        people=people,
        paths=paths,
        rate_per_s=rate,
        limit=count,
        timeout_s=180,
        name=name,
    )


async def wait_until(predicate: Callable[[], object], timeout: float, step: float = 0.05) -> float:
    """Seconds until predicate() holds; TimeoutError after timeout."""
    start = time.monotonic()
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(step)
    return time.monotonic() - start


async def ended_records(store: Store, count: int, timeout: float = 30) -> list[CallRecord]:
    """The stored calls that have ended, once there are at least ``count`` of them."""
    async with asyncio.timeout(timeout):
        while True:
            records = await asyncio.to_thread(store.list_calls, None, 1000)
            ended = [r for r in records if r.outcome is not Outcome.IN_PROGRESS]
            if len(ended) >= count:
                return ended
            await asyncio.sleep(0.3)


async def answered_calls(
    settings: Settings,
    workdir: Path,
    paths: list[CallerPath],
    count: int,
    *,
    rate: float = 2.0,
    talk_ms: int = 1500,
    timeout: float = 90,
) -> runner.SippStats:
    """Place ``count`` calls to SIPp agents on the lab's seats; every one must succeed."""
    phones = agents(workdir, talk_ms=talk_ms)
    await phones.start()
    try:
        placed = callers(settings, workdir, paths, count, rate=rate)
        await placed.start()
        stats = await placed.wait(timeout=timeout)
    finally:
        await phones.stop()
    assert stats.failed == 0, placed.errors()
    assert stats.successful == count, placed.errors()
    return stats


class EverySeat:
    """SIPp softphones answering for every lab seat: the fallback queue may ring any of them."""

    def __init__(self, workdir: Path, *, talk_ms: int = 2000) -> None:
        self.parts = [
            agents(workdir, talk_ms=talk_ms),
            agents(workdir, talk_ms=talk_ms, ring_ms=400, slow=True),
        ]

    async def start(self) -> None:
        for part in self.parts:
            await part.start()

    async def stop(self) -> runner.SippStats:
        stats = [await part.stop() for part in self.parts]
        return runner.SippStats(
            successful=sum(s.successful for s in stats),
            failed=sum(s.failed for s in stats),
            exit_code=None,
        )
