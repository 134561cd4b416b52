"""Children that die with their parent: SIPp must never outlive the process that started it.

A SIPp agent left running after its parent was killed keeps answering for the seats whose
contacts point at it and breaks the next run on the lab. ``Popen(preexec_fn=die_with_parent())``
asks Linux (``prctl(PR_SET_PDEATHSIG, SIGKILL)``) to kill the child when the thread that forked
it ends, whatever the cause, SIGKILL included. A child whose parent died before the call took
effect exits at once. The C library is loaded in the parent: the child only makes the call.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: signal.Signals = signal.SIGKILL) -> Callable[[], None] | None:
    """A ``preexec_fn`` for subprocesses; None where prctl is not available (not Linux)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        prctl = ctypes.CDLL(name, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def in_child() -> None:
        prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:  # the parent died between fork and prctl
            os._exit(1)

    return in_child
