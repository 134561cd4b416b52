"""What the machine and Asterisk say during a load run: CPU, memory, channels, RTP loss.

CPU is read from /proc/<pid>/stat (user + system time of every thread), as a percentage of one
core: 100 % is one core busy, 200 % both cores of a 2-core machine. Parsers are pure.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from dataclasses import dataclass, field

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_CHANNELS = re.compile(r"(\d+) active channels?")
_CALLS = re.compile(r"(\d+) active calls?")


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
    """Asterisk's count of packets not received, from the RTP sequence numbers; below 0 when
    more arrived than the numbers span (duplicates, a sender that restarted its numbering)."""

    @property
    def loss_pct(self) -> float:
        expected = self.received + max(0, self.lost)
        return 100 * max(0, self.lost) / expected if expected else 0.0


@dataclass(frozen=True)
class RtpLoss:
    legs: int
    received: int
    lost: int
    legs_over_1pct: int = 0
    legs_negative: int = 0

    @property
    def pct(self) -> float | None:
        expected = self.received + self.lost
        return round(100 * self.lost / expected, 3) if expected else None


# `` %8.8s %-18.18s %-8.8s %-6.6s %6u%s %6u%s %3u %7.3f %6u%s %6u%s ...`` (channels/pjsip/
# cli_commands.c): bridge id (blank outside a bridge), channel without "PJSIP/", uptime, codec
# (blank before one is chosen), then receive count and lost, each divided by 1000 and followed
# by "K" above 100000, percent, jitter, and the same for transmit.
_STATS_ROW = re.compile(
    r"^\s*(?:(?P<bridge>[0-9a-f]{1,8})\s+)?(?P<channel>\S+)\s+(?P<uptime>\d+:\d\d:\d\d)\s+"
    r"(?:(?P<codec>[A-Za-z][\w.]*)\s+)?(?P<rx>\d+)(?P<rxk>K?)\s+(?P<lost>\d+)(?P<lostk>K?)\s+"
    r"\d+\s+\d+\.\d+\s+\d+K?\s+\d+K?\s"
)
_UNSIGNED = 2**32


def parse_channelstats(text: str) -> list[RtpLeg]:
    """``pjsip show channelstats``: each channel's received packets and lost packets.

    Rows of channels still being set up ("not valid") or in direct media are skipped. Asterisk
    prints the lost count as unsigned: a negative count (more packets than the sequence numbers
    span) comes out near 2^32, or 4294967K; it is read back as negative.
    """
    legs = []
    for line in text.splitlines():
        row = _STATS_ROW.match(line)
        if row is None:
            continue
        received = _scaled(row["rx"], row["rxk"])
        lost = _scaled(row["lost"], row["lostk"])
        if lost >= _UNSIGNED // 2:
            lost -= _UNSIGNED
        legs.append(RtpLeg(row["channel"].removeprefix("PJSIP/"), received, lost))
    return legs


def rtp_loss(legs: list[RtpLeg], prefix: str = "") -> RtpLoss:
    """Loss over the legs whose channel starts with ``prefix``: lost / (received + lost), a
    negative count counting as none lost (and counted apart)."""
    chosen = [leg for leg in legs if leg.channel.startswith(prefix)]
    return RtpLoss(
        legs=len(chosen),
        received=sum(leg.received for leg in chosen),
        lost=sum(max(0, leg.lost) for leg in chosen),
        legs_over_1pct=sum(1 for leg in chosen if leg.loss_pct > 1.0),
        legs_negative=sum(1 for leg in chosen if leg.lost < 0),
    )


def _scaled(digits: str, suffix: str) -> int:
    # "1234K" is Asterisk's 1234567 // 1000: the thousands are all that is left of it.
    return int(digits) * (1000 if suffix == "K" else 1)


@dataclass
class LoopLag:
    """How late the event loop runs a timer: a callback that holds the loop (or the GIL, from a
    thread) delays every caller's FastAGI session and every offer by as much. Sleeps
    ``interval_s`` over and over and keeps each overshoot."""

    interval_s: float = 0.01
    lags_s: list[float] = field(default_factory=list)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(self.interval_s)
            self.lags_s.append(max(0.0, loop.time() - before - self.interval_s))
