"""Real SIP parties from SIPp: callers on the inbound trunk and agents' softphones.

Used by the demo, the load command and the tests. Every run is bounded (call count, call limit,
global timeout) so that a stuck party can never hang a test or a CI run. Each instance gets its
own control port and media ports outside Asterisk's RTP range.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import logging
import os
import shutil
import signal
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from hotline.sipp.dtmf_pcap import write_dtmf_pcap
from hotline.sipp.reaper import die_with_parent

log = logging.getLogger("hotline.sipp")

SCENARIOS = Path(__file__).parent / "scenarios"


class SippError(Exception):
    """SIPp is missing or could not run; the message says what to do."""


@dataclass(frozen=True)
class CallerPath:
    """What a caller does after the welcome prompt starts."""

    keys: str
    first_key_ms: int = 2500
    between_keys_ms: int = 600
    hangup_after_ms: int = 0
    """0: stay until the agent hangs up; otherwise hang up this long after the last key."""
    key_times_ms: tuple[int, ...] = ()
    """When each key is pressed, from the first (0 first): a path through several menus waits
    for each menu's prompt. Empty: keys ``between_keys_ms`` apart."""


@dataclass(frozen=True)
class Caller:
    number: str
    name: str
    path: int


@dataclass(frozen=True)
class SippStats:
    successful: int
    failed: int
    exit_code: int | None


@dataclass(frozen=True)
class UacShape:
    """Where a SIPp UAC calls and how much: the options every caller instance shares."""

    target: str
    service: str
    local_port: int
    calls: int
    rate_per_s: float
    limit: int
    timeout_s: int


@dataclass
class SippInstance:
    name: str
    workdir: Path
    process: asyncio.subprocess.Process | None = None
    argv: list[str] = field(default_factory=list)
    control_port: int | None = None

    @property
    def stats_file(self) -> Path:
        return self.workdir / f"{self.name}_stats.csv"

    @property
    def errors_file(self) -> Path:
        return self.workdir / f"{self.name}_errors.log"

    async def start(self) -> None:
        log.info("starting sipp %s", self.name)
        with (self.workdir / f"{self.name}.out").open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                cwd=self.workdir,
                start_new_session=True,
                # Killed with us, however we end (SIGKILL included): see reaper.py.
                preexec_fn=die_with_parent(),
            )

    async def wait(self, timeout: float) -> SippStats:
        assert self.process is not None
        code: int | None
        try:
            code = await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            await self.stop()
            code = self.process.returncode
        return self.stats(code)

    async def stop(self) -> SippStats:
        """Stop the instance (it would otherwise run to its own timeout)."""
        if self.process is not None and self.process.returncode is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except TimeoutError:
                _signal_group(self.process.pid, signal.SIGKILL)
                await self.process.wait()
        return self.stats(self.process.returncode if self.process else None)

    def stats(self, exit_code: int | None) -> SippStats:
        return read_stats(self.stats_file, exit_code)

    def quit_softly(self) -> None:
        """Place no new call; SIPp exits once the calls in progress have ended."""
        if self.control_port is None:
            raise SippError(f"sipp {self.name} has no control port")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as control:
            control.sendto(b"q", ("127.0.0.1", self.control_port))

    def live(self) -> dict[str, str]:
        """The last row of the statistics file, by column (empty before the first row)."""
        return last_stats_row(self.stats_file)

    def errors(self, limit: int = 4000) -> str:
        if not self.errors_file.exists():
            return ""
        return self.errors_file.read_text(encoding="utf-8", errors="replace")[-limit:]


def read_stats(path: Path, exit_code: int | None) -> SippStats:
    """The last row of SIPp's statistics file (-trace_stat)."""
    values = last_stats_row(path)
    if not values:
        return SippStats(0, 0, exit_code)
    return SippStats(
        successful=int(values.get("SuccessfulCall(C)", "0") or 0),
        failed=int(values.get("FailedCall(C)", "0") or 0),
        exit_code=exit_code,
    )


def last_stats_row(path: Path) -> dict[str, str]:
    """The header and last row of a -trace_stat file, zipped; {} if there is no row yet."""
    if not path.exists():
        return {}
    text = path.read_text(encoding="utf-8", errors="replace")
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return {}
    rows = list(csv.reader(io.StringIO(f"{lines[0]}\n{lines[-1]}\n"), delimiter=";"))
    if len(rows) < 2 or len(rows[1]) < len(rows[0]) // 2:
        return {}  # a row still being written
    return dict(zip(rows[0], rows[1], strict=False))


def sipp_binary() -> str:
    binary = shutil.which("sipp")
    if binary is None:
        raise SippError("SIPp is not installed: apt-get install sip-tester")
    return binary


def render_scenario(name: str, **values: object) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(SCENARIOS),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # noqa: S701 - SIPp XML with CDATA sections, written by us
    )
    return env.get_template(f"{name}.xml.j2").render(**values)


def common_flags(control_port: int, media_port: int, stats: Path, errors: Path) -> list[str]:
    return [
        "-i", "127.0.0.1",
        "-mi", "127.0.0.1",
        "-mp", str(media_port),
        "-cp", str(control_port),
        "-trace_stat", "-stf", str(stats), "-fd", "1",
        "-trace_err", "-error_file", str(errors),
        "-timeout_error",
        "-aa",
    ]  # fmt: skip


def callers(
    workdir: Path,
    *,
    target: str,
    service: str,
    local_port: int,
    people: Sequence[Caller],
    paths: Sequence[CallerPath],
    rate_per_s: float,
    limit: int,
    timeout_s: int,
    name: str = "callers",
    control_port: int = 8881,
    media_port: int = 30000,
) -> SippInstance:
    """One SIPp UAC placing len(people) calls on the trunk (from the trunk's address)."""
    workdir.mkdir(parents=True, exist_ok=True)
    scenario = workdir / f"{name}.xml"
    scenario.write_text(
        render_scenario(
            "caller",
            paths=_path_views(workdir, name, paths),
            answer_timeout_ms=30_000,
            wait_for_bye_ms=timeout_s * 1000,
        ),
        encoding="utf-8",
    )
    injection = workdir / f"{name}.csv"
    injection.write_text(injection_text(people), encoding="utf-8")
    instance = SippInstance(name=name, workdir=workdir)
    instance.argv = uac_argv(
        instance, scenario, injection,
        UacShape(target, service, local_port, len(people), rate_per_s, limit, timeout_s),
        control_port=control_port, media_port=media_port,
    )  # fmt: skip
    return instance


def agents(
    workdir: Path,
    *,
    local_port: int,
    ring_ms: int,
    talk_ms: int,
    timeout_s: int,
    name: str,
    control_port: int,
    media_port: int,
) -> SippInstance:
    """One SIPp UAS answering for any number of seats whose contacts point at local_port."""
    workdir.mkdir(parents=True, exist_ok=True)
    scenario = workdir / f"{name}.xml"
    scenario.write_text(render_scenario("agent", ring_ms=ring_ms, talk_ms=talk_ms))
    instance = SippInstance(name=name, workdir=workdir)
    instance.argv = [
        sipp_binary(),
        "-sf", str(scenario),
        "-p", str(local_port),
        "-rtp_echo",
        "-timeout", f"{timeout_s}s",
        *common_flags(control_port, media_port, instance.stats_file, instance.errors_file),
    ]  # fmt: skip
    return instance


def uac_argv(
    instance: SippInstance,
    scenario: Path,
    injection: Path,
    shape: UacShape,
    *,
    control_port: int,
    media_port: int,
    extra: Sequence[str] = (),
) -> list[str]:
    """A caller instance's command line: ``shape.calls`` calls (-m) from the injection file at
    ``rate_per_s`` (as calls per 1000 s, so fractional rates stay exact), at most ``limit``
    at once, the whole run bounded by ``timeout_s``."""
    return [
        sipp_binary(), shape.target,
        "-sf", str(scenario),
        "-inf", str(injection),
        "-s", shape.service,
        "-p", str(shape.local_port),
        "-m", str(shape.calls),
        "-r", str(max(1, round(shape.rate_per_s * 1000))), "-rp", "1000000",
        "-l", str(shape.limit),
        "-timeout", f"{shape.timeout_s}s",
        *extra,
        *common_flags(control_port, media_port, instance.stats_file, instance.errors_file),
    ]  # fmt: skip


def _path_views(workdir: Path, name: str, paths: Sequence[CallerPath]) -> list[dict[str, object]]:
    """What the caller template needs of each path, with its key sequence written as pcap."""
    views: list[dict[str, object]] = []
    for index, path in enumerate(paths):
        pcap, length_ms = "", 0
        if path.keys:
            target = workdir / f"{name}_path{index}.pcap"
            length_ms = round(
                1000 * write_dtmf_pcap(target, path.keys, path.between_keys_ms,
                                       starts_ms=path.key_times_ms)
            )  # fmt: skip
            pcap = str(target)
        views.append(
            {
                "keys": path.keys,
                "pcap": pcap,
                "pcap_ms": length_ms + 200,
                "first_key_ms": path.first_key_ms,
                "hangup_after_ms": path.hangup_after_ms,
            }
        )
    return views


def injection_text(people: Sequence[Caller]) -> str:
    lines = ["SEQUENTIAL"]
    for person in people:
        lines.append(f"{_field(person.number)};{_field(person.name)};{person.path}")
    return "\n".join(lines) + "\n"


def _field(value: str) -> str:
    # The injection file is ;-separated and line-based; SIP headers must not break either.
    return "".join(ch for ch in value if ch not in ';\r\n"<>').strip() or "anonymous"


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def seat_call(
    workdir: Path,
    *,
    target: str,
    seat: str,
    password: str,
    code: str,
    keys: str,
    local_port: int,
    name: str = "seat_call",
    control_port: int = 8885,
    media_port: int = 36000,
) -> SippInstance:
    """An agent's softphone dialling a feature code (e.g. *21) and keying ``keys``."""
    workdir.mkdir(parents=True, exist_ok=True)
    pcap = workdir / f"{name}_keys.pcap"
    if keys:
        write_dtmf_pcap(pcap, keys, gap_ms=150)
    scenario = workdir / f"{name}.xml"
    scenario.write_text(
        render_scenario(
            "seat_call", seat=seat, password=password, keys=keys, pcap=str(pcap) if keys else "",
            first_key_ms=2000, wait_for_bye_ms=60_000,
        ),
        encoding="utf-8",
    )  # fmt: skip
    instance = SippInstance(name=name, workdir=workdir)
    instance.argv = [
        sipp_binary(), target,
        "-sf", str(scenario),
        "-s", code,
        "-p", str(local_port),
        "-m", "1", "-l", "1",
        "-timeout", "90s",
        *common_flags(control_port, media_port, instance.stats_file, instance.errors_file),
    ]  # fmt: skip
    return instance
