"""AMI codec: Asterisk 22-shaped traffic in, the same messages out however the bytes arrive."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ami.codec import AmiConnection, FrameDecoder, encode_action, parse_recording, split_line
from ami.errors import AmiProtocolError, AmiUnsafeValue
from ami.messages import Event, Greeting, Items, Message, Response, first_wins

NO_DB = settings(database=None, deadline=None)


def wire(text: str) -> bytes:
    """Literal traffic written with LF, sent as Asterisk does, with CRLF."""
    return text.replace("\n", "\r\n").encode()


def resp(action_id: str | None, status: str, message: str | None, items: Items) -> Response:
    return Response(action_id, status, message, first_wins(items), items)


def ev(name: str, action_id: str | None, items: Items) -> Event:
    return Event(name, action_id, first_wins(items), items)


CHANNEL_STATE: Items = (
    ("Channel", "PJSIP/trunk-00000001"),
    ("ChannelState", "4"),
    ("ChannelStateDesc", "Ring"),
    ("CallerIDNum", "13800138000"),
    ("CallerIDName", "<unknown>"),
    ("ConnectedLineNum", "<unknown>"),
    ("ConnectedLineName", "<unknown>"),
    ("Language", "en"),
    ("AccountCode", ""),
    ("Context", "from-trunk"),
    ("Exten", "12333"),
    ("Priority", "1"),
    ("Uniqueid", "1717000000.1"),
    ("Linkedid", "1717000000.1"),
)
# Asterisk writes "AccountCode: " with the space even when the value is empty.
CHANNEL_STATE_WIRE = "".join(f"{key}: {value}\n" for key, value in CHANNEL_STATE)

# (what, bytes as Asterisk 22 writes them, the message they mean)
TRAFFIC: list[tuple[str, bytes, Message]] = [
    (
        "banner",
        wire("Asterisk Call Manager/11.0.0\n"),
        Greeting("11.0.0", "Asterisk Call Manager/11.0.0"),
    ),
    (
        "login accepted",
        wire("Response: Success\nActionID: 1\nMessage: Authentication accepted\n\n"),
        resp(
            "1",
            "Success",
            "Authentication accepted",
            (("Response", "Success"), ("ActionID", "1"), ("Message", "Authentication accepted")),
        ),
    ),
    (
        "fully booted",
        wire(
            "Event: FullyBooted\nPrivilege: system,all\nUptime: 15\nLastReload: 15\n"
            "Status: Fully Booted\n\n"
        ),
        ev(
            "FullyBooted",
            None,
            (
                ("Event", "FullyBooted"),
                ("Privilege", "system,all"),
                ("Uptime", "15"),
                ("LastReload", "15"),
                ("Status", "Fully Booted"),
            ),
        ),
    ),
    (
        "newchannel with channel variables",
        wire(
            "Event: Newchannel\nPrivilege: call,all\n"
            + CHANNEL_STATE_WIRE
            + "ChanVariable: HOTLINE_CALL=c-42\nChanVariable: HOTLINE_SKILL=pension\n\n"
        ),
        ev(
            "Newchannel",
            None,
            (
                ("Event", "Newchannel"),
                ("Privilege", "call,all"),
                *CHANNEL_STATE,
                ("ChanVariable", "HOTLINE_CALL=c-42"),
                ("ChanVariable", "HOTLINE_SKILL=pension"),
            ),
        ),
    ),
    (
        "core show channels starts",
        wire("Response: Success\nActionID: 2\nEventList: start\nMessage: Channels will follow\n\n"),
        resp(
            "2",
            "Success",
            "Channels will follow",
            (
                ("Response", "Success"),
                ("ActionID", "2"),
                ("EventList", "start"),
                ("Message", "Channels will follow"),
            ),
        ),
    ),
    (
        "core show channel item",
        wire(
            "Event: CoreShowChannel\nActionID: 2\n"
            + CHANNEL_STATE_WIRE
            + "Application: Queue\nApplicationData: pension,t,,,300\nDuration: 00:00:12\n"
            "BridgeId: \n\n"
        ),
        ev(
            "CoreShowChannel",
            "2",
            (
                ("Event", "CoreShowChannel"),
                ("ActionID", "2"),
                *CHANNEL_STATE,
                ("Application", "Queue"),
                ("ApplicationData", "pension,t,,,300"),
                ("Duration", "00:00:12"),
                ("BridgeId", ""),
            ),
        ),
    ),
    (
        "core show channels complete",
        wire("Event: CoreShowChannelsComplete\nActionID: 2\nEventList: Complete\nListItems: 1\n\n"),
        ev(
            "CoreShowChannelsComplete",
            "2",
            (
                ("Event", "CoreShowChannelsComplete"),
                ("ActionID", "2"),
                ("EventList", "Complete"),
                ("ListItems", "1"),
            ),
        ),
    ),
    (
        "device state list starts",
        wire(
            "Response: Success\nActionID: 3\nEventList: start\n"
            "Message: Device State Changes will follow\n\n"
        ),
        resp(
            "3",
            "Success",
            "Device State Changes will follow",
            (
                ("Response", "Success"),
                ("ActionID", "3"),
                ("EventList", "start"),
                ("Message", "Device State Changes will follow"),
            ),
        ),
    ),
    (
        "device state item",
        wire(
            "Event: DeviceStateChange\nActionID: 3\nDevice: PJSIP/agent1001\nState: NOT_INUSE\n\n"
        ),
        ev(
            "DeviceStateChange",
            "3",
            (
                ("Event", "DeviceStateChange"),
                ("ActionID", "3"),
                ("Device", "PJSIP/agent1001"),
                ("State", "NOT_INUSE"),
            ),
        ),
    ),
    (
        "device state list complete",
        wire("Event: DeviceStateListComplete\nActionID: 3\nEventList: Complete\nListItems: 1\n\n"),
        ev(
            "DeviceStateListComplete",
            "3",
            (
                ("Event", "DeviceStateListComplete"),
                ("ActionID", "3"),
                ("EventList", "Complete"),
                ("ListItems", "1"),
            ),
        ),
    ),
    (
        "hangup",
        wire(
            "Event: Hangup\nPrivilege: call,all\n"
            + CHANNEL_STATE_WIRE
            + "Cause: 16\nCause-txt: Normal Clearing\n\n"
        ),
        ev(
            "Hangup",
            None,
            (
                ("Event", "Hangup"),
                ("Privilege", "call,all"),
                *CHANNEL_STATE,
                ("Cause", "16"),
                ("Cause-txt", "Normal Clearing"),
            ),
        ),
    ),
    (
        "async originate queued",
        wire("Response: Success\nActionID: 4\nMessage: Originate successfully queued\n\n"),
        resp(
            "4",
            "Success",
            "Originate successfully queued",
            (
                ("Response", "Success"),
                ("ActionID", "4"),
                ("Message", "Originate successfully queued"),
            ),
        ),
    ),
    (
        "originate response event (it carries a Response: field too)",
        wire(
            "Event: OriginateResponse\nPrivilege: call,all\nActionID: 4\nResponse: Success\n"
            "Channel: PJSIP/agent1001-00000002\nContext: agents\nExten: 1001\nApplication: \n"
            "Data: \nReason: 4\nUniqueid: 1717000000.2\nCallerIDNum: <unknown>\n"
            "CallerIDName: <unknown>\n\n"
        ),
        ev(
            "OriginateResponse",
            "4",
            (
                ("Event", "OriginateResponse"),
                ("Privilege", "call,all"),
                ("ActionID", "4"),
                ("Response", "Success"),
                ("Channel", "PJSIP/agent1001-00000002"),
                ("Context", "agents"),
                ("Exten", "1001"),
                ("Application", ""),
                ("Data", ""),
                ("Reason", "4"),
                ("Uniqueid", "1717000000.2"),
                ("CallerIDNum", "<unknown>"),
                ("CallerIDName", "<unknown>"),
            ),
        ),
    ),
    (
        "permission denied",
        wire("Response: Error\nActionID: 5\nMessage: Permission denied\n\n"),
        resp(
            "5",
            "Error",
            "Permission denied",
            (("Response", "Error"), ("ActionID", "5"), ("Message", "Permission denied")),
        ),
    ),
    (
        "command output keeps indentation and colons",
        wire(
            "Response: Success\nActionID: 6\nMessage: Command output follows\n"
            "Output: Uptime: 2 minutes, 3 seconds\nOutput:   Name/username   Host\n\n"
        ),
        resp(
            "6",
            "Success",
            "Command output follows",
            (
                ("Response", "Success"),
                ("ActionID", "6"),
                ("Message", "Command output follows"),
                ("Output", "Uptime: 2 minutes, 3 seconds"),
                ("Output", "  Name/username   Host"),
            ),
        ),
    ),
    (
        "goodbye",
        wire("Response: Goodbye\nActionID: 7\nMessage: Thanks for all the fish.\n\n"),
        resp(
            "7",
            "Goodbye",
            "Thanks for all the fish.",
            (("Response", "Goodbye"), ("ActionID", "7"), ("Message", "Thanks for all the fish.")),
        ),
    ),
]

SESSION = b"".join(data for _, data, _ in TRAFFIC)
EXPECTED = [message for _, _, message in TRAFFIC]


def feed(chunks: list[bytes], **options: bool) -> list[Message]:
    connection = AmiConnection(**options)
    messages: list[Message] = []
    for chunk in chunks:
        connection.receive_data(chunk)
        while (message := connection.next_message()) is not None:
            messages.append(message)
    assert connection.at_boundary
    return messages


@pytest.mark.parametrize(("what", "data", "expected"), TRAFFIC[1:], ids=[t[0] for t in TRAFFIC[1:]])
def test_given_one_asterisk_message_when_fed_whole_then_it_decodes_exactly(
    what: str, data: bytes, expected: Message
) -> None:
    assert feed([data], expect_greeting=False) == [expected]


def test_given_a_session_when_fed_whole_then_every_message_comes_out_in_order() -> None:
    assert feed([SESSION]) == EXPECTED


def test_given_a_session_when_fed_byte_by_byte_then_the_messages_are_the_same() -> None:
    assert feed([SESSION[i : i + 1] for i in range(len(SESSION))]) == EXPECTED


@NO_DB
@given(st.lists(st.integers(min_value=0, max_value=len(SESSION)), max_size=40))
def test_given_a_session_when_split_at_random_points_then_the_messages_are_the_same(
    cuts: list[int],
) -> None:
    points = [0, *sorted(cuts), len(SESSION)]
    chunks = [SESSION[a:b] for a, b in itertools.pairwise(points)]
    assert feed(chunks) == EXPECTED


def test_given_bare_lf_line_endings_when_fed_then_messages_match_the_crlf_ones() -> None:
    assert feed([SESSION.replace(b"\r\n", b"\n")]) == EXPECTED


def test_given_a_recorded_file_when_parsed_then_it_gives_the_session_messages() -> None:
    assert parse_recording(SESSION) == EXPECTED


def test_given_a_recording_cut_mid_message_when_parsed_then_protocol_error() -> None:
    with pytest.raises(AmiProtocolError, match="inside an AMI message"):
        parse_recording(SESSION[:-3])


def test_given_blank_lines_between_messages_when_fed_then_they_are_padding() -> None:
    data = b"\r\n\r\n" + TRAFFIC[1][1] + b"\r\n\n" + TRAFFIC[2][1]
    assert feed([data], expect_greeting=False) == [TRAFFIC[1][2], TRAFFIC[2][2]]


def test_given_repeated_keys_when_looked_up_then_get_is_first_and_get_all_is_every_value() -> None:
    newchannel = TRAFFIC[3][2]
    assert isinstance(newchannel, Event)
    assert newchannel.get("ChanVariable") == "HOTLINE_CALL=c-42"
    assert newchannel.get_all("chanvariable") == ("HOTLINE_CALL=c-42", "HOTLINE_SKILL=pension")
    assert newchannel.fields["Exten"] == "12333"


def test_given_other_key_spelling_when_get_then_lookup_is_case_insensitive() -> None:
    hangup = TRAFFIC[10][2]
    assert isinstance(hangup, Event)
    assert hangup.get("Cause-Txt") == "Normal Clearing"
    assert hangup.get("Missing") is None
    assert hangup.get("Missing", "x") == "x"


def test_given_value_with_colon_space_when_split_then_only_the_first_colon_splits() -> None:
    assert split_line("Data: a: b: c") == ("Data", "a: b: c")
    assert split_line("Key:") == ("Key", "")
    assert split_line("Key:tight") == ("Key", "tight")
    assert split_line("no colon here") == ("", "no colon here")


def test_given_legacy_follows_response_when_fed_then_raw_output_becomes_output_items() -> None:
    data = (
        b"Response: Follows\r\nPrivilege: Command\r\nActionID: 9\r\n"
        b"System uptime: 46 minutes\n\nsecond: block\n--END COMMAND--\r\n\r\n"
    )
    [message] = feed([data], expect_greeting=False)
    assert isinstance(message, Response)
    assert (message.status, message.action_id) == ("Follows", "9")
    assert message.get_all("Output") == ("System uptime: 46 minutes", "", "second: block")


def test_given_non_utf8_caller_name_when_fed_then_it_is_replaced_not_fatal() -> None:
    data = b"Event: Newchannel\r\nCallerIDName: \xd5\xc5\xc8\xfd\r\n\r\n"  # GBK bytes
    [message] = feed([data], expect_greeting=False)
    assert isinstance(message, Event)
    assert "\ufffd" in message.get("CallerIDName", "")


def test_given_a_message_over_the_cap_when_fed_then_protocol_error() -> None:
    connection = AmiConnection(expect_greeting=False, max_message_size=1000)
    connection.receive_data(b"Event: Flood\r\n" + b"Key: value\r\n" * 200)
    with pytest.raises(AmiProtocolError, match="larger than 1000"):
        connection.next_message()


def test_given_a_line_that_never_ends_when_fed_then_protocol_error_not_unbounded_buffer() -> None:
    connection = AmiConnection(expect_greeting=False, max_line_size=100)
    connection.receive_data(b"Event: " + b"x" * 60)
    assert connection.next_message() is None
    connection.receive_data(b"x" * 60)
    with pytest.raises(AmiProtocolError, match="longer than 100"):
        connection.next_message()


def test_given_a_peer_that_is_not_asterisk_when_greeting_then_protocol_error() -> None:
    connection = AmiConnection()
    connection.receive_data(b"HTTP/1.1 400 Bad Request\r\n")
    with pytest.raises(AmiProtocolError, match="not an AMI banner"):
        connection.next_message()


def test_given_a_message_of_neither_kind_when_fed_then_protocol_error() -> None:
    connection = AmiConnection(expect_greeting=False)
    connection.receive_data(b"Action: Ping\r\n\r\n")
    with pytest.raises(AmiProtocolError, match="not Response or Event"):
        connection.next_message()


def test_given_fields_with_repeats_when_encoded_then_bytes_are_exact() -> None:
    data = encode_action(
        "Originate",
        "hl-7",
        [
            ("Channel", "PJSIP/agent1001"),
            ("Variable", "HOTLINE_CALL=c-42"),
            ("Variable", "HOTLINE_SKILL=pension"),
            ("Async", "true"),
            ("Timeout", 30000),
        ],
    )
    assert data == (
        b"Action: Originate\r\nActionID: hl-7\r\nChannel: PJSIP/agent1001\r\n"
        b"Variable: HOTLINE_CALL=c-42\r\nVariable: HOTLINE_SKILL=pension\r\n"
        b"Async: true\r\nTimeout: 30000\r\n\r\n"
    )


def test_given_a_mapping_when_encoded_then_fields_follow_in_order() -> None:
    data = encode_action("QueueAdd", "1", {"Queue": "pension", "Interface": "PJSIP/1001"})
    assert (
        data
        == b"Action: QueueAdd\r\nActionID: 1\r\nQueue: pension\r\nInterface: PJSIP/1001\r\n\r\n"
    )


@pytest.mark.parametrize(
    ("name", "action_id", "fields"),
    [
        ("Originate", "1", {"CallerID": "x\r\nAction: Hangup\r\nChannel: PJSIP/1001"}),
        ("Originate", "1", {"CallerID": "x\nAction: Hangup"}),
        ("Originate", "1", {"CallerID": "x\rAction: Hangup"}),
        ("Originate", "1", {"CallerID": "x\0y"}),
        ("Originate", "1\r\nAction: Hangup", {}),
        ("Ping\r\nAction: Hangup", "1", {}),
        ("Originate", "1", {"Bad\r\nKey": "v"}),
        ("Originate", "1", {"Bad Key": "v"}),
        ("Originate", "1", {"Bad:Key": "v"}),
        ("Originate", "1", {"ActionID": "2"}),
        ("Originate", "1", {"action": "Hangup"}),
        ("Originate", "", {}),
        ("Originate", "1", {"Async": True}),
    ],
)
def test_given_unsafe_input_when_encoded_then_it_is_refused(
    name: str, action_id: str, fields: dict[str, str]
) -> None:
    with pytest.raises(AmiUnsafeValue):
        encode_action(name, action_id, fields)


def test_given_a_secret_with_a_newline_when_refused_then_the_message_does_not_echo_it() -> None:
    with pytest.raises(AmiUnsafeValue) as caught:
        encode_action("Login", "1", {"Username": "hotline", "Secret": "hunter2\n"})
    assert "hunter2" not in str(caught.value)


KEYS = st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True).filter(
    lambda key: key.casefold() not in {"action", "actionid"}
)
VALUES = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\r\n\0"), max_size=60)


@NO_DB
@given(
    name=st.from_regex(r"[A-Za-z]{1,20}", fullmatch=True),
    action_id=VALUES.filter(bool),
    fields=st.lists(st.tuples(KEYS, VALUES), max_size=10),
)
def test_given_safe_fields_when_encoded_and_decoded_then_every_pair_comes_back(
    name: str, action_id: str, fields: list[tuple[str, str]]
) -> None:
    decoder = FrameDecoder()
    decoder.receive_data(encode_action(name, action_id, fields))
    assert decoder.next_frame() == (("Action", name), ("ActionID", action_id), *fields)
    assert decoder.at_boundary
