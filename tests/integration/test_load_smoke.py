"""`hotline load` end to end, small: real SIPp callers (audio and DTMF) and agents, the real
Asterisk, through the controller and through app_queue. The numbers themselves are benchmarks
(bench/RESULTS.md), not tests; here every call must succeed and the summary keep its keys."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from hotline.settings import Settings
from hotline.setup import Prepared, prepare

pytestmark = [pytest.mark.asterisk, pytest.mark.slow]

SUMMARY_KEYS = {
    "calls", "answered", "failed", "abandoned", "max_concurrent", "asa_ms", "sl_15s",
    "offer_latency_ms_p50", "offer_latency_ms_p99", "agi_rtt_ms_p99", "controller_cpu_pct",
    "asterisk_cpu_pct", "controller_rss_mb", "rtp_loss_pct",
}  # fmt: skip
SMALL_RUN = [
    "--concurrent", "20", "--agents", "10", "--rate", "5", "--duration", "15",
    "--ring", "uniform:0.3:1", "--talk", "uniform:2:4", "--json",
]  # fmt: skip


@pytest.fixture
def lab_restored(asterisk: Prepared, lab_settings: Settings) -> Iterator[Prepared]:
    """A load run points the seats at its own SIPp agents: give the lab its contacts back."""
    yield asterisk
    prepare(lab_settings)


def run_load(engine: str, env: dict[str, str]) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "load", *SMALL_RUN, "--engine", engine],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    assert lines, f"no summary; stderr:\n{result.stderr[-3000:]}"
    summary: dict[str, object] = json.loads(lines[-1])
    assert result.returncode == 0, f"{summary}\n{result.stderr[-3000:]}"
    return summary


@pytest.mark.parametrize("engine", ["hotline", "native"])
def test_given_small_load_when_run_through_engine_then_every_call_is_answered(
    engine: str, lab_restored: Prepared, lab_env: dict[str, str]
) -> None:
    summary = run_load(engine, lab_env)

    assert summary.keys() >= SUMMARY_KEYS
    assert summary["engine"] == engine
    assert isinstance(summary["calls"], int) and summary["calls"] > 0
    assert summary["failed"] == 0
    assert summary["answered"] == summary["calls"]
    assert isinstance(summary["max_concurrent"], int) and summary["max_concurrent"] > 1
    assert summary["rtp_loss_pct"] is not None  # audio flowed and Asterisk measured it
    if engine == "hotline":
        assert summary["offer_latency_ms_p99"] is not None
        assert summary["controller_cpu_pct"] is not None
