"""Every channel variable the controller and the dialplan share, named once.

The dialplan template (dialplans/extensions.conf.j2) spells these names literally; a golden test
checks that each one here appears in the rendered dialplan.
"""

from __future__ import annotations

from typing import Final

ROUTE: Final = "HOTLINE_ROUTE"
"""Set by the controller when it has finished routing; empty means 'send to fallback'."""
ROUTE_AGENT: Final = "agent"
ROUTE_DONE: Final = "done"
ROUTE_SEPARATOR: Final = "|"

AGENT_DIAL: Final = "HOTLINE_AGENT_DIAL"
"""The dial string of the chosen agent's seat, e.g. ``PJSIP/seat001`` (set by the dialplan from
the agent route)."""
OFFER_TIMEOUT: Final = "HOTLINE_OFFER_TIMEOUT"
"""Seconds the chosen seat may ring before the caller goes back to the head of the queue (set by
the dialplan from the agent route)."""
FALLBACK: Final = "HOTLINE_FALLBACK"
"""Set by the dialplan when the caller entered the static fallback queue."""

WINDOW_PENDING: Final = "HOTLINE_WINDOW_PENDING"
"""Set by the window desk while the caller waits for a district window: should the agent hang
up meanwhile, the caller (ended out of the room) waits on for the window, not the survey."""

ALL: Final = (ROUTE, AGENT_DIAL, OFFER_TIMEOUT, FALLBACK, WINDOW_PENDING)


def agent_route(dial: str, timeout_s: int) -> str:
    """HOTLINE_ROUTE's value for an offer: ``agent|PJSIP/seat001|20``.

    One SET VARIABLE carries the whole offer, so a single FastAGI round trip starts the Dial
    (offer latency), and the marker can never be seen without the seat and ring time it needs.
    """
    if ROUTE_SEPARATOR in dial:
        raise ValueError(f"a dial string may not contain {ROUTE_SEPARATOR!r}: {dial!r}")
    return ROUTE_SEPARATOR.join((ROUTE_AGENT, dial, str(timeout_s)))
