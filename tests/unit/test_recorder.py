"""The recorder's writer: agent state changes queued together are written as one transaction,
in order, and a batch the database refused is written again whole."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime

from hotline.events import AgentStateChanged
from hotline.recorder import StoreRecorder
from hotline.storage import AgentStateChange, StorageUnavailable


class BatchStore:
    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.batches: list[list[str]] = []

    def record_agent_changes(self, changes: Sequence[AgentStateChange]) -> None:
        if self.failures:
            self.failures -= 1
            raise StorageUnavailable("database unavailable: restart it")
        self.batches.append([f"{c.agent_code}:{c.state}" for c in changes])


def changed(agent: str, state: str) -> AgentStateChanged:
    return AgentStateChanged(datetime.now(UTC), agent, "seat001", "available", state, "")


async def written(store: BatchStore, *events: AgentStateChanged) -> list[list[str]]:
    recorder = StoreRecorder(store)  # type: ignore[arg-type]
    for event in events:
        recorder.agent_changed(event)
    task = asyncio.create_task(recorder.run())
    try:
        await recorder.flush(timeout=20)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return store.batches


async def test_given_changes_queued_together_then_one_write_in_order() -> None:
    events = (changed("A1", "offered"), changed("A2", "paused"), changed("A1", "on_call"))

    batches = await written(BatchStore(), *events)

    assert batches == [["A1:offered", "A2:paused", "A1:on_call"]]


async def test_given_the_database_away_then_the_whole_batch_is_written_later() -> None:
    batches = await written(
        BatchStore(failures=1), changed("A1", "offered"), changed("A1", "on_call")
    )

    assert batches == [["A1:offered", "A1:on_call"]]


async def test_given_changes_after_a_write_then_they_form_the_next_batch() -> None:
    store = BatchStore()
    recorder = StoreRecorder(store)  # type: ignore[arg-type]
    task = asyncio.create_task(recorder.run())
    try:
        recorder.agent_changed(changed("A1", "offered"))
        await recorder.flush(timeout=5)
        recorder.agent_changed(changed("A1", "on_call"))
        recorder.agent_changed(changed("A1", "wrap_up"))
        await recorder.flush(timeout=5)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert store.batches == [["A1:offered"], ["A1:on_call", "A1:wrap_up"]]
