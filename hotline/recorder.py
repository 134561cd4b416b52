"""Writes call records and agent sessions to the store off the event loop, in order.

A database that goes away never blocks a caller and loses nothing that fits in memory: writes
wait in a queue and are retried with backoff, with a clear error saying what is wrong.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from hotline.events import AgentStateChanged
from hotline.storage import (
    AgentStateChange,
    CallRecord,
    StorageError,
    Store,
    SurveyResponse,
    VoiceMessage,
)
from queues.callbacks import Callback

log = logging.getLogger("hotline.recorder")

Job = Callable[[Store], object]


def _changes_marker(store: Store) -> object:
    raise AssertionError("the agent-changes marker is replaced before it is run")


_CHANGES: Job = _changes_marker


class StoreRecorder:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._jobs: asyncio.Queue[tuple[str, Job]] = asyncio.Queue()
        self._changes: list[AgentStateChange] = []
        """Agent state changes not yet taken by the writer (one job stands for all of them)."""
        self.written = 0
        self.failures = 0

    def record_call(self, record: CallRecord) -> None:
        self._jobs.put_nowait((f"call {record.uniqueid}", lambda s: s.record_call(record)))

    def agent_logged_in(self, agent: str, seat: str, at: datetime) -> None:
        self._jobs.put_nowait((f"login {agent}", lambda s: s.open_agent_session(agent, seat, at)))

    def agent_logged_out(self, agent: str, at: datetime) -> None:
        self._jobs.put_nowait((f"logout {agent}", lambda s: s.close_agent_session(agent, at)))

    def set_disposition(self, uniqueid: str, code: str) -> None:
        self._jobs.put_nowait(
            (f"disposition of {uniqueid}", lambda s: s.set_disposition(uniqueid, code))
        )

    def agent_changed(self, event: AgentStateChanged) -> None:
        change = AgentStateChange(
            agent_code=event.agent, seat=event.seat, previous=event.previous,
            state=event.state, reason=event.reason[:200], at=event.at,
        )  # fmt: skip
        self._changes.append(change)
        if len(self._changes) == 1:
            # One transaction for all the changes queued until the writer gets to them: a busy
            # minute has several a second, each a transaction of its own before.
            self._jobs.put_nowait(("agent state changes", _CHANGES))

    def save_callback(self, callback: Callback) -> None:
        self._jobs.put_nowait((f"callback {callback.id}", lambda s: s.save_callback(callback)))

    def record_message(self, message: VoiceMessage) -> None:
        uniqueid = message.call_uniqueid
        self._jobs.put_nowait((f"message of {uniqueid}", lambda s: s.save_message(message)))

    def save_survey(self, response: SurveyResponse) -> None:
        uniqueid = response.call_uniqueid
        self._jobs.put_nowait((f"survey of {uniqueid}", lambda s: s.save_survey(response)))

    @property
    def pending(self) -> int:
        return self._jobs.qsize()

    async def run(self) -> None:
        while True:
            what, job = await self._jobs.get()
            if job is _CHANGES:
                what, job = self._take_changes()
            await self._write(what, job)
            self._jobs.task_done()

    def _take_changes(self) -> tuple[str, Job]:
        """The queued agent state changes as one write (taken on the loop: no race)."""
        batch, self._changes = self._changes, []
        return f"{len(batch)} agent state change(s)", lambda s: s.record_agent_changes(batch)

    async def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything queued so far is written (used at shutdown and in tests)."""
        async with asyncio.timeout(timeout):
            await self._jobs.join()

    async def _write(self, what: str, job: Job) -> None:
        attempt = 0
        while True:
            try:
                await asyncio.to_thread(job, self.store)
                self.written += 1
                return
            except StorageError as exc:
                attempt += 1
                self.failures += 1
                if attempt == 1 or attempt % 10 == 0:
                    log.error("cannot write %s (attempt %d), will retry: %s", what, attempt, exc)
                await asyncio.sleep(min(30.0, 0.5 * 2 ** min(attempt, 6)))
            except Exception:
                # Not the database's fault (a bad record): retrying would not help.
                log.exception("dropping %s: it cannot be written", what)
                return
