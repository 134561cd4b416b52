"""A caller who talks: G.711 voice with RFC 4733 keys in one RTP stream, as a pcap for SIPp.

The lab's callers press keys only (``hotline.sipp.dtmf_pcap``); a caller leaving a voice message
must also send audio, or Asterisk records nothing. One stream: µ-law every 20 ms, the keys at
their moments (voice pauses while a key sounds), one SSRC, sequence numbers and timestamps that
only grow (SIPp replays a capture as it is).
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
SSRC = 0x564F4943  # "VOIC"
AMPLITUDE = 6000
"""Well above Asterisk's silence threshold: the recorder must hear a voice."""


def write_talking_caller(path: Path, keys: str, *, between_keys_ms: int, length_ms: int) -> None:
    """Write length_ms of voice with ``keys`` pressed from the start, between_keys_ms apart."""
    unknown = [k for k in keys if k not in EVENT_CODES]
    if unknown:
        raise ValueError(f"not DTMF keys: {unknown!r}")
    pending = [(i * (TONE_MS + between_keys_ms), key) for i, key in enumerate(keys)]
    frame = _voice_frame()
    seq, at, marker = 1, 0, True
    with path.open("wb") as handle:
        handle.write(_PCAP_HEADER)
        while at < length_ms:
            if pending and pending[0][0] <= at:
                start, key = pending.pop(0)
                for packet_at, payload in _key_packets(key, start, seq):
                    handle.write(_record(packet_at, payload))
                    seq += 1
                at, marker = start + TONE_MS + FRAME_MS, True
                continue
            header = _rtp_header(PCMU, seq, at * SAMPLES_PER_MS, marker=marker)
            handle.write(_record(at, header + frame))
            seq, at, marker = seq + 1, at + FRAME_MS, False


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
        _ulaw(round(AMPLITUDE * math.sin(2 * math.pi * 400 * n / 8000))) for n in range(samples)
    )


def _ulaw(sample: int) -> int:
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), clip) + bias
    exponent = max(0, magnitude.bit_length() - 8)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF
