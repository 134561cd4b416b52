"""A call's trace: outcomes, wait and talk times, hostile caller IDs, the stored record."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.calls import CallTrace, clean_name, clean_number
from hotline.storage import CallRecord, Outcome, StepKind
from hotline.storage.records import CALL_TEXT_LIMITS

NO_DB = settings(database=None, deadline=None)
T0 = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def arrive(number: str = "13800138000", name: str = "张三", dialed: str = "12333") -> CallTrace:
    return CallTrace.arrive("1709256600.42", "1709256600.42", number, name, dialed, at=T0)


def kinds(trace: CallTrace) -> list[StepKind]:
    return [step.kind for step in trace.steps]


# ---- outcomes ----------------------------------------------------------------------------------


def test_given_caller_answered_by_agent_when_call_ends_then_outcome_answered_with_times() -> None:
    trace = arrive()
    trace.enter_queue("general", "pension", position=1, at=at(10))
    trace.offer("A001", "seat001", at(12))
    trace.answer("A001", "seat001", at(15.25))
    trace.end("Normal Clearing", at(195.5))
    assert trace.outcome() is Outcome.ANSWERED
    assert trace.wait_ms() == 5250
    assert trace.talk_ms() == 180250
    assert (trace.agent, trace.seat) == ("A001", "seat001")
    assert kinds(trace) == [
        StepKind.ARRIVAL,
        StepKind.QUEUE_ENTER,
        StepKind.OFFER,
        StepKind.ANSWER,
        StepKind.HANGUP,
        StepKind.END,
    ]


def test_given_caller_in_queue_when_caller_hangs_up_then_outcome_abandoned() -> None:
    trace = arrive()
    trace.enter_queue("general", "pension", position=3, at=at(8))
    trace.end("Normal Clearing", at(68))
    assert trace.outcome() is Outcome.ABANDONED
    assert trace.wait_ms() == 60000
    assert trace.talk_ms() is None
    assert trace.steps[-1].detail == {"outcome": "abandoned"}


def test_given_caller_in_ivr_when_caller_hangs_up_then_outcome_ivr_hangup() -> None:
    trace = arrive()
    trace.step(StepKind.IVR_PROMPT, at(1), prompt="welcome")
    trace.end("Normal Clearing", at(4))
    assert trace.outcome() is Outcome.IVR_HANGUP
    assert trace.wait_ms() is None
    assert trace.talk_ms() is None


def test_given_caller_in_fallback_queue_when_answered_then_outcome_fallback_answered() -> None:
    trace = arrive()
    trace.enter_fallback("routing did not finish", at(3))
    trace.answer(None, "seat007", at(9))
    trace.end("Normal Clearing", at(69))
    assert trace.outcome() is Outcome.FALLBACK_ANSWERED
    assert (trace.agent, trace.seat) == (None, "seat007")
    assert trace.wait_ms() == 6000
    assert trace.talk_ms() == 60000
    assert trace.steps[2].detail["fallback"] is True


def test_given_caller_in_fallback_queue_when_caller_hangs_up_then_fallback_abandoned() -> None:
    trace = arrive()
    trace.enter_queue("general", "medical_insurance", position=1, at=at(5))
    trace.enter_fallback("controller lost", at(20))
    trace.enter_fallback("reported twice", at(21))
    trace.end("Normal Clearing", at(50))
    assert trace.outcome() is Outcome.FALLBACK_ABANDONED
    assert trace.wait_ms() == 45000, "the wait counts from the first queue, not the fallback"
    assert kinds(trace).count(StepKind.FALLBACK) == 1


def test_given_call_not_ended_when_asked_then_outcome_in_progress() -> None:
    trace = arrive()
    trace.enter_queue("general", "pension", position=1, at=at(10))
    assert trace.outcome() is Outcome.IN_PROGRESS
    assert trace.wait_ms() is None
    assert trace.record().outcome is Outcome.IN_PROGRESS


def test_given_failed_offer_when_caller_then_abandons_then_no_agent_is_recorded() -> None:
    trace = arrive()
    trace.enter_queue("general", "pension", position=1, at=at(10))
    trace.offer("A001", "seat001", at(11))
    trace.offer_failed("NOANSWER", at(31))
    trace.enter_queue("general", "pension", position=1, at=at(31))
    trace.end("Normal Clearing", at(40))
    record = trace.record()
    assert record.outcome is Outcome.ABANDONED
    assert (record.agent_code, record.seat) == (None, None)
    assert record.wait_ms == 30000
    failed = trace.steps[3]
    assert failed.kind is StepKind.OFFER_TIMEOUT
    assert failed.detail == {"agent": "A001", "seat": "seat001", "status": "NOANSWER"}


def test_given_answered_call_when_answer_and_end_repeat_then_first_ones_count() -> None:
    trace = arrive()
    trace.enter_queue("general", "pension", position=1, at=at(1))
    trace.offer("A001", "seat001", at(2))
    trace.answer("A001", "seat001", at(3))
    trace.answer("A002", "seat002", at(4))
    trace.end("Normal Clearing", at(10))
    trace.end("again", at(11))
    assert (trace.agent, trace.answered_at, trace.ended_at) == ("A001", at(3), at(10))
    assert kinds(trace)[-2:] == [StepKind.HANGUP, StepKind.END]
    assert kinds(trace).count(StepKind.END) == 1


@pytest.mark.parametrize(
    ("queued", "answered", "ended", "wait", "talk"),
    [
        (10.0, 10.0, 10.0, 0, 0),
        (10.0, 10.0004, 20.0, 0, 10000),
        (10.0, 10.0006, 20.0, 1, 9999),
        (0.0, None, 0.001, 1, None),
    ],
)
def test_given_times_when_measured_then_milliseconds_are_rounded_and_never_negative(
    queued: float, answered: float | None, ended: float, wait: int, talk: int | None
) -> None:
    trace = arrive()
    trace.enter_queue("general", "pension", position=1, at=at(queued))
    if answered is not None:
        trace.answer("A001", "seat001", at(answered))
    trace.end("Normal Clearing", at(ended))
    assert (trace.wait_ms(), trace.talk_ms()) == (wait, talk)


def test_given_clock_stepping_back_when_measured_then_times_are_zero_not_negative() -> None:
    trace = arrive()
    trace.enter_queue("general", "pension", position=1, at=at(10))
    trace.answer("A001", "seat001", at(9))
    trace.end("Normal Clearing", at(8))
    assert (trace.wait_ms(), trace.talk_ms()) == (0, 0)


# ---- hostile caller IDs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        pytest.param("张三", "张三", id="chinese-kept"),
        pytest.param("欧阳 娜娜", "欧阳 娜娜", id="chinese-with-space"),
        pytest.param("王小明 😀", "王小明 😀", id="emoji-kept"),
        pytest.param("Evil\r\nAction: Originate", "Evil Action: Originate", id="crlf"),
        pytest.param("a\nb\tc", "a b c", id="newline-tab"),
        pytest.param('"Bob" <1234>', "Bob 1234", id="quotes-angle-brackets"),
        pytest.param("nul\x00byte", "nul byte", id="nul"),
        pytest.param("back\\slash", "back slash", id="backslash"),
        pytest.param("\u202eevil\u200b", "evil", id="bidi-and-zero-width"),
        pytest.param("  lots   of\x1b[31m  space ", "lots of [31m space", id="escape-seq"),
        pytest.param("", "", id="empty"),
    ],
)
def test_given_hostile_caller_name_when_cleaned_then_it_is_safe(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("13800138000", "13800138000"),
        ("+86 (21) 5555-0100", "+862155550100"),
        ("unknown", ""),
        ("<sip:1234@evil>", "1234"),
        ("*12#\r\n", "*12#"),
        ("１２３", ""),  # full-width digits are not dial characters
        ("12\x003", "123"),
    ],
)
def test_given_hostile_caller_number_when_cleaned_then_only_dial_characters_remain(
    raw: str, clean: str
) -> None:
    assert clean_number(raw) == clean


def test_given_10kb_caller_id_when_cleaned_then_bounded_to_the_columns() -> None:
    assert len(clean_name("呼" * 10_000)) == CALL_TEXT_LIMITS["caller_name"]
    assert len(clean_name("x\n" * 5_000)) == CALL_TEXT_LIMITS["caller_name"]
    assert len(clean_number("1" * 10_000)) == CALL_TEXT_LIMITS["caller_number"]


@NO_DB
@given(st.text())
def test_given_any_caller_name_when_cleaned_then_no_control_or_quote_survives(raw: str) -> None:
    name = clean_name(raw)
    assert len(name) <= CALL_TEXT_LIMITS["caller_name"]
    assert not any(unicodedata.category(ch).startswith("C") for ch in name)
    assert not set(name) & set('"<>\\\r\n\x00')
    assert clean_name(name) == name.strip()


@NO_DB
@given(number=st.text(), name=st.text(), dialed=st.text())
def test_given_any_caller_id_when_call_is_recorded_then_the_record_is_valid(
    number: str, name: str, dialed: str
) -> None:
    trace = CallTrace.arrive("1709256600.42", "", number, name, dialed, at=T0)
    trace.end("x" * 500, at(1))
    record = trace.record()
    assert record.linkedid == "1709256600.42"
    assert set(record.caller_number) <= set("0123456789+*#")
    assert set(record.dialed) <= set("0123456789+*#")
    assert record.hangup_cause == "x" * 64


# ---- the stored record -------------------------------------------------------------------------


def test_given_ended_call_when_recorded_then_record_carries_path_in_order() -> None:
    trace = CallTrace.arrive(
        "1709256600.42", "1709256600.40", '"张三"\n<13800138000>', '"张三" <x>', "12333", at=T0
    )
    trace.step(StepKind.IVR_PROMPT, at(1), prompt="welcome")
    trace.step(StepKind.IVR_INPUT, at(4), digits="1")
    trace.enter_queue("general", "pension", position=2, at=at(5))
    trace.offer("A001", "seat001", at(7))
    trace.answer("A001", "seat001", at(9))
    trace.end("Normal Clearing", at(99))
    record = trace.record()
    assert isinstance(record, CallRecord)
    assert record == CallRecord(
        uniqueid="1709256600.42",
        linkedid="1709256600.40",
        caller_number="13800138000",
        caller_name="张三 x",
        dialed="12333",
        arrived_at=T0,
        outcome=Outcome.ANSWERED,
        answered_at=at(9),
        ended_at=at(99),
        queue="general",
        agent_code="A001",
        seat="seat001",
        wait_ms=4000,
        talk_ms=90000,
        fallback=False,
        hangup_cause="Normal Clearing",
        steps=tuple(trace.steps),
    )
    assert [s.kind for s in record.steps] == [
        StepKind.ARRIVAL,
        StepKind.IVR_PROMPT,
        StepKind.IVR_INPUT,
        StepKind.QUEUE_ENTER,
        StepKind.OFFER,
        StepKind.ANSWER,
        StepKind.HANGUP,
        StepKind.END,
    ]
    times = [s.at for s in record.steps]
    assert times == sorted(times)
    assert record.steps[0].detail == {"number": "13800138000", "dialed": "12333"}
    assert record.steps[-2].detail == {"cause": "Normal Clearing"}
    assert record.steps[-1].detail == {"outcome": "answered"}


def test_given_empty_hangup_cause_when_ended_then_cause_is_none() -> None:
    trace = arrive()
    trace.end("", at(1))
    assert trace.record().hangup_cause is None
    assert trace.steps[-2].detail == {"cause": None}
