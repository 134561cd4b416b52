"""Environment block and reply parsing, on traffic shaped like Asterisk 22's, split anywhere."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agi import (
    AgiDeadChannel,
    AgiEnvironment,
    AgiEnvironmentTooLarge,
    AgiErrorReply,
    AgiEvent,
    AgiHangupNotice,
    AgiInvalidCommand,
    AgiMalformedEnvironment,
    AgiProtocolError,
    AgiProvisional,
    AgiReply,
    AgiReplyError,
    AgiUsageError,
    EnvironmentParser,
    ReplyParser,
    parse_request_url,
    raise_for_reply,
)

ASTERISK22_ENV = (
    b"agi_network: yes\n"
    b"agi_network_script: inbound\n"
    b"agi_request: agi://127.0.0.1:4573/inbound\n"
    b"agi_channel: PJSIP/trunk-00000001\n"
    b"agi_language: en\n"
    b"agi_type: PJSIP\n"
    b"agi_uniqueid: 1764285000.12\n"
    b"agi_version: 22.10.1\n"
    b"agi_callerid: 13800138000\n"
    b"agi_calleridname: \xe5\xbc\xa0\xe4\xb8\x89\n"
    b"agi_callingpres: 0\n"
    b"agi_callingani2: 0\n"
    b"agi_callington: 0\n"
    b"agi_callingtns: 0\n"
    b"agi_dnid: 12333\n"
    b"agi_rdnis: unknown\n"
    b"agi_context: hotline-inbound\n"
    b"agi_extension: 12333\n"
    b"agi_priority: 4\n"
    b"agi_enhanced: 0.0\n"
    b"agi_accountcode: \n"
    b"agi_threadid: 140000000000\n"
    b"agi_arg_1: x\n"
    b"\n"
)

# A recorded-style transcript of replies, with the unsolicited HANGUP in between.
REPLY_TRANSCRIPT = (
    b"200 result=0\n"
    b"200 result=0 endpos=48000\n"
    b"100 result=0 Trying...\n"
    b"200 result=1 (Zhang San (VIP))\n"
    b"200 result=12 (timeout)\n"
    b"510 Invalid or unknown command\n"
    b"520-Invalid command syntax.  Proper usage follows:\n"
    b" Usage: STREAM FILE <filename> <escape digits> [sample offset]\n"
    b"\n"
    b"520 End of proper usage.\n"
    b"HANGUP\n"
    b"511 Command Not Permitted on a dead channel or intercept routine\n"
)


def parse_env(chunks: Sequence[bytes], **limits: int) -> tuple[AgiEnvironment | None, bytes]:
    parser = EnvironmentParser(**limits)
    result = None
    for chunk in chunks:
        result = parser.receive_data(chunk)
        if result is not None:
            break
    return result, parser.leftover


def split_at(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


def parse_replies(chunks: Sequence[bytes]) -> list[AgiEvent]:
    parser = ReplyParser()
    events: list[AgiEvent] = []
    for chunk in chunks:
        parser.receive_data(chunk)
        while (event := parser.next_event()) is not None:
            events.append(event)
    return events


# -- environment --------------------------------------------------------------------------


def test_given_asterisk22_env_block_when_parsed_whole_then_fields_are_typed() -> None:
    env, leftover = parse_env([ASTERISK22_ENV])

    assert env is not None
    assert leftover == b""
    assert env.network is True
    assert env.network_script == "inbound"
    assert env.request == "agi://127.0.0.1:4573/inbound"
    assert env.script == "inbound"
    assert dict(env.params) == {}
    assert env.channel == "PJSIP/trunk-00000001"
    assert (env.language, env.type, env.uniqueid) == ("en", "PJSIP", "1764285000.12")
    assert env.version == "22.10.1"
    assert (env.callerid, env.calleridname, env.callingpres) == ("13800138000", "张三", 0)
    assert (env.dnid, env.rdnis) == ("12333", "unknown")
    assert (env.context, env.extension, env.priority) == ("hotline-inbound", "12333", 4)
    assert env.enhanced is False
    assert env.accountcode == ""
    assert env.threadid == "140000000000"
    assert env.args == ("x",)
    assert env.raw["agi_callingtns"] == "0"
    assert len(env.raw) == 23


def test_given_asterisk22_env_block_when_fed_byte_by_byte_then_same_result() -> None:
    whole, _ = parse_env([ASTERISK22_ENV])
    single = [ASTERISK22_ENV[i : i + 1] for i in range(len(ASTERISK22_ENV))]

    assert parse_env(single) == (whole, b"")


@given(cuts=st.lists(st.integers(0, len(ASTERISK22_ENV)), max_size=30))
def test_given_asterisk22_env_block_when_split_anywhere_then_same_result(cuts: list[int]) -> None:
    whole, _ = parse_env([ASTERISK22_ENV])

    assert parse_env(split_at(ASTERISK22_ENV, cuts)) == (whole, b"")


@given(cuts=st.lists(st.integers(0, 200), max_size=10))
def test_given_bytes_after_blank_line_when_split_anywhere_then_kept_as_leftover(
    cuts: list[int],
) -> None:
    data = ASTERISK22_ENV + b"HANGUP\n200 res"
    env, leftover = parse_env(split_at(data, cuts))

    assert env is not None
    assert leftover == b"HANGUP\n200 res"


def test_given_crlf_lines_when_parsed_then_accepted() -> None:
    env, _ = parse_env([b"agi_request: agi://h/s\r\nagi_channel: Local/1@x\r\n\r\n"])

    assert env is not None
    assert (env.script, env.channel) == ("s", "Local/1@x")


def test_given_invalid_utf8_when_parsed_then_replacement_characters() -> None:
    env, _ = parse_env([b"agi_calleridname: bad\xff\xfename\n\n"])

    assert env is not None
    assert env.calleridname == "bad\ufffd\ufffdname"


def test_given_value_containing_separator_when_parsed_then_split_on_first_only() -> None:
    env, _ = parse_env([b"agi_calleridname: a: b\n\n"])

    assert env is not None
    assert env.calleridname == "a: b"


def test_given_incomplete_block_when_parsed_then_none_until_blank_line() -> None:
    parser = EnvironmentParser()

    assert parser.receive_data(b"agi_network: yes\nagi_request: agi://h/s\n") is None
    assert parser.receive_data(b"\n") is not None


def test_given_args_with_gap_when_parsed_then_args_stop_at_gap() -> None:
    env, _ = parse_env([b"agi_arg_2: b\nagi_arg_1: a\nagi_arg_4: d\n\n"])

    assert env is not None
    assert env.args == ("a", "b")


@pytest.mark.parametrize(
    "block",
    [
        b"agi_network yes\n\n",
        b"EXEC System rm\n\n",
        b": value\n\n",
        b"agi_priority: four\n\n",
        b"agi_callingpres: x\n\n",
        b"agi_request: agi://host:port/s\n\n",
        # A caller ID name with a line break that smuggles a field Asterisk sends later.
        b"agi_calleridname: x\nagi_context: evil\nagi_context: hotline-inbound\n\n",
    ],
    ids=["no-separator", "command", "empty-key", "priority", "callingpres", "port", "repeat"],
)
def test_given_malformed_block_when_parsed_then_malformed_environment(block: bytes) -> None:
    with pytest.raises(AgiMalformedEnvironment):
        parse_env([block])


def feed_until_refused(parser: EnvironmentParser, chunk: bytes, limit: int) -> int:
    """Feed `chunk` repeatedly; return how many bytes went in before the parser refused."""
    fed = 0
    while fed < limit:
        try:
            parser.receive_data(chunk)
        except AgiEnvironmentTooLarge:
            return fed + len(chunk)
        fed += len(chunk)
    return fed


def test_given_one_huge_line_when_fed_in_chunks_then_refused_at_the_byte_limit() -> None:
    parser = EnvironmentParser(max_bytes=16384)
    parser.receive_data(b"agi_network: yes\nagi_junk: ")

    fed = feed_until_refused(parser, b"x" * 1024, limit=1_000_000)

    # Refused on the first chunk past the budget, not when the megabyte line ends.
    assert fed <= 16384 + 1024


def test_given_too_many_lines_when_parsed_then_too_large() -> None:
    block = b"".join(b"agi_arg_%d: x\n" % i for i in range(1, 11))

    with pytest.raises(AgiEnvironmentTooLarge):
        parse_env([block], max_lines=9)
    assert parse_env([block + b"\n"], max_lines=10)[0] is not None


def test_given_complete_block_when_more_data_fed_then_runtime_error() -> None:
    parser = EnvironmentParser()
    parser.receive_data(b"agi_network: yes\n\n")

    with pytest.raises(RuntimeError):
        parser.receive_data(b"x")


@pytest.mark.parametrize(
    ("url", "script", "params", "host", "port"),
    [
        ("agi://127.0.0.1:4573/inbound", "inbound", {}, "127.0.0.1", 4573),
        (
            "agi://127.0.0.1/inbound?x=y&lang=zh",
            "inbound",
            {"x": "y", "lang": "zh"},
            "127.0.0.1",
            None,
        ),
        (
            "agi://ctl:4573/ivr/main?queue=%E7%83%AD%E7%BA%BF&v=",
            "ivr/main",
            {"queue": "热线", "v": ""},
            "ctl",
            4573,
        ),
        ("hagi://hotline.example/inbound", "inbound", {}, "hotline.example", None),
        ("agi://h:4573/my%20script", "my script", {}, "h", 4573),
        ("agi://h:4573", "", {}, "h", 4573),
        ("/var/lib/asterisk/agi-bin/local.py", "/var/lib/asterisk/agi-bin/local.py", {}, "", None),
    ],
)
def test_given_request_url_when_parsed_then_script_and_params(
    url: str, script: str, params: dict[str, str], host: str, port: int | None
) -> None:
    parsed = parse_request_url(url)

    assert (parsed.script, dict(parsed.params), parsed.host, parsed.port) == (
        script,
        params,
        host,
        port,
    )


def test_given_env_with_query_when_parsed_then_params_on_environment() -> None:
    env, _ = parse_env([b"agi_request: agi://127.0.0.1:4573/inbound?line=12345\n\n"])

    assert env is not None
    assert (env.script, dict(env.params)) == ("inbound", {"line": "12345"})


# -- replies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("200 result=0", AgiReply(200, 0, None, None, "200 result=0", "0")),
        ("200 result=-1", AgiReply(200, -1, None, None, "200 result=-1", "-1")),
        (
            "200 result=49 endpos=12000",
            AgiReply(200, 49, None, 12000, "200 result=49 endpos=12000", "49"),
        ),
        ("200 result=1 (hello)", AgiReply(200, 1, "hello", None, "200 result=1 (hello)", "1")),
        ("200 result=1 ()", AgiReply(200, 1, "", None, "200 result=1 ()", "1")),
        (
            "200 result=1 (a (b) c) endpos=7",
            AgiReply(200, 1, "a (b) c", 7, "200 result=1 (a (b) c) endpos=7", "1"),
        ),
        (
            "200 result=0123 (timeout)",
            AgiReply(200, 123, "timeout", None, "200 result=0123 (timeout)", "0123"),
        ),
        ("200 result=12*# ", AgiReply(200, None, None, None, "200 result=12*# ", "12*#")),
        (
            "200 result= (timeout)",
            AgiReply(200, None, "timeout", None, "200 result= (timeout)", ""),
        ),
        (
            '200 result=1 (speech) endpos=0 results=1 score0=900 text0="hi"',
            AgiReply(
                200,
                1,
                "speech",
                0,
                '200 result=1 (speech) endpos=0 results=1 score0=900 text0="hi"',
                "1",
            ),
        ),
        (
            "200 result=1 (digit) digit=5 endpos=1234",
            AgiReply(200, 1, "digit", 1234, "200 result=1 (digit) digit=5 endpos=1234", "1"),
        ),
        ("200 result=0\r", AgiReply(200, 0, None, None, "200 result=0", "0")),
        ("100 result=0 Trying...", AgiProvisional("100 result=0 Trying...")),
        ("510 Invalid or unknown command", AgiErrorReply(510, ("510 Invalid or unknown command",))),
        (
            "511 Command Not Permitted on a dead channel or intercept routine",
            AgiErrorReply(
                511, ("511 Command Not Permitted on a dead channel or intercept routine",)
            ),
        ),
        (
            "520 Invalid command syntax.  Proper usage not available.",
            AgiErrorReply(520, ("520 Invalid command syntax.  Proper usage not available.",)),
        ),
        (
            "503 result=-2 Memory allocation failure",
            AgiErrorReply(503, ("503 result=-2 Memory allocation failure",)),
        ),
        ("HANGUP", AgiHangupNotice()),
    ],
)
def test_given_reply_line_when_parsed_then_event(line: str, expected: AgiEvent) -> None:
    assert parse_replies([line.encode() + b"\n"]) == [expected]


def test_given_multiline_520_when_parsed_then_one_event_with_all_lines() -> None:
    events = parse_replies(
        [
            b"520-Invalid command syntax.  Proper usage follows:\n"
            b" Usage: GET DATA <file to be streamed> [timeout] [max digits]\n"
            b"\n"
            b"520 End of proper usage.\n"
        ]
    )

    assert events == [
        AgiErrorReply(
            520,
            (
                "520-Invalid command syntax.  Proper usage follows:",
                " Usage: GET DATA <file to be streamed> [timeout] [max digits]",
                "",
                "520 End of proper usage.",
            ),
        )
    ]


def test_given_transcript_when_parsed_then_replies_and_hangup_in_order() -> None:
    events = parse_replies([REPLY_TRANSCRIPT])

    assert [type(e).__name__ for e in events] == [
        "AgiReply",
        "AgiReply",
        "AgiProvisional",
        "AgiReply",
        "AgiReply",
        "AgiErrorReply",
        "AgiErrorReply",
        "AgiHangupNotice",
        "AgiErrorReply",
    ]
    assert events[3] == AgiReply(
        200, 1, "Zhang San (VIP)", None, "200 result=1 (Zhang San (VIP))", "1"
    )
    assert events[4] == AgiReply(200, 12, "timeout", None, "200 result=12 (timeout)", "12")


@given(cuts=st.lists(st.integers(0, len(REPLY_TRANSCRIPT)), max_size=40))
def test_given_transcript_when_split_anywhere_then_same_events(cuts: list[int]) -> None:
    assert parse_replies(split_at(REPLY_TRANSCRIPT, cuts)) == parse_replies([REPLY_TRANSCRIPT])


def test_given_transcript_when_fed_byte_by_byte_then_same_events() -> None:
    single = [REPLY_TRANSCRIPT[i : i + 1] for i in range(len(REPLY_TRANSCRIPT))]

    assert parse_replies(single) == parse_replies([REPLY_TRANSCRIPT])


@pytest.mark.parametrize(
    "line",
    [b"", b"garbage", b"200 ok", b"200", b"20 result=0", b"hangup", b"EXEC System rm", b"\xff\xfe"],
)
def test_given_unparseable_line_when_parsed_then_protocol_error(line: bytes) -> None:
    with pytest.raises(AgiProtocolError):
        parse_replies([line + b"\n"])


def test_given_endless_line_when_fed_then_protocol_error_before_the_newline() -> None:
    parser = ReplyParser(max_line_bytes=1024)
    parser.receive_data(b"200 result=1 (" + b"x" * 2000)

    with pytest.raises(AgiProtocolError, match="longer than"):
        parser.next_event()


def test_given_endless_usage_block_when_fed_then_protocol_error() -> None:
    parser = ReplyParser(max_line_bytes=1024)
    parser.receive_data(b"520-Invalid command syntax.\n" + b"usage line\n" * 200)

    with pytest.raises(AgiProtocolError, match="520"):
        parser.next_event()


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        (AgiErrorReply(510, ("510 Invalid or unknown command",)), AgiInvalidCommand),
        (AgiErrorReply(511, ("511 Command Not Permitted",)), AgiDeadChannel),
        (AgiErrorReply(520, ("520-x", "usage", "520 End of proper usage.")), AgiUsageError),
        (AgiErrorReply(503, ("503 result=-2 Memory allocation failure",)), AgiReplyError),
    ],
)
def test_given_error_reply_when_checked_then_mapped_exception_with_data(
    reply: AgiErrorReply, error: type[AgiReplyError]
) -> None:
    with pytest.raises(error) as caught:
        raise_for_reply(reply, "STREAM FILE")

    assert type(caught.value) is error
    assert (caught.value.command, caught.value.code, caught.value.lines) == (
        "STREAM FILE",
        reply.code,
        reply.lines,
    )


def test_given_usage_error_then_usage_text_without_framing() -> None:
    error = AgiUsageError(
        "GET DATA", 520, ("520-Invalid", " Usage: GET DATA", "520 End of proper usage.")
    )

    assert error.usage == (" Usage: GET DATA",)


def test_given_success_reply_when_checked_then_returned() -> None:
    reply = AgiReply(200, 1, None, None, "200 result=1", "1")

    assert raise_for_reply(reply, "ANSWER") is reply
