"""The SIPp parties of a load run: agent softphones spread over several UAS processes (one RTP
echo socket each: one socket for all seats loses audio past ~300 calls), and one caller UAC
(``rtp_stream``: one RTP socket per call, played by a small pool of threads)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from pathlib import Path

from hotline.load.options import LoadOptions
from hotline.sipp import load_parties, runner
from hotline.sipp.load_parties import AgentProfile
from hotline.sipp.runner import Caller, CallerPath

AGENT_BASE_PORT = 6001
AGENT_CONTROL_BASE = 8891
AGENT_MEDIA_BASE = 32000
AGENT_MEDIA_STEP = 500
CALLER_CONTROL_PORT = 8881
CALLER_MEDIA_PORT = 40000
"""rtp_stream binds a port pair per call from here up, clear of the agents' echo ports."""


@dataclass(frozen=True)
class AgentGroup:
    """Seats whose static contacts point at one SIPp UAS, and the profiles it draws from."""

    index: int
    seats: tuple[str, ...]
    profiles: tuple[AgentProfile, ...]

    @property
    def port(self) -> int:
        return AGENT_BASE_PORT + self.index

    def contacts(self) -> dict[str, str]:
        return {seat: f"sip:{seat}@127.0.0.1:{self.port}" for seat in self.seats}


def plan_agents(seats: tuple[str, ...], options: LoadOptions) -> list[AgentGroup]:
    """The first ``agents`` seats in contiguous blocks, one block per UAS, each with its own
    draws of ring and talk times."""
    chosen = seats[: options.agents]
    count = options.instances
    size = math.ceil(len(chosen) / count)
    groups = []
    for index in range(count):
        block = chosen[index * size : (index + 1) * size]
        if not block:
            break
        rng = random.Random(options.seed * 1000 + index)
        profiles = tuple(
            AgentProfile(
                ring_ms=round(1000 * options.ring.draw(rng)),
                talk_ms=round(1000 * options.talk.draw(rng)),
            )
            for _ in range(options.profiles_per_instance)
        )
        groups.append(AgentGroup(index, tuple(block), profiles))
    return groups


def agent_instances(
    workdir: Path, groups: list[AgentGroup], timeout_s: int
) -> list[runner.SippInstance]:
    return [
        load_parties.load_agents(
            workdir,
            local_port=group.port,
            profiles=group.profiles,
            timeout_s=timeout_s,
            name=f"agents{group.index + 1}",
            control_port=AGENT_CONTROL_BASE + group.index,
            media_port=AGENT_MEDIA_BASE + group.index * AGENT_MEDIA_STEP,
        )
        for group in groups
    ]


def caller_instance(
    workdir: Path,
    options: LoadOptions,
    *,
    target: str,
    service: str,
    local_port: int,
    timeout_s: int,
) -> runner.SippInstance:
    paths = [CallerPath(keys) for keys in options.keys]
    people = [
        Caller(f"1391{n:07d}", f"load caller {n}", n % len(paths))
        for n in range(options.calls_bound)
    ]
    return load_parties.load_callers(
        workdir,
        target=target,
        service=service,
        local_port=local_port,
        people=people,
        paths=paths,
        rate_per_s=options.rate,
        limit=options.concurrent,
        timeout_s=timeout_s,
        control_port=CALLER_CONTROL_PORT,
        media_port=CALLER_MEDIA_PORT,
    )
