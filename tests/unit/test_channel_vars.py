"""The offer's route value: what the dialplan splits with CUT(HOTLINE_ROUTE,|,n)."""

from __future__ import annotations

import pytest

from hotline import channel_vars


def test_given_seat_and_ring_time_when_routed_then_one_value_carries_all_three() -> None:
    route = channel_vars.agent_route("PJSIP/seat001", 20)
    marker, dial, timeout = route.split(channel_vars.ROUTE_SEPARATOR)
    assert (marker, dial, timeout) == (channel_vars.ROUTE_AGENT, "PJSIP/seat001", "20")


def test_given_dial_string_with_separator_when_routed_then_refused() -> None:
    with pytest.raises(ValueError, match="may not contain"):
        channel_vars.agent_route("PJSIP/seat|001", 20)
