"""The IVR flow in service, changed without a restart, every change a stored version.

At start the library takes the newest stored version of the configured flow, or stores the
shipped file as the first version. A change (the admin API, ``hotline ivr load``) is checked,
its prompts are generated, it is stored with who made it and why, and only then do new calls
use it; calls already in the IVR finish on the version they started with. A revert stores the
old text again as a new version, so the history only ever grows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from hotline.storage import FlowVersion, Store
from ivr.flow import Flow
from ivr.flow_yaml import load_flow_text
from ivr.hours import Schedule, calendar_covers, parse_schedule
from ivr.prompt import Prompt

log = logging.getLogger("hotline.flows")

SHIPPED = "system"
"""Author of versions that come from the flow file rather than from an admin."""


def parse_flow(source: str, origin: str, version: int = 0) -> Flow:
    """A flow from its YAML text; FlowError (with file and line) when it cannot be used."""
    return load_flow_text(source, origin, parse_schedule, version)


@dataclass(frozen=True)
class FlowChange:
    version: FlowVersion
    flow: Flow
    prompts_generated: int


class FlowLibrary:
    def __init__(
        self,
        store: Store,
        shipped: Path,
        ensure_prompts: Callable[[Iterable[Prompt]], int],
        clock: Callable[[], datetime],
    ) -> None:
        self.store = store
        self.shipped = shipped
        self._ensure_prompts = ensure_prompts
        self._clock = clock
        self._current: Flow | None = None
        self._lock = asyncio.Lock()

    @property
    def current(self) -> Flow:
        if self._current is None:
            raise RuntimeError("the flow library has not been started")
        return self._current

    def shipped_flow(self) -> Flow:
        """The flow file as shipped (FlowError if it cannot be used)."""
        return parse_flow(self.shipped.read_text(encoding="utf-8"), str(self.shipped))

    def start(self) -> Flow:
        """Blocking (run in a thread): the flow to serve, stored as a version if it is new."""
        source = self.shipped.read_text(encoding="utf-8")
        shipped = parse_flow(source, str(self.shipped))
        latest = self.store.latest_flow_version(shipped.name)
        if latest is None or (latest.author == SHIPPED and latest.source != source):
            # The first start, or a release that changed the shipped flow no admin has edited.
            latest = self.store.save_flow_version(
                shipped.name,
                source,
                author=SHIPPED,
                comment=f"from {self.shipped.name}",
                at=self._clock(),
            )
        elif latest.source != source:
            log.warning(
                "flow %s: serving version %d (changed by %s); the shipped file %s differs and "
                "is not used: load it with `hotline ivr load` to adopt it",
                shipped.name, latest.version, latest.author, self.shipped,
            )  # fmt: skip
        flow = parse_flow(latest.source, f"{shipped.name} v{latest.version}", latest.version)
        generated = self._ensure_prompts(flow.prompts)
        log.info("flow %s version %d in service (%d nodes, %d prompt(s) generated)",
                 flow.name, flow.version, len(flow.nodes), generated)  # fmt: skip
        self._current = flow
        self._warn_if_calendar_ends(flow)
        return flow

    def _warn_if_calendar_ends(self, flow: Flow) -> None:
        """Holidays are known only as far as the chinesecalendar package goes (the State Council
        publishes each year's in November or December): say so before the year runs out."""
        if not any(
            isinstance(s, Schedule) and s.statutory_calendar for s in flow.schedules.values()
        ):
            return
        next_year = self._clock().year + 1
        if not calendar_covers(next_year):
            log.warning(
                "the holiday calendar (chinesecalendar package) has no data for %d: from 1 "
                "January the flow's hours follow the weekly rule only, without statutory "
                "holidays or make-up working days. Upgrade it: pip install -U chinesecalendar",
                next_year,
            )

    async def change(self, source: str, author: str, comment: str) -> FlowChange:
        """Check, voice, store and serve a new version of the flow."""
        return await self._replace(source, author, comment, reverted_from=None)

    async def revert(self, version: int, author: str) -> FlowChange:
        old = await asyncio.to_thread(self.store.get_flow_version, self.current.name, version)
        if old is None:
            raise LookupError(f"flow {self.current.name} has no version {version}")
        return await self._replace(old.source, author, f"revert to version {version}", version)

    async def _replace(self, source: str, author: str, comment: str,
                       reverted_from: int | None) -> FlowChange:  # fmt: skip
        async with self._lock:
            checked = parse_flow(source, "the new flow")
            if checked.name != self.current.name:
                raise ValueError(
                    f"this library serves flow {self.current.name!r}, not {checked.name!r}"
                )
            generated = await asyncio.to_thread(self._ensure_prompts, checked.prompts)
            stored = await asyncio.to_thread(
                partial(self.store.save_flow_version, checked.name, source, author=author,
                        comment=comment, at=self._clock(), reverted_from=reverted_from)
            )  # fmt: skip
            flow = parse_flow(source, f"{checked.name} v{stored.version}", stored.version)
            self._current = flow
            log.info("flow %s: version %d in service, by %s (%s)",
                     flow.name, stored.version, author, comment)  # fmt: skip
            return FlowChange(stored, flow, generated)
