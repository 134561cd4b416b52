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

AGENT_DIAL: Final = "HOTLINE_AGENT_DIAL"
"""The dial string of the chosen agent's seat, e.g. ``PJSIP/seat001``."""
OFFER_TIMEOUT: Final = "HOTLINE_OFFER_TIMEOUT"
"""Seconds the chosen seat may ring before the caller goes back to the head of the queue."""
FALLBACK: Final = "HOTLINE_FALLBACK"
"""Set by the dialplan when the caller entered the static fallback queue."""

ALL: Final = (ROUTE, AGENT_DIAL, OFFER_TIMEOUT, FALLBACK)
