"""The event loop's priority: raised for the calling thread only, children start at 0 again."""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading

import pytest

from hotline.loop_priority import raise_loop_priority


def _in_thread(nice: int) -> tuple[str | None, int, str]:
    """Run in a fresh thread (so the test's own thread keeps its priority)."""
    result: list[tuple[str | None, int, str]] = []

    def body() -> None:
        problem = raise_loop_priority(nice)
        own = os.getpriority(os.PRIO_PROCESS, 0)
        child = subprocess.run(
            ["sh", "-c", "cat /proc/self/stat"], capture_output=True, text=True, check=True
        ).stdout
        result.append((problem, own, child.rsplit(")", 1)[1].split()[16]))

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    return result[0]


@pytest.mark.skipif(os.geteuid() != 0, reason="raising a priority needs root or CAP_SYS_NICE")
def test_given_root_when_raised_then_thread_runs_at_nice_and_children_at_zero() -> None:
    problem, own, child_nice = _in_thread(-5)
    assert problem is None
    assert own == -5
    assert child_nice == "0"


def test_given_zero_when_asked_then_nothing_changes() -> None:
    result: list[tuple[str | None, int, int]] = []

    def body() -> None:
        before = os.getpriority(os.PRIO_PROCESS, 0)
        problem = raise_loop_priority(0)
        result.append((problem, before, os.getpriority(os.PRIO_PROCESS, 0)))

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    problem, before, after = result[0]
    assert problem is None
    assert after == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root may raise priorities")
def test_given_no_privilege_when_raised_then_problem_says_what_to_do() -> None:
    problem, _, _ = _in_thread(-5)
    assert problem is not None and "HOTLINE_LOOP_NICE=0" in problem


@pytest.mark.skipif(os.geteuid() != 0, reason="raising a priority needs root or CAP_SYS_NICE")
def test_given_raised_loop_when_work_goes_to_a_thread_then_the_worker_is_raised_too() -> None:
    from hotline.loop_priority import raise_workers_too  # noqa: PLC0415

    async def main() -> int:
        raise_workers_too(asyncio.get_running_loop(), -3)
        return await asyncio.to_thread(os.getpriority, os.PRIO_PROCESS, 0)

    assert asyncio.run(main()) == -3
