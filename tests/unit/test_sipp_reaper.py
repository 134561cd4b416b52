"""SIPp instances die with the process that started them, even when it is SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hotline.sipp.reaper import die_with_parent

# A parent that starts a SippInstance (its real start(), with "sleep" for SIPp), says the
# child's pid, then waits to be killed.
PARENT = """
import asyncio, sys
from pathlib import Path
from hotline.sipp.runner import SippInstance

async def main():
    instance = SippInstance(name="reaped", workdir=Path(sys.argv[1]), argv=["sleep", "300"])
    await instance.start()
    print(instance.process.pid, flush=True)
    await asyncio.sleep(300)

asyncio.run(main())
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(die_with_parent() is None, reason="needs prctl (Linux)")
def test_given_a_started_instance_when_its_parent_is_sigkilled_then_it_dies_too(tmp_path: Path):
    with subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path)], stdout=subprocess.PIPE, text=True
    ) as parent:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        try:
            assert _alive(child)
            parent.send_signal(signal.SIGKILL)
            parent.wait(5)
            deadline = time.monotonic() + 5
            while _alive(child) and time.monotonic() < deadline:
                time.sleep(0.05)

            assert not _alive(child)
        finally:
            if _alive(child):
                os.kill(child, signal.SIGKILL)
