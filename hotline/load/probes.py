"""What the machine and Asterisk say during a load run: CPU, memory, channels, RTP loss.

CPU is read from /proc/<pid>/stat (user + system time of every thread), as a percentage of one
core: 100 % is one core busy, 200 % both cores of a 2-core machine. Parsers are pure.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_CHANNELS = re.compile(r"(\d+) active channels?")
_CALLS = re.compile(r"(\d+) active calls?")
_UPTIME = re.compile(r"\d+:\d\d:\d\d")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process so far; None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            stat = handle.read()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mb(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class CpuMeter:
    """CPU use of one process between start() and now, in % of one core."""

    pid: int
    started_cpu: float = 0.0
    started_at: float = 0.0
    last_cpu: float = 0.0
    last_at: float = 0.0
    peak_pct: float = 0.0

    def start(self) -> None:
        self.started_cpu = self.last_cpu = cpu_seconds(self.pid) or 0.0
        self.started_at = self.last_at = time.monotonic()

    def sample(self) -> float:
        """% of one core since the previous sample (and remember the peak)."""
        now, cpu = time.monotonic(), cpu_seconds(self.pid)
        if cpu is None or now <= self.last_at:
            return 0.0
        pct = 100 * (cpu - self.last_cpu) / (now - self.last_at)
        self.last_cpu, self.last_at = cpu, now
        self.peak_pct = max(self.peak_pct, pct)
        return pct

    def average_pct(self) -> float:
        """% of one core from start() to the last sample."""
        if self.last_at <= self.started_at:
            return 0.0
        return 100 * (self.last_cpu - self.started_cpu) / (self.last_at - self.started_at)


def parse_channel_count(text: str) -> tuple[int, int] | None:
    """``core show channels count`` → (active channels, active calls)."""
    channels, calls = _CHANNELS.search(text), _CALLS.search(text)
    if channels is None or calls is None:
        return None
    return int(channels.group(1)), int(calls.group(1))


@dataclass(frozen=True)
class RtpLeg:
    channel: str
    received: int
    lost: int


@dataclass(frozen=True)
class RtpLoss:
    legs: int
    received: int
    lost: int

    @property
    def pct(self) -> float | None:
        expected = self.received + self.lost
        return round(100 * self.lost / expected, 3) if expected else None


def parse_channelstats(text: str) -> list[RtpLeg]:
    """``pjsip show channelstats``: each channel's received packets and lost packets.

    A row is ``[BridgeId] ChannelId UpTime Codec RxCount RxLost RxPct RxJitter TxCount ...``
    (Asterisk 22 prints the channel without ``PJSIP/``, e.g. ``trunk-00000087``); the bridge
    column is empty for a channel not in a bridge, so columns are found from the uptime on.
    Counts may carry K/M suffixes. Rows of channels still being set up ("not valid") are skipped.
    """
    legs = []
    for line in text.splitlines():
        tokens = line.split()
        at = next((i for i, t in enumerate(tokens) if i > 0 and _UPTIME.fullmatch(t)), None)
        if at is None or len(tokens) < at + 4:
            continue
        received, lost = _count(tokens[at + 2]), _count(tokens[at + 3])
        if received is None or lost is None:
            continue
        legs.append(RtpLeg(tokens[at - 1].removeprefix("PJSIP/"), received, lost))
    return legs


def rtp_loss(legs: list[RtpLeg], prefix: str = "") -> RtpLoss:
    chosen = [leg for leg in legs if leg.channel.startswith(prefix)]
    return RtpLoss(
        len(chosen), sum(leg.received for leg in chosen), sum(leg.lost for leg in chosen)
    )


def _count(token: str) -> int | None:
    scale = {"K": 1_000, "M": 1_000_000}.get(token[-1:].upper(), 1)
    number = token[:-1] if scale > 1 else token
    try:
        return round(float(number) * scale)
    except ValueError:
        return None
