"""Any run of events the table accepts keeps the window machine's promises."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.transfers.test_machine import SETTINGS, event_for, requested
from transfers.effects import (
    CancelTimer,
    DialWindow,
    EndConference,
    Record,
    ReturnToAgent,
    ReturnToQueue,
    StartTimer,
)
from transfers.machine import TERMINAL, TRANSITIONS, WindowState, handle
from transfers.window_events import Key, TimerExpired

S = WindowState


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=1000), max_size=25))
def test_any_accepted_run_of_events_keeps_the_machines_promises(choices: list[int]) -> None:
    transfer = requested().transfer
    started = set(transfer.timers)
    returned = 0
    for choice in choices:
        keys = sorted(k for (s, k) in TRANSITIONS if s is transfer.state)
        if transfer.state in TERMINAL or not keys:
            break
        key = keys[choice % len(keys)]
        if key.value.endswith("timer_expired") and not any(
            t.value in key.value for t in transfer.timers
        ):
            continue
        event = event_for(key)
        decision = handle(transfer, event, SETTINGS)
        if isinstance(event, TimerExpired):
            started.discard(event.timer)  # it fired: nothing to cancel
        for effect in decision.effects:
            if isinstance(effect, StartTimer):
                started.add(effect.timer)
            elif isinstance(effect, CancelTimer):
                started.discard(effect.timer)
            returned += isinstance(effect, ReturnToAgent | ReturnToQueue)
        transfer = decision.transfer
        assert transfer.timers == started
        if transfer.state in (S.BRIEFING_CLERK, S.CONFERENCE, S.AGENT_LEFT):
            assert transfer.clerk is not None
        assert (
            not any(isinstance(e, DialWindow) for e in decision.effects) or key is Key.HOLD_STARTED
        )
    if transfer.state in TERMINAL:
        assert transfer.timers == frozenset()
    assert returned <= 1  # the caller is sent back at most once
    assert returned == (transfer.state in (S.RETURNED_TO_AGENT, S.RETURNED_TO_QUEUE, S.FAILED))
    steps = transfer.steps
    assert all(a.to_state == b.from_state for a, b in itertools.pairwise(steps))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=1000), max_size=25))
def test_a_conference_is_ended_only_once_it_existed(choices: list[int]) -> None:
    transfer = requested().transfer
    joined = False
    for choice in choices:
        keys = sorted(
            k
            for (s, k) in TRANSITIONS
            if s is transfer.state and not k.value.endswith("timer_expired")
        )
        if transfer.state in TERMINAL or not keys:
            break
        decision = handle(transfer, event_for(keys[choice % len(keys)]), SETTINGS)
        joined = (
            joined
            or decision.transfer.state is S.CONFERENCE
            or any(
                isinstance(e, Record) and e.step.to_state is S.CONFERENCE for e in decision.effects
            )
        )
        if any(isinstance(e, EndConference) for e in decision.effects):
            assert joined
        transfer = decision.transfer
