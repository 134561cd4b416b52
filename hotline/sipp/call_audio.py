"""A load caller's audio as files for SIPp's ``rtp_stream`` action (one RTP socket per call).

``play_pcap_audio`` costs SIPp one thread per call (600 callers: 600 threads sending 30,000
packets a second from one shared source port); ``rtp_stream`` plays from a small pool of
threads, each call from its own socket, with sequence numbers that continue across files and
timestamps from the clock. So a caller streams G.711 µ-law voice (a raw file, looped) and, for
each key, switches the same stream to a short file of RFC 4733 events, then back to voice.

SIPp 3.6.1 plays only payload types it knows (0, 8, 18, 98); 98 is dynamic, sent as 50-byte
packets every 30 ms, so the caller's SDP maps 98 to ``telephone-event/8000`` and each
50-byte chunk of a key file starts with one 4-byte RFC 4733 event (the rest is padding that
Asterisk does not read). A key is 4 packets without the end bit, then exactly one with it:
SIPp gives every packet a new timestamp, and Asterisk takes each end packet with a newer
timestamp as another key press. (A lost end packet is still ended by Asterisk's DTMF timeout.)
"""

from __future__ import annotations

import math
import struct
from pathlib import Path

from hotline.sipp.dtmf_pcap import EVENT_CODES

DTMF_PAYLOAD_TYPE = 98
DTMF_PACKET_BYTES = 50
DTMF_PACKET_MS = 30
TONE_PACKETS = 4
VOICE_PAYLOAD_TYPE = 0
SAMPLES_PER_MS = 8
VOLUME = 10


def key_stream_ms() -> int:
    """How long one key's file plays (its packets, the end packet included)."""
    return (TONE_PACKETS + 1) * DTMF_PACKET_MS


def write_key_stream(path: Path, key: str) -> None:
    """One key as RFC 4733 events in 50-byte chunks for ``rtp_stream="file,1,98"``."""
    if key not in EVENT_CODES:
        raise ValueError(f"not a DTMF key: {key!r}")
    chunks = [_event_chunk(key, n, end=False) for n in range(1, TONE_PACKETS + 1)]
    chunks.append(_event_chunk(key, TONE_PACKETS, end=True))
    path.write_bytes(b"".join(chunks))


def write_voice(path: Path, seconds: int = 1) -> None:
    """``seconds`` of a quiet 400 Hz tone in raw µ-law (whole periods: it loops seamlessly)."""
    samples = seconds * 1000 * SAMPLES_PER_MS
    path.write_bytes(
        bytes(_ulaw(round(3000 * math.sin(2 * math.pi * 400 * n / 8000))) for n in range(samples))
    )


def _event_chunk(key: str, packets: int, *, end: bool) -> bytes:
    duration = packets * DTMF_PACKET_MS * SAMPLES_PER_MS
    flags = (0x80 if end else 0) | VOLUME
    event = struct.pack("!BBH", EVENT_CODES[key], flags, duration)
    return event + bytes(DTMF_PACKET_BYTES - len(event))


def _ulaw(sample: int) -> int:
    bias, clip = 0x84, 32635
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), clip) + bias
    exponent = max(0, magnitude.bit_length() - 8)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | (exponent << 4) | mantissa) & 0xFF
