"""Why the controller's event loop runs late, seen from outside it during a load run.

Two witnesses: the garbage collector's own pauses (``gc.callbacks``), and a watchdog thread that,
whenever the loop has not ticked for ``stall_s``, records where the loop's thread is (its stack's
innermost frames in our code or a library). The summary names the places seen most often.
"""

from __future__ import annotations

import asyncio
import collections
import gc
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

TICK_S = 0.005


@dataclass
class StallWatch:
    stall_s: float = 0.02
    gc_pauses_s: list[float] = field(default_factory=list)
    gc_generations: list[int] = field(default_factory=list)
    places: collections.Counter[str] = field(default_factory=collections.Counter)
    _tick: float = 0.0
    _gc_started: float = 0.0
    _stop: threading.Event = field(default_factory=threading.Event)

    async def run(self) -> None:
        """Tick from the loop, watch from a thread, time every collection; until cancelled."""
        loop_thread = threading.get_ident()
        watcher = threading.Thread(target=self._watch, args=(loop_thread,), daemon=True)
        gc.callbacks.append(self._on_gc)
        self._tick = time.monotonic()
        watcher.start()
        try:
            while True:
                self._tick = time.monotonic()
                await asyncio.sleep(TICK_S)
        finally:
            self._stop.set()
            gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        elif self._gc_started:
            self.gc_pauses_s.append(time.perf_counter() - self._gc_started)
            self.gc_generations.append(int(info.get("generation", -1)))

    def _watch(self, loop_thread: int) -> None:
        last_seen = 0.0
        while not self._stop.wait(self.stall_s / 2):
            tick = self._tick
            if time.monotonic() - tick < self.stall_s or tick == last_seen:
                continue
            last_seen = tick  # one sample per stall
            frame = sys._current_frames().get(loop_thread)
            if frame is not None:
                # Three frames, no source lines: the watch holds the GIL the loop waits for.
                walk = traceback.walk_stack(frame)
                stack = traceback.StackSummary.extract(walk, limit=3, lookup_lines=False)
                self.places[_place(stack)] += 1

    def summary(self, top: int = 5) -> dict[str, Any]:
        pauses = sorted(self.gc_pauses_s)
        return {
            "gc_collections": len(pauses),
            "gc_pause_ms_max": round(1000 * pauses[-1], 2) if pauses else None,
            "gc_pause_ms_total": round(1000 * sum(pauses), 1),
            "gc_by_generation": self._by_generation() or None,
            "loop_stalls": sum(self.places.values()),
            "loop_stall_places": dict(self.places.most_common(top)) or None,
        }

    def _by_generation(self) -> dict[str, dict[str, float]]:
        """Collections, their longest and their total pause, per generation (2 = full)."""
        table: dict[str, dict[str, float]] = {}
        for generation, pause in zip(self.gc_generations, self.gc_pauses_s, strict=True):
            row = table.setdefault(str(generation), {"n": 0, "max_ms": 0.0, "total_ms": 0.0})
            row["n"] += 1
            row["max_ms"] = round(max(row["max_ms"], 1000 * pause), 2)
            row["total_ms"] = round(row["total_ms"] + 1000 * pause, 1)
        return table


def _place(stack: traceback.StackSummary) -> str:
    """The innermost three frames (``stack`` innermost first), as file:line function."""
    frames = [f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno} {f.name}" for f in stack[:3]]
    return " < ".join(frames)
