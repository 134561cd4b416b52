"""The SIPp parties of a load run: callers streaming voice and keys with ``rtp_stream``, and
agents' softphones that draw each offer's ring and talk time from a few profiles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hotline.sipp.call_audio import (
    DTMF_PAYLOAD_TYPE,
    key_stream_ms,
    write_key_stream,
    write_voice,
)
from hotline.sipp.dtmf_pcap import EVENT_CODES
from hotline.sipp.runner import (
    Caller,
    CallerPath,
    SippInstance,
    UacShape,
    common_flags,
    injection_text,
    render_scenario,
    sipp_binary,
    uac_argv,
)

KEY_SLACK_MS = 150
"""After a key's file, voice resumes this much later: a late RTP thread must not cut the end."""


@dataclass(frozen=True)
class AgentProfile:
    """One way a load agent handles an offer: how long it rings, how long the agent talks."""

    ring_ms: int
    talk_ms: int


def load_callers(
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
    name: str = "load_callers",
    control_port: int = 8881,
    media_port: int = 40000,
) -> SippInstance:
    """One SIPp UAC for a load run: callers streaming voice from the answer on (``rtp_stream``,
    one socket per call) with their keys as RFC 4733 events in the same stream."""
    workdir.mkdir(parents=True, exist_ok=True)
    scenario = workdir / f"{name}.xml"
    scenario.write_text(
        render_scenario(
            "load_caller",
            voice=str(_voice_file(workdir)),
            paths=_stream_path_views(workdir, paths),
            dtmf_payload_type=DTMF_PAYLOAD_TYPE,
            key_pause_ms=key_stream_ms() + KEY_SLACK_MS,
            answer_timeout_ms=30_000,
            wait_for_bye_ms=timeout_s * 1000,
        ),
        encoding="utf-8",
    )
    injection = workdir / f"{name}.csv"
    injection.write_text(injection_text(people), encoding="utf-8")
    instance = SippInstance(name=name, workdir=workdir, control_port=control_port)
    shape = UacShape(target, service, local_port, len(people), rate_per_s, limit, timeout_s)
    instance.argv = uac_argv(
        instance, scenario, injection, shape, control_port=control_port, media_port=media_port,
        extra=["-max_socket", str(max(1024, limit * 2))],
    )  # fmt: skip
    return instance


def load_agents(
    workdir: Path,
    *,
    local_port: int,
    profiles: Sequence[AgentProfile],
    timeout_s: int,
    name: str,
    control_port: int,
    media_port: int,
) -> SippInstance:
    """One SIPp UAS for a load run: each offer takes one of ``profiles`` at random."""
    workdir.mkdir(parents=True, exist_ok=True)
    scenario = workdir / f"{name}.xml"
    scenario.write_text(render_scenario("load_agent", profiles=list(profiles)), encoding="utf-8")
    instance = SippInstance(name=name, workdir=workdir, control_port=control_port)
    instance.argv = [
        sipp_binary(),
        "-sf", str(scenario),
        "-p", str(local_port),
        "-rtp_echo",
        "-timeout", f"{timeout_s}s",
        *common_flags(control_port, media_port, instance.stats_file, instance.errors_file),
    ]  # fmt: skip
    return instance


def _voice_file(workdir: Path) -> Path:
    voice = workdir / "voice.ulaw"
    if not voice.exists():
        write_voice(voice)
    return voice


def _stream_path_views(workdir: Path, paths: Sequence[CallerPath]) -> list[dict[str, object]]:
    """What the load caller template needs of each path: its keys' files (one per key)."""
    views: list[dict[str, object]] = []
    for path in paths:
        keys = []
        for key in path.keys:
            target = workdir / f"key_{EVENT_CODES[key]}.rtp"
            if not target.exists():
                write_key_stream(target, key)
            keys.append(str(target))
        views.append(
            {
                "keys": path.keys or "none",
                "key_files": keys,
                "first_key_ms": path.first_key_ms,
                "between_keys_ms": path.between_keys_ms,
            }
        )
    return views
