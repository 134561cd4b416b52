"""Carries out window connections (transfers/machine.py) on Asterisk, through AMI.

The machine decides; this desk turns its effects into AMI actions, timers, store writes and
events, and turns what AMI reports back into the machine's events (hotline/window_ami.py)::

    API ──▶ WindowDesk.request ──▶ machine ──▶ effects ──▶ AMI Redirect / Originate /
    AMI events ──▶ window_ami ──┘                          ConfbridgeKick / Hangup, timers,
                                                           Store, EventHub

On Asterisk (dialplans/extensions.conf.j2): the caller and the agent are redirected from their
Dial into the case's ConfBridge room (``hotline-conference``), where they keep talking and the
caller alone hears music; the window's phone is dialled with Originate (``ChannelId`` is the
case's leg id), hears the briefing (``hotline-window-clerk``) and joins the room. Returned to the
agent means the caller and the agent stay in the room without the window; when the last agent
or clerk leaves, the caller goes on to the survey.

Effects of one decision are carried out in order, by one worker, so a Redirect is never overtaken
by a later Kick. A failed AMI action is logged: what Asterisk reports next settles the transfer.

The desk keeps the transfers, timers and that worker; the rest is in its own modules: the room's
AMI actions (hotline/window_actions.py), the window's leg and its ringing watch
(hotline/window_leg.py), the settling after a restart (hotline/window_settle.py) and the stored
record (hotline/window_records.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from ami import AmiClient, AmiError, Event
from hotline import channel_vars, window_actions, window_leg
from hotline.events import Event as HotlineEvent
from hotline.storage import Store
from hotline.window_actions import FALLBACK_CONTEXT, TRANSFER_CONTEXT
from hotline.window_ami import window_event
from hotline.window_records import briefing_of, record_of
from hotline.window_returns import WindowReturns
from hotline.window_settle import settle_open
from transfers.case import CaseContext, Role
from transfers.directory import Directory, Office
from transfers.effects import (
    CancelTimer,
    CancelWindow,
    DialWindow,
    Effect,
    EndConference,
    JoinConference,
    MemberMode,
    PlayHold,
    Publish,
    Record,
    RemoveFromConference,
    ReturnToAgent,
    ReturnToQueue,
    StartTimer,
    Timer,
)
from transfers.machine import (
    Decision,
    InvalidTransition,
    WindowSettings,
    WindowState,
    WindowTransfer,
    handle,
    request_window,
)
from transfers.window_events import AgentLeaves, SupervisorJoins, TimerExpired, WindowEvent

log = logging.getLogger("hotline.window_desk")

FORGET_AFTER_S = 60.0
"""A finished transfer is kept this long for the late events of its legs being torn down."""
WATCHED = frozenset({"ConfbridgeJoin", "ConfbridgeLeave", "Hangup"})


class WindowError(Exception):
    """A window connection cannot be asked for: the message says why and what to do."""

    def __init__(self, error_id: str, message: str) -> None:
        super().__init__(message)
        self.error_id = error_id


@dataclasses.dataclass(frozen=True)
class CallerGone:
    """Not the machine's: the caller, back with the agent, hung up; the transfer is closed."""


@dataclasses.dataclass(frozen=True)
class Legs:
    """The caller's and the agent's channels, as Asterisk names them."""

    caller: str
    agent: str


class WindowDesk:
    def __init__(
        self,
        ami: AmiClient,
        store: Store,
        publish: Callable[[HotlineEvent], None],
        directory: Directory,
        settings: WindowSettings,
        *,
        briefing: Callable[[str], str],
        wall: Callable[[], datetime],
        hours_clock: Callable[[], datetime],
        returns: WindowReturns | None = None,
    ) -> None:
        self.ami, self.store, self.publish = ami, store, publish
        self.returns = returns
        self.directory, self.settings = directory, settings
        self.briefing = briefing
        """Blocking: synthesise the text, return the path Asterisk plays."""
        self.wall, self.hours_clock = wall, hours_clock
        self.transfers: dict[str, WindowTransfer] = {}
        self._timers: dict[tuple[str, Timer], asyncio.TimerHandle] = {}
        self._work: asyncio.Queue[tuple[str, Effect | CallerGone]] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._briefings: dict[str, str] = {}

    # ---- asking for a window -----------------------------------------------------------
    async def request(
        self, call_id: str, agent: str, office: Office, summary: str
    ) -> WindowTransfer:
        if any(t.case.call_id == call_id and not t.finished for t in self.transfers.values()):
            raise WindowError("transfer.in_progress", f"call {call_id} is already being connected")
        legs = await self._legs(call_id)
        case = CaseContext(uuid.uuid4().hex[:12], call_id, summary, district_id=office.district_id)
        briefing = await asyncio.to_thread(self.briefing, briefing_of(case, office))
        decision = request_window(
            case, office, caller=legs.caller, agent=legs.agent, agent_id=agent,
            now=self.wall(), settings=self.settings, hours_at=self.hours_clock(),
        )  # fmt: skip
        self._briefings[case.case_id] = briefing
        self._take(decision)
        return decision.transfer

    async def _legs(self, call_id: str) -> Legs:
        _, channels = await self.ami.action_list("CoreShowChannels")
        caller = next((c for c in channels if c.get("Uniqueid", "") == call_id), None)
        if caller is None:
            raise WindowError("call.gone", f"call {call_id} has no channel on Asterisk any more")
        bridge = caller.get("BridgeId", "")
        agent = next(
            (c for c in channels if bridge and c.get("BridgeId", "") == bridge
             and c.get("Channel", "").startswith("PJSIP/seat") and c is not caller), None,
        )  # fmt: skip
        if agent is None:
            raise WindowError("call.not_bridged", f"call {call_id} is not talking with a seat")
        return Legs(caller.get("Channel", ""), agent.get("Channel", ""))

    def leave(self, case_id: str) -> WindowTransfer:
        return self._feed_now(case_id, AgentLeaves(self.wall()))

    def supervise(
        self, case_id: str, seat: str, mode: MemberMode = MemberMode.LISTEN
    ) -> WindowTransfer:
        return self._feed_now(case_id, SupervisorJoins(self.wall(), f"PJSIP/{seat}", mode))

    def _feed_now(self, case_id: str, event: WindowEvent) -> WindowTransfer:
        transfer = self.transfers.get(case_id)
        if transfer is None:
            raise WindowError("transfer.unknown", f"no open transfer {case_id}")
        try:
            decision = handle(transfer, event, self.settings)
        except InvalidTransition as exc:
            raise WindowError("transfer.state", str(exc)) from None
        self._take(decision)
        return decision.transfer

    # ---- what Asterisk reports -----------------------------------------------------------
    def observe(self, event: Event) -> None:
        if event.name not in WATCHED:
            return
        for case_id, transfer in list(self.transfers.items()):
            found = window_event(transfer, event.name, event.fields, self.wall())
            if found is not None:
                self.feed(case_id, found)
            if transfer.finished and _caller_hung_up(transfer, event):
                self._caller_gone_after(transfer)

    def _caller_gone_after(self, transfer: WindowTransfer) -> None:
        """Back with the agent, the caller hung up: the agent must not stay alone in the room
        (the room keeps staff only while a marked member is there, not while the caller is)."""
        case_id = transfer.case.case_id
        self._work.put_nowait((case_id, EndConference(transfer.conference_id)))
        self._work.put_nowait((case_id, CallerGone()))
        asyncio.get_running_loop().call_later(FORGET_AFTER_S, self._forget, case_id)

    def feed(self, case_id: str, event: WindowEvent) -> None:
        transfer = self.transfers.get(case_id)
        if transfer is None:
            return
        try:
            self._take(handle(transfer, event, self.settings))
        except InvalidTransition as exc:
            log.warning("%s: ignored", exc)

    def _take(self, decision: Decision) -> None:
        transfer = decision.transfer
        case_id = transfer.case.case_id
        self.transfers[case_id] = transfer
        for effect in decision.effects:
            self._work.put_nowait((case_id, effect))
        if transfer.finished and transfer.state is not WindowState.RETURNED_TO_AGENT:
            # Back with the agent, the call goes on: kept until the caller hangs up.
            loop = asyncio.get_running_loop()
            loop.call_later(FORGET_AFTER_S, self._forget, case_id)

    def _forget(self, case_id: str) -> None:
        transfer = self.transfers.get(case_id)
        if transfer is not None and transfer.finished:
            del self.transfers[case_id]
            self._briefings.pop(case_id, None)

    # ---- carrying out -----------------------------------------------------------------
    async def run(self) -> None:
        while True:
            case_id, effect = await self._work.get()
            try:
                await self._carry_out(case_id, effect)
            except AmiError as exc:
                log.warning("transfer %s: %s failed: %s", case_id, type(effect).__name__, exc)
            except Exception:
                log.exception("transfer %s: %s failed", case_id, type(effect).__name__)

    async def _carry_out(self, case_id: str, effect: Effect | CallerGone) -> None:
        transfer = self.transfers[case_id]
        match effect:
            case CallerGone():
                record = record_of(transfer, self.wall(), caller_gone=True)
                await asyncio.to_thread(self.store.save_transfer, record)
            case Record(step=step):
                record = record_of(transfer, self.wall())
                await asyncio.to_thread(self.store.save_transfer, record, [step])
            case Publish(event=event):
                self.publish(event)
            case StartTimer(timer=timer, seconds=seconds):
                self._start_timer(case_id, timer, seconds)
            case CancelTimer(timer=timer):
                handle_ = self._timers.pop((case_id, timer), None)
                if handle_ is not None:
                    handle_.cancel()
            case _:
                await self._asterisk(transfer, effect)

    async def _asterisk(self, transfer: WindowTransfer, effect: Effect) -> None:
        ami, room = self.ami, transfer.conference_id
        match effect:
            case DialWindow():
                self._spawn(self._dial(transfer, effect))
            case CancelWindow(channel=channel):
                await window_leg.hang_up(ami, transfer.case.case_id, channel)
            case JoinConference(members=members):
                if any(m.role is Role.CALLER for m in members):
                    await window_actions.setvar(
                        ami, transfer.caller, channel_vars.WINDOW_PENDING, ""
                    )
                await window_actions.into_room(ami, room, members)
            case RemoveFromConference(channel=channel):
                await window_actions.kick(ami, room, channel)
            case EndConference():
                await window_actions.end_room(ami, room)
            case ReturnToAgent():
                await window_actions.setvar(ami, transfer.caller, channel_vars.WINDOW_PENDING, "")
                await window_actions.back_with_agent(ami, transfer)
            case ReturnToQueue(caller=caller) if self.returns is not None:
                self.returns.expect(transfer)
                await window_actions.redirect(ami, caller, TRANSFER_CONTEXT, "s")
            case ReturnToQueue(caller=caller):
                await window_actions.redirect(ami, caller, FALLBACK_CONTEXT, "s")
            case _:
                # PlayHold: the caller and agent into the room. PlayBriefing happens in the
                # clerk's dialplan; ReleaseAgent when the agent's channel ends (the controller
                # frees the seat).
                await self._other(transfer, effect)

    async def _other(self, transfer: WindowTransfer, effect: Effect) -> None:
        if isinstance(effect, PlayHold):
            await window_actions.hold(self.ami, transfer)
        else:
            log.info("transfer %s: %s", transfer.case.case_id, type(effect).__name__)

    async def _dial(self, transfer: WindowTransfer, dial: DialWindow) -> None:
        case_id = transfer.case.case_id
        briefing = self._briefings.get(case_id, "silence/1")
        watch = window_leg.watch_ringing(
            self.ami, case_id, dial.timeout_s,
            current=self.transfers.get, feed=self.feed, wall=self.wall,
        )  # fmt: skip
        self._spawn(watch)
        outcome = await window_leg.originate(self.ami, transfer, dial, briefing, self.wall)
        self.feed(case_id, outcome)

    def _start_timer(self, case_id: str, timer: Timer, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        old = self._timers.pop((case_id, timer), None)
        if old is not None:
            old.cancel()

        def expire() -> None:
            self._timers.pop((case_id, timer), None)
            self.feed(case_id, TimerExpired(self.wall(), timer))

        self._timers[(case_id, timer)] = loop.call_later(seconds, expire)

    def _spawn(self, work: object) -> None:
        assert asyncio.iscoroutine(work)
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- after a restart ----------------------------------------------------------------
    async def settle_open(self, client: AmiClient) -> None:
        """Settle every stored open transfer with what Asterisk reports (on each connect)."""
        decisions = settle_open(
            client, self.ami, self.store, directory=self.directory,
            known=self.transfers.get, settings=self.settings, wall=self.wall,
        )  # fmt: skip
        async for decision, alive in decisions:
            self._take(decision)
            settled = decision.transfer
            if settled.state is WindowState.RETURNED_TO_AGENT and settled.caller not in alive:
                self._caller_gone_after(settled)
            elif settled.finished and not decision.effects:
                await asyncio.to_thread(self.store.save_transfer, record_of(settled, self.wall()))


def _caller_hung_up(transfer: WindowTransfer, event: Event) -> bool:
    return event.name == "Hangup" and event.get("Channel", "") == transfer.caller
