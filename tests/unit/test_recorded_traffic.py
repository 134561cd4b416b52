"""The codecs on traffic recorded from the real Asterisk 22 (tests/fixtures/record_traffic.py),
fed whole and split at random points: the result must not depend on how TCP cut the bytes."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from agi import AgiErrorReply, AgiReply, EnvironmentParser, ReplyParser
from ami import ActionTracker, AmiConnection, Completed, Event, Expect, Greeting, Response
from ami.codec import parse_recording

FIXTURES = Path(__file__).parent.parent / "fixtures"
AMI_CALL = (FIXTURES / "ami_asterisk22_call.bin").read_bytes()
AGI_SESSION = (FIXTURES / "agi_asterisk22_session.bin").read_bytes()


def chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


def ami_messages(pieces: list[bytes]) -> list[object]:
    connection = AmiConnection()
    out: list[object] = []
    for piece in pieces:
        connection.receive_data(piece)
        while (message := connection.next_message()) is not None:
            out.append(message)
    return out


def test_given_recorded_ami_call_when_parsed_then_a_routed_call_is_seen_end_to_end() -> None:
    messages = parse_recording(AMI_CALL)
    assert isinstance(messages[0], Greeting)
    assert isinstance(messages[1], Response)
    assert messages[1].status == "Success"
    names = [m.name for m in messages if isinstance(m, Event)]
    for expected in ("Newchannel", "DialBegin", "DialEnd", "BridgeEnter", "Hangup"):
        assert expected in names, expected
    dial_end = next(m for m in messages if isinstance(m, Event) and m.name == "DialEnd")
    assert dial_end.get("DialStatus") == "ANSWER"
    assert dial_end.get("DestChannel", "").startswith("PJSIP/seat001-")
    assert isinstance(messages[-1], Response)
    assert messages[-1].status == "Goodbye"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(AMI_CALL)), max_size=40))
def test_given_recorded_ami_bytes_split_anywhere_then_the_same_messages(cuts: list[int]) -> None:
    assert ami_messages(chunks(AMI_CALL, cuts)) == parse_recording(AMI_CALL)


def test_given_recorded_event_lists_when_tracked_then_each_action_completes_with_its_items() -> (
    None
):
    tracker = ActionTracker()
    tracker.register("rec-2", Expect.EVENT_LIST)
    tracker.register("rec-3", Expect.EVENT_LIST)
    tracker.register("rec-4", Expect.RESPONSE)
    done: dict[str, Completed] = {}
    for message in parse_recording(AMI_CALL):
        if isinstance(message, Greeting):
            continue
        result = tracker.feed(message)
        if isinstance(result, Completed):
            done[result.action_id] = result
    assert set(done) == {"rec-2", "rec-3", "rec-4"}
    assert all(e.name == "CoreShowChannel" for e in done["rec-2"].events)
    devices = [e.get("Device", "") for e in done["rec-3"].events]
    assert "PJSIP/seat001" in devices
    assert done["rec-4"].response.get("Ping") == "Pong"


def agi_events(pieces: list[bytes]) -> tuple[dict[str, str], list[object]]:
    parser = EnvironmentParser()
    replies = ReplyParser()
    env = None
    events: list[object] = []
    for piece in pieces:
        if env is None:
            env = parser.receive_data(piece)
            if env is not None:
                replies.receive_data(parser.leftover)
            continue
        replies.receive_data(piece)
    assert env is not None
    while (event := replies.next_event()) is not None:
        events.append(event)
    return dict(env.raw), events


def test_given_recorded_fastagi_session_when_parsed_then_environment_and_replies_match() -> None:
    raw, events = agi_events([AGI_SESSION])
    assert raw["agi_network_script"] == "inbound"
    assert raw["agi_dnid"] == "12333"
    assert raw["agi_channel"].startswith("PJSIP/trunk-")
    assert raw["agi_version"].startswith("22.")
    kinds = [(type(e).__name__, getattr(e, "code", None)) for e in events]
    assert kinds == [
        ("AgiReply", 200),  # GET VARIABLE CHANNEL(linkedid)
        ("AgiReply", 200),  # STREAM FILE of a missing file: result=-1
        ("AgiErrorReply", 510),  # an unknown command
        ("AgiErrorReply", 520),  # GET DATA without arguments: the usage text
        ("AgiReply", 200),  # GET DATA: the key pressed
        ("AgiReply", 200),  # SET VARIABLE
        ("AgiReply", 200),  # SET MUSIC
        ("AgiHangupNotice", None),  # the caller hung up while hearing music
    ]
    assert isinstance(events[0], AgiReply)
    assert events[0].data == raw["agi_uniqueid"]
    assert isinstance(events[1], AgiReply)
    assert events[1].result == -1
    assert isinstance(events[3], AgiErrorReply)
    assert len(events[3].lines) >= 3
    assert isinstance(events[4], AgiReply)
    assert events[4].result_text == "1"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(AGI_SESSION)), max_size=30))
def test_given_recorded_fastagi_bytes_split_anywhere_then_the_same_result(cuts: list[int]) -> None:
    assert agi_events(chunks(AGI_SESSION, cuts)) == agi_events([AGI_SESSION])
