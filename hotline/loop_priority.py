"""The controller's event loop asks the kernel for a higher priority than the media around it.

On a machine shared with Asterisk (hundreds of threads waking every 20 ms for RTP) a normal
process waits its turn behind them: every loop iteration of an offer then costs milliseconds,
and the offer latency's tail follows the machine's load, not the controller's work (~10 % of a
core at 300 lines). A lower nice value gives the loop thread the CPU as soon as it wakes; it uses
little, so the media loses nothing measurable. The same reasoning is why Asterisk has ``-p``.

Only the calling thread (the event loop's) is raised, and ``SCHED_RESET_ON_FORK`` makes every
process and thread it starts afterwards (SIPp, Asterisk in the lab, espeak) begin at nice 0
again. The loop's own worker threads (``asyncio.to_thread``: the recorder's SQL, AMI commands)
are raised to the same value by the executor's initializer: they hold the GIL the loop waits
for, and at nice 0 behind Asterisk's threads they would hold it longer (priority inversion).
"""

from __future__ import annotations

import asyncio
import logging
import os
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("hotline.priority")


def raise_loop_priority(nice: int) -> str | None:
    """Give the calling thread ``nice`` (negative is higher priority); children start at 0.

    Returns None on success, or what went wrong and what to do (the controller runs on at the
    default priority either way)."""
    if nice >= 0:
        return None
    try:
        os.sched_setscheduler(0, os.SCHED_OTHER | os.SCHED_RESET_ON_FORK, os.sched_param(0))
        os.setpriority(os.PRIO_PROCESS, 0, nice)
    except (PermissionError, OSError) as exc:
        return (
            f"could not raise the event loop's priority to nice {nice} ({exc.strerror or exc}): "
            "offers may be slower while Asterisk keeps the machine busy. Run the controller as "
            "root or with CAP_SYS_NICE (systemd: AmbientCapabilities=CAP_SYS_NICE), or set "
            "HOTLINE_LOOP_NICE=0 to keep the default priority."
        )
    log.info("event loop thread at nice %d (children start at 0)", nice)
    return None


def raise_workers_too(loop: asyncio.AbstractEventLoop, nice: int) -> None:
    """The loop's default executor: worker threads at the loop's priority (see above)."""
    if nice < 0:
        loop.set_default_executor(
            ThreadPoolExecutor(thread_name_prefix="hotline-worker", initializer=_raise_worker,
                               initargs=(nice,))
        )  # fmt: skip


def _raise_worker(nice: int) -> None:
    problem = raise_loop_priority(nice)
    if problem is not None:
        log.debug("worker thread: %s", problem)
