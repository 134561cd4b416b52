"""ActionID correlation: single responses, event lists, completion events, errors."""

from __future__ import annotations

import pytest

from ami.codec import parse_recording
from ami.messages import Event, Message, Response
from ami.tracker import ActionTracker, Completed, Expect, InProgress


def messages(text: str) -> list[Message]:
    return parse_recording(text.replace("\n", "\r\n").encode(), expect_greeting=False)


def response(text: str) -> Response:
    [message] = messages(text)
    assert isinstance(message, Response)
    return message


def test_given_a_single_response_action_when_its_response_arrives_then_it_completes() -> None:
    tracker = ActionTracker()
    tracker.register("a1")
    pong = response("Response: Success\nActionID: a1\nPing: Pong\nTimestamp: 1.5\n\n")
    assert tracker.feed(pong) == Completed("a1", Expect.RESPONSE, pong)
    assert "a1" not in tracker


def test_given_pending_actions_when_ordinary_events_arrive_then_feed_returns_none() -> None:
    tracker = ActionTracker()
    tracker.register("a1")
    for message in messages(
        "Event: Newchannel\nPrivilege: call,all\nChannel: PJSIP/1\n\n"
        "Event: Hangup\nActionID: other\nChannel: PJSIP/1\n\n"
        "Response: Success\nActionID: late\n\n"
    ):
        assert tracker.feed(message) is None
    assert "a1" in tracker


def test_given_event_list_when_ordinary_events_interleave_then_only_items_are_kept() -> None:
    tracker = ActionTracker()
    tracker.register("L", Expect.EVENT_LIST)
    start, item1, other, item2, done = messages(
        "Response: Success\nActionID: L\nEventList: start\nMessage: Channels will follow\n\n"
        "Event: CoreShowChannel\nActionID: L\nChannel: PJSIP/1\n\n"
        "Event: Newchannel\nPrivilege: call,all\nChannel: PJSIP/3\n\n"
        "Event: CoreShowChannel\nActionID: L\nChannel: PJSIP/2\n\n"
        "Event: CoreShowChannelsComplete\nActionID: L\nEventList: Complete\nListItems: 2\n\n"
    )
    assert tracker.feed(start) == InProgress("L", Expect.EVENT_LIST)
    assert tracker.feed(item1) == InProgress("L", Expect.EVENT_LIST)
    assert tracker.feed(other) is None
    assert tracker.feed(item2) == InProgress("L", Expect.EVENT_LIST)
    result = tracker.feed(done)
    assert isinstance(result, Completed)
    assert result.response == start
    assert result.events == (item1, item2)
    assert result.final_event == done
    assert len(tracker) == 0


@pytest.mark.parametrize("expect", [Expect.EVENT_LIST, Expect.COMPLETION_EVENT])
def test_given_a_multi_part_action_when_answered_with_error_then_it_completes_at_once(
    expect: Expect,
) -> None:
    tracker = ActionTracker()
    event = "OriginateResponse" if expect is Expect.COMPLETION_EVENT else None
    tracker.register("e", expect, completion_event=event)
    [error] = messages("Response: Error\nActionID: e\nMessage: Permission denied\n\n")
    result = tracker.feed(error)
    assert isinstance(result, Completed)
    assert result.response.is_error
    assert "e" not in tracker


def test_given_a_list_action_when_success_has_no_event_list_then_it_does_not_wait_forever() -> None:
    tracker = ActionTracker()
    tracker.register("q", Expect.EVENT_LIST)
    plain = response("Response: Success\nActionID: q\nMessage: ok\n\n")
    assert tracker.feed(plain) == Completed("q", Expect.EVENT_LIST, plain)


def test_given_async_originate_when_response_then_originate_response_then_it_completes() -> None:
    tracker = ActionTracker()
    tracker.register("o", Expect.COMPLETION_EVENT, completion_event="OriginateResponse")
    queued, unrelated, done = messages(
        "Response: Success\nActionID: o\nMessage: Originate successfully queued\n\n"
        "Event: VarSet\nActionID: o\nVariable: X\n\n"
        "Event: OriginateResponse\nPrivilege: call,all\nActionID: o\nResponse: Success\n"
        "Channel: PJSIP/agent1001-00000002\nReason: 4\n\n"
    )
    assert tracker.feed(queued) == InProgress("o", Expect.COMPLETION_EVENT)
    assert tracker.feed(unrelated) is None
    result = tracker.feed(done)
    assert isinstance(result, Completed)
    assert (result.response, result.final_event) == (queued, done)


def test_given_completion_event_before_response_when_both_arrive_then_it_completes() -> None:
    tracker = ActionTracker()
    tracker.register("o", Expect.COMPLETION_EVENT, completion_event="OriginateResponse")
    done, queued = messages(
        "Event: OriginateResponse\nActionID: o\nResponse: Failure\nReason: 0\n\n"
        "Response: Success\nActionID: o\nMessage: Originate successfully queued\n\n"
    )
    assert tracker.feed(done) == InProgress("o", Expect.COMPLETION_EVENT)
    result = tracker.feed(queued)
    assert isinstance(result, Completed)
    assert isinstance(result.final_event, Event)
    assert result.final_event.get("Response") == "Failure"


def test_given_a_forgotten_action_when_its_late_response_arrives_then_it_is_ignored() -> None:
    tracker = ActionTracker()
    tracker.register("t")
    assert tracker.forget("t")
    assert tracker.feed(response("Response: Success\nActionID: t\n\n")) is None


def test_given_pending_actions_when_cleared_then_their_ids_are_returned() -> None:
    tracker = ActionTracker()
    tracker.register("a")
    tracker.register("b", Expect.EVENT_LIST)
    assert sorted(tracker.clear()) == ["a", "b"]
    assert len(tracker) == 0


def test_given_a_pending_id_when_registered_again_then_value_error() -> None:
    tracker = ActionTracker()
    tracker.register("a")
    with pytest.raises(ValueError, match="already pending"):
        tracker.register("a")


def test_given_completion_kind_without_event_name_when_registered_then_value_error() -> None:
    with pytest.raises(ValueError, match="completion_event"):
        ActionTracker().register("a", Expect.COMPLETION_EVENT)


def test_given_a_second_response_for_one_id_when_fed_then_it_is_nobodys_answer() -> None:
    tracker = ActionTracker()
    tracker.register("L", Expect.EVENT_LIST)
    first, second = messages(
        "Response: Success\nActionID: L\nEventList: start\n\n"
        "Response: Success\nActionID: L\nEventList: start\n\n"
    )
    assert isinstance(tracker.feed(first), InProgress)
    assert tracker.feed(second) is None
    assert isinstance(first, Response)
