"""Queued callbacks: the state table, callback numbers, and the router keeping the place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ivr.phone_numbers import mask_number, parse_callback_number
from queues import callbacks as cb
from queues.router import Router

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
POLICY = cb.CallbackPolicy(max_attempts=2, retry_after_s=60)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def callback() -> cb.Callback:
    return cb.Callback(
        "cb-1", "1700000000.1", "13812345678", "pension", "pension", 5, (("pension", 3),),
        queued_at=at(0), requested_at=at(20),
    )  # fmt: skip


def test_an_answered_callback_is_connected_with_its_agent_and_leg() -> None:
    dialling = cb.dial(callback(), "A001", at(30))
    assert (dialling.status, dialling.attempts, dialling.agent) == (cb.C.DIALLING, 1, "A001")
    assert dialling.leg_uniqueid == "cb-1-1"

    done = cb.answered(dialling, at(40))
    assert (done.status, done.open) == (cb.C.CONNECTED, False)


def test_an_unanswered_callback_is_retried_until_its_attempts_run_out() -> None:
    first = cb.not_answered(cb.dial(callback(), "A001", at(30)), "NOANSWER", POLICY, at(60))
    assert (first.status, first.agent, first.last_result) == (cb.C.RETRY_WAIT, None, "NOANSWER")

    again = cb.dial(cb.retry_due(first, at(120)), "A002", at(121))
    assert again.leg_uniqueid == "cb-1-2"  # every attempt is a new channel
    last = cb.not_answered(again, "BUSY", POLICY, at(150))
    assert (last.status, last.open) == (cb.C.FAILED, False)


def test_a_lost_agent_puts_the_callback_back_without_using_an_attempt_again() -> None:
    back = cb.agent_lost(cb.dial(callback(), "A001", at(30)), at(31))
    assert (back.status, back.agent, back.attempts) == (cb.C.WAITING, None, 1)


@pytest.mark.parametrize(
    ("status", "event"),
    [
        (cb.C.CONNECTED, cb.CE.DIAL),
        (cb.C.FAILED, cb.CE.RETRY_DUE),
        (cb.C.WAITING, cb.CE.ANSWERED),
        (cb.C.DIALLING, cb.CE.CANCEL),
    ],
)
def test_transitions_outside_the_table_are_refused(
    status: cb.CallbackStatus, event: cb.CallbackEvent
) -> None:
    with pytest.raises(cb.InvalidCallbackTransition, match="no transition"):
        cb.step(cb.Callback(**{**callback().__dict__, "status": status}), event, at(1))


def test_every_status_can_be_reached_and_every_open_one_left() -> None:
    reached = set(cb.TRANSITIONS.values()) | {cb.C.WAITING}
    assert reached == set(cb.CallbackStatus)
    leaving = {status for status, _ in cb.TRANSITIONS}
    assert leaving >= cb.OPEN


@pytest.mark.parametrize(
    "policy", [{"max_attempts": 0}, {"max_legs": 0}, {"ring_s": 0}, {"retry_after_s": -1}]
)
def test_a_policy_without_attempts_legs_or_ring_time_is_refused(policy: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"must|needs"):
        cb.CallbackPolicy(**policy)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("raw", "dialled"),
    [
        ("13812345678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("008619912345678", "19912345678"),
        ("62345678", "02162345678"),  # a Shanghai landline without its area code
        ("02162345678", "02162345678"),
        ("01087654321", "01087654321"),
        ("07552345678", "07552345678"),
    ],
)
def test_callback_numbers_in_the_national_plan_are_accepted(raw: str, dialled: str) -> None:
    number = parse_callback_number(raw)
    assert number is not None and number.digits == dialled


@pytest.mark.parametrize(
    "raw",
    ["", "12333", "95588", "4008123123", "1381234567", "138123456789", "12812345678",
     "0012025550100", "1381234567a", "١٣٨١٢٣٤٥٦٧٨", "0211234", "unknown", "*21#"],
)  # fmt: skip
def test_other_numbers_are_never_dialled(raw: str) -> None:
    assert parse_callback_number(raw) is None


def test_numbers_are_masked_and_read_back_digit_by_digit() -> None:
    assert mask_number("13812345678") == "138****5678"
    assert mask_number("12333") == "*****"
    number = parse_callback_number("13812345678")
    assert number is not None and number.spoken_digits == "幺三八幺二三四五六七八"


def test_a_callback_keeps_its_place_among_callers_who_came_later() -> None:
    router = Router()
    router.enqueue("early", "general", 0.0)
    router.enqueue("caller", "general", 1.0)
    router.enqueue("late", "general", 2.0)

    call = router.remove("caller")
    assert call is not None
    assert router.as_callback(call, "cb-caller") == 2
    assert [c.call_id for c in router.waiting("general")] == ["early", "cb-caller", "late"]
    assert router.calls["cb-caller"].callback


def test_callbacks_are_offered_only_while_outbound_legs_are_free() -> None:
    router = Router()
    router.login("A001", "seat001", 0.0)
    router.login("A002", "seat002", 0.0)
    for n, call_id in enumerate(("cb-1", "cb-2")):
        router.enqueue(call_id, "general", float(n), callback=True)
    router.enqueue("inbound", "general", 5.0)
    router.callback_capacity = 1

    offers = [offer.call_id for offer, _ in router.decide(10.0).offers]

    assert offers == ["cb-1", "inbound"]  # cb-2 waits for a line, keeping its place
    assert [c.call_id for c in router.waiting("general")] == ["cb-2"]


def test_a_held_callback_can_be_renamed_to_its_answered_leg() -> None:
    router = Router()
    router.login("A001", "seat001", 0.0)
    router.enqueue("cb-1", "general", 0.0, callback=True)
    router.decide(1.0)

    slot = router.rename_call("cb-1", "cb-1-1")

    assert slot is not None and slot.call_id == "cb-1-1"
    assert router.agent_for_call("cb-1") is None
    assert router.agent_for_call("cb-1-1") is slot
    assert router.rename_call("nothing", "x") is None
