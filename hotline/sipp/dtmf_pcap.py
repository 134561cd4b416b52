"""RFC 4733 (RFC 2833) DTMF key sequences as pcap files for SIPp's ``play_pcap_audio``.

SIPp's own ``dtmf_2833_N.pcap`` files each hold one key with fixed RTP sequence numbers and
timestamps. Replayed one after the other in a call, a later key often carries an older
timestamp or sequence number than the key before it, and Asterisk drops it as a late duplicate:
a caller pressing 9 then 0 is heard pressing only 9. So we write one file per key sequence, with
sequence numbers and timestamps that only grow, and the caller's pauses between keys inside it
(SIPp keeps the capture's packet timing).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

EVENT_CODES = {str(d): d for d in range(10)} | {
    "*": 10,
    "#": 11,
    "A": 12,
    "B": 13,
    "C": 14,
    "D": 15,
}
PAYLOAD_TYPE = 101
PACKET_MS = 20
TONE_MS = 120
END_REPEATS = 3
SAMPLES_PER_MS = 8
SSRC = 0x484F544C  # "HOTL"

_PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
_ETHERNET = bytes(6) + bytes(6) + b"\x08\x00"


def write_dtmf_pcap(path: Path, keys: str, gap_ms: int, lead_ms: int = 0,
                    starts_ms: Sequence[int] = ()) -> float:  # fmt: skip
    """Write ``keys`` pressed ``gap_ms`` apart (after ``lead_ms``), or each at its own time
    (``starts_ms``, from the start of the file); return the length in seconds."""
    unknown = [k for k in keys if k not in EVENT_CODES]
    if unknown:
        raise ValueError(f"not DTMF keys: {unknown!r}")
    if not starts_ms:
        starts_ms = [lead_ms + index * (TONE_MS + gap_ms) for index in range(len(keys))]
    if len(starts_ms) != len(keys) or any(
        later < earlier + TONE_MS + PACKET_MS for earlier, later in pairwise(starts_ms)
    ):
        raise ValueError("each key needs a start time, each at least a tone after the last")
    packets = _packets(keys, starts_ms)
    with path.open("wb") as handle:
        handle.write(_PCAP_HEADER)
        for at_ms, payload in packets:
            handle.write(_record(at_ms, payload))
    return (packets[-1][0] / 1000) if packets else 0.0


def _packets(keys: str, starts_ms: Sequence[int]) -> list[tuple[int, bytes]]:
    packets: list[tuple[int, bytes]] = []
    seq = 1000
    for key, start_ms in zip(keys, starts_ms, strict=True):
        timestamp = 8000 + start_ms * SAMPLES_PER_MS
        for tick, end in _ticks():
            duration = min(tick + PACKET_MS, TONE_MS) * SAMPLES_PER_MS
            event = struct.pack("!BBH", EVENT_CODES[key], (0x80 if end else 0) | 10, duration)
            marker = tick == 0 and not end
            header = struct.pack(
                "!BBHII", 0x80, (0x80 if marker else 0) | PAYLOAD_TYPE, seq, timestamp, SSRC
            )
            packets.append((start_ms + min(tick, TONE_MS), header + event))
            seq += 1
    return packets


def _ticks() -> list[tuple[int, bool]]:
    tone = [(ms, False) for ms in range(0, TONE_MS, PACKET_MS)]
    # The end packet is sent three times: RTP is UDP, and a lost end would stretch the tone.
    return tone + [(TONE_MS, True)] * END_REPEATS


def _record(at_ms: int, rtp: bytes) -> bytes:
    udp = struct.pack("!HHHH", 40000, 40002, 8 + len(rtp), 0) + rtp
    ip = _ipv4(udp)
    frame = _ETHERNET + ip
    seconds, millis = divmod(at_ms, 1000)
    header = struct.pack("<IIII", 1_700_000_000 + seconds, millis * 1000, len(frame), len(frame))
    return header + frame


def _ipv4(payload: bytes) -> bytes:
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0x4000, 64, 17, 0,
        bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]),
    )  # fmt: skip
    checksum = _checksum(header)
    return header[:10] + struct.pack("!H", checksum) + header[12:] + payload


def _checksum(data: bytes) -> int:
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total & 0xFFFF) + (total >> 16)
    total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF
