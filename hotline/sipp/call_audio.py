"""A caller's whole side of the audio as one pcap for SIPp's ``play_pcap_audio``.

SIPp replays a capture as it is: it does not renumber RTP. Two captures played one after the
other in a call (audio, then keys) restart the sequence numbers and Asterisk counts the jump as
loss or drops the keys as late. So a load caller's audio and its DTMF keys are written into one
stream: G.711 µ-law every 20 ms from the answer on, RFC 4733 events for the keys at the
caller's moments (audio pauses while a key sounds), one SSRC, sequence numbers and timestamps
that only grow.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

from hotline.sipp.dtmf_pcap import _PCAP_HEADER, EVENT_CODES, _record

PCMU = 0
TELEPHONE_EVENT = 101
FRAME_MS = 20
SAMPLES_PER_MS = 8
TONE_MS = 120
END_REPEATS = 3
SSRC = 0x4C4F4144  # "LOAD"


def write_call_audio(
    path: Path, keys: str, *, first_key_ms: int, between_keys_ms: int, length_ms: int
) -> float:
    """Write length_ms of audio with ``keys`` pressed from first_key_ms on; return seconds."""
    unknown = [k for k in keys if k not in EVENT_CODES]
    if unknown:
        raise ValueError(f"not DTMF keys: {unknown!r}")
    tones = [first_key_ms + i * (TONE_MS + between_keys_ms) for i in range(len(keys))]
    frame = _voice_frame()
    seq = 1
    with path.open("wb") as handle:
        handle.write(_PCAP_HEADER)
        at = 0
        pending = list(zip(tones, keys, strict=True))
        marker = True
        while at < length_ms:
            if pending and pending[0][0] <= at:
                start, key = pending.pop(0)
                for packet_at, payload in _key_packets(key, start, seq):
                    handle.write(_record(packet_at, payload))
                    seq += 1
                at = start + TONE_MS + FRAME_MS
                marker = True
                continue
            header = _rtp_header(PCMU, seq, at * SAMPLES_PER_MS, marker=marker)
            handle.write(_record(at, header + frame))
            seq += 1
            marker = False
            at += FRAME_MS
    return length_ms / 1000


def _key_packets(key: str, start_ms: int, seq: int) -> list[tuple[int, bytes]]:
    packets = []
    timestamp = start_ms * SAMPLES_PER_MS
    ticks = [(ms, False) for ms in range(0, TONE_MS, FRAME_MS)] + [(TONE_MS, True)] * END_REPEATS
    for tick, end in ticks:
        duration = min(tick + FRAME_MS, TONE_MS) * SAMPLES_PER_MS
        event = struct.pack("!BBH", EVENT_CODES[key], (0x80 if end else 0) | 10, duration)
        header = _rtp_header(TELEPHONE_EVENT, seq, timestamp, marker=tick == 0 and not end)
        packets.append((start_ms + tick, header + event))
        seq += 1
    return packets


def _rtp_header(payload_type: int, seq: int, timestamp: int, *, marker: bool) -> bytes:
    second = (0x80 if marker else 0) | payload_type
    return struct.pack("!BBHII", 0x80, second, seq & 0xFFFF, timestamp & 0xFFFFFFFF, SSRC)


def _voice_frame() -> bytes:
    """20 ms of a quiet 400 Hz tone in µ-law (a whole number of periods: every frame alike)."""
    samples = FRAME_MS * SAMPLES_PER_MS
    return bytes(
        _ulaw(round(3000 * math.sin(2 * math.pi * 400 * n / 8000))) for n in range(samples)
    )


def _ulaw(sample: int) -> int:
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), clip) + bias
    exponent = max(0, magnitude.bit_length() - 8)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF
