"""The stall watch names where the event loop was held, and times the collector's pauses."""

from __future__ import annotations

import asyncio
import gc
import time

from hotline.load.stalls import StallWatch


def _hold_the_loop() -> None:
    time.sleep(0.15)


async def test_given_a_callback_that_blocks_when_watched_then_its_place_is_named() -> None:
    watch = StallWatch(stall_s=0.03)
    task = asyncio.ensure_future(watch.run())
    await asyncio.sleep(0.02)
    _hold_the_loop()
    gc.collect()
    await asyncio.sleep(0.02)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    summary = watch.summary()
    assert summary["loop_stalls"] >= 1
    assert any("_hold_the_loop" in place for place in summary["loop_stall_places"])
    assert summary["gc_collections"] >= 1
    assert summary["gc_by_generation"]["2"]["n"] >= 1  # gc.collect() is a full collection
    assert gc.callbacks.count(watch._on_gc) == 0  # detached when cancelled
