"""The load command's pure parts: distributions, percentiles, Asterisk output parsers, audio."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Histogram

from hotline.load import probes, report
from hotline.load.options import Distribution, LoadOptions, OptionsError
from hotline.load.traffic import plan_agents
from hotline.sipp.call_audio import write_call_audio
from hotline.sipp.runner import AgentProfile, render_scenario

# Recorded from Asterisk 22 (pjsip show channelstats), trimmed to 100 columns.
CHANNELSTATS = """
                                             ...........Receive......... .........Transmit..........
 BridgeId ChannelId ........ UpTime.. Codec.   Count    Lost Pct  Jitter   Count    Lost Pct
 ==================================================================================================

 PJSIP/seat002-0000009f not valid
          trunk-00000087     00:00:12 ulaw      596       4    0   0.000    593       0    0
 0bdd3b5e seat002-0000009f   00:00:11 ulaw      1.2K      0    0   0.000    583       0    0
"""


def test_given_channelstats_then_bridged_and_unbridged_rows_are_read_and_setup_rows_skipped():
    legs = probes.parse_channelstats(CHANNELSTATS)

    assert [leg.channel for leg in legs] == ["trunk-00000087", "seat002-0000009f"]
    assert probes.rtp_loss(legs, "trunk-") == probes.RtpLoss(1, 596, 4)
    assert probes.rtp_loss(legs).received == 1796
    assert probes.rtp_loss(legs).pct == pytest.approx(100 * 4 / 1800, abs=0.001)
    assert probes.rtp_loss([]).pct is None


def test_given_channel_count_output_then_channels_and_calls_are_read():
    text = "25 active channels\n20 active calls\n1393 calls processed\n"
    assert probes.parse_channel_count(text) == (25, 20)
    assert probes.parse_channel_count("") is None


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [("fixed:3", 3, 3), ("uniform:1:4", 1, 4), ("normal:30:5", 0.2, 3600), ("exp:3", 0.2, 3600),
     ("lognormal:2:0.5", 0.2, 3600)],
)  # fmt: skip
def test_given_distribution_when_drawn_then_values_stay_in_range(text, low, high):
    distribution = Distribution.parse(text)
    rng = random.Random(1)
    values = [distribution.draw(rng) for _ in range(500)]
    assert all(low <= v <= high for v in values)
    assert str(distribution) == text


@pytest.mark.parametrize("text", ["", "uniform:4:1", "fixed", "gamma:1:2", "exp:x", "fixed:-1"])
def test_given_bad_distribution_then_the_error_says_what_to_write(text):
    with pytest.raises(OptionsError):
        Distribution.parse(text)


def test_given_220_agents_then_seats_spread_over_six_sipp_uas_with_their_own_draws():
    seats = tuple(f"seat{n:03d}" for n in range(1, 221))
    groups = plan_agents(seats, LoadOptions(agents=220))

    assert len(groups) == 6
    assert sum(len(g.seats) for g in groups) == 220
    assert len({g.port for g in groups}) == 6
    assert all(1000 <= p.ring_ms <= 4000 for g in groups for p in g.profiles)
    assert groups[0].profiles != groups[1].profiles
    assert LoadOptions(agents=10).instances == 4


def test_percentiles_nearest_rank():
    values = list(range(1, 101))
    assert report.percentile(values, 50) == 50
    assert report.percentile(values, 99) == 99
    assert report.percentile([], 99) is None
    assert report.service_level([1000, 16000, 15000, 2000]) == 0.75


def test_given_histogram_then_quantile_interpolates_inside_the_bucket_and_skips_long_commands():
    registry = CollectorRegistry()
    histogram = Histogram("agi", "x", ["command"], buckets=(0.001, 0.002, 0.005), registry=registry)
    for _ in range(90):
        histogram.labels("SET VARIABLE").observe(0.0005)
    for _ in range(10):
        histogram.labels("SET VARIABLE").observe(0.003)
    for _ in range(100):
        histogram.labels("GET DATA").observe(4.0)

    p99 = report.histogram_quantile(registry, "agi", 0.99, {"GET DATA"})
    assert p99 is not None and 0.002 < p99 <= 0.005
    assert report.histogram_quantile(registry, "missing", 0.99) is None


def test_given_keys_then_call_audio_is_one_rtp_stream_with_growing_sequence(tmp_path: Path):
    path = tmp_path / "call.pcap"
    write_call_audio(path, "91", first_key_ms=1000, between_keys_ms=300, length_ms=3000)
    data = path.read_bytes()[24:]
    seqs, types, at = [], [], 0
    while at < len(data):
        _s, _us, length, _orig = struct.unpack("<IIII", data[at : at + 16])
        rtp = data[at + 16 + 14 + 20 + 8 : at + 16 + length]
        seqs.append(struct.unpack("!H", rtp[2:4])[0])
        types.append(rtp[1] & 0x7F)
        at += 16 + length
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert types.count(101) == 2 * 9  # two keys, 6 tone packets and 3 ends each
    assert types.count(0) > 100


def test_load_agent_scenario_branches_with_chances_that_make_profiles_equally_likely():
    text = render_scenario("load_agent", profiles=[AgentProfile(1000, 2000)] * 4)
    assert 'chance="0.250000"' in text
    assert 'chance="0.333333"' in text
    assert 'chance="0.500000"' in text
    assert text.count('<label id="profile') == 4
