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
from hotline.sipp import runner
from hotline.sipp.call_audio import DTMF_PACKET_BYTES, key_stream_ms, write_key_stream
from hotline.sipp.load_parties import AgentProfile, load_callers
from hotline.sipp.runner import Caller, CallerPath, render_scenario

RECORDED = Path(__file__).parent.parent / "fixtures" / "channelstats"


def test_given_recorded_channelstats_then_every_bridged_and_unbridged_leg_is_read():
    # A 20-line run of `hotline load` on Asterisk 22: 10 callers in the IVR or waiting, 10 calls
    # bridged to agents (bridge id first), no loss; "Objects found: 30" at the end.
    text = (RECORDED / "small_run.txt").read_text(encoding="utf-8")
    legs = probes.parse_channelstats(text)

    assert len(legs) == text.count(" ulaw ") == 30
    assert legs[0] == probes.RtpLeg("trunk-0000005c", 626, 0)
    assert sum(leg.channel.startswith("seat") for leg in legs) == 10
    loss = probes.rtp_loss(legs)
    assert loss.received == sum(leg.received for leg in legs) > 10_000
    assert loss.pct == 0.0
    assert probes.rtp_loss([]).pct is None


def test_given_large_counts_then_thousands_are_read_and_unsigned_negatives_come_back_negative():
    # Asterisk prints counts above 100000 divided by 1000 with "K", and the lost count as an
    # unsigned int: -5 lost (more packets than the sequence numbers span) reads 4294967K.
    text = (
        " 0bdd3b5e seat002-0000009f   01:02:11 ulaw    123K 4294967K    0   0.000    583       0"
        "    0   0.000   0.000\n"
        "          trunk-00000087     00:00:12 ulaw      596      12    2   0.000    593       0"
        "    0   0.000   0.000\n"
        "          trunk-00000088     00:00:01           30       0    0   0.000     31       0"
        "    0   0.000   0.000\n"
        " PJSIP/trunk-00000089 not valid\n"
    )
    legs = probes.parse_channelstats(text)

    assert legs == [
        probes.RtpLeg("seat002-0000009f", 123_000, 4_294_967_000 - 2**32),
        probes.RtpLeg("trunk-00000087", 596, 12),
        probes.RtpLeg("trunk-00000088", 30, 0),
    ]
    loss = probes.rtp_loss(legs)
    assert (loss.lost, loss.legs_negative, loss.legs_over_1pct) == (12, 1, 1)
    assert loss.pct == pytest.approx(100 * 12 / (123_000 + 626 + 12), abs=0.001)
    assert probes.rtp_loss(legs, "trunk-").legs == 2


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


def test_given_a_key_then_its_stream_file_is_four_tone_packets_and_one_end_in_50_byte_chunks(
    tmp_path: Path,
):
    path = tmp_path / "key.rtp"
    write_key_stream(path, "#")
    data = path.read_bytes()

    chunks = [data[i : i + DTMF_PACKET_BYTES] for i in range(0, len(data), DTMF_PACKET_BYTES)]
    events = [struct.unpack("!BBH", chunk[:4]) for chunk in chunks]
    assert len(data) == 5 * DTMF_PACKET_BYTES
    assert {code for code, _flags, _duration in events} == {11}
    assert [flags & 0x80 for _code, flags, _duration in events] == [0, 0, 0, 0, 0x80]
    durations = [duration for _code, _flags, duration in events]
    assert durations == sorted(durations) and durations[0] == 240
    assert key_stream_ms() == 150
    with pytest.raises(ValueError, match="not a DTMF key"):
        write_key_stream(path, "x")


def test_given_paths_then_load_caller_streams_voice_and_switches_to_each_key_file(tmp_path: Path):
    people = [Caller("13910000001", "a", 0), Caller("13910000002", "b", 1)]
    instance = load_callers(
        tmp_path, target="127.0.0.1:5060", service="12333", local_port=5070, people=people,
        paths=[CallerPath("1"), CallerPath("91", first_key_ms=2000, between_keys_ms=500)],
        rate_per_s=2.5, limit=600, timeout_s=60,
    )  # fmt: skip
    text = (tmp_path / "load_callers.xml").read_text(encoding="utf-8")

    assert "m=audio [rtpstream_audio_port] RTP/AVP 0 98" in text
    assert "a=rtpmap:98 telephone-event/8000" in text
    assert "play_pcap_audio" not in text
    assert text.count(f'rtp_stream="{tmp_path}/voice.ulaw,-1,0"') == 1 + 3  # answer, 3 keys
    assert text.count(f'rtp_stream="{tmp_path}/key_9.rtp,1,98"') == 1
    assert text.count(f'rtp_stream="{tmp_path}/key_1.rtp,1,98"') == 2
    assert '<pause milliseconds="500"/>' in text
    assert len((tmp_path / "voice.ulaw").read_bytes()) == 8000
    assert instance.argv[instance.argv.index("-max_socket") + 1] == "1200"


def test_given_the_same_shape_then_both_caller_builders_share_their_command_line(tmp_path: Path):
    people = [Caller(f"1391000000{n}", "x", 0) for n in range(3)]
    shape = {"target": "127.0.0.1:5060", "service": "12333", "local_port": 5070,
             "people": people, "paths": [CallerPath("1")], "rate_per_s": 0.5, "limit": 20,
             "timeout_s": 90}  # fmt: skip
    plain = runner.callers(tmp_path / "a", **shape, control_port=8881, media_port=30000)
    load = load_callers(tmp_path / "b", **shape, control_port=8881, media_port=30000)

    def options(argv: list[str]) -> list[str]:
        return [a for a in argv[2:] if not a.startswith(str(tmp_path))]

    rate = plain.argv.index("-r")
    assert plain.argv[rate : rate + 4] == ["-r", "500", "-rp", "1000000"]  # 0.5 calls/s
    assert plain.argv[plain.argv.index("-m") + 1] == "3"
    assert [a for a in options(load.argv) if a not in {"-max_socket", "1024"}] == options(
        plain.argv
    )


def test_load_agent_scenario_branches_with_chances_that_make_profiles_equally_likely():
    text = render_scenario("load_agent", profiles=[AgentProfile(1000, 2000)] * 4)
    assert 'chance="0.250000"' in text
    assert 'chance="0.333333"' in text
    assert 'chance="0.500000"' in text
    assert text.count('<label id="profile') == 4
