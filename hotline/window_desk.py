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
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import uuid
from collections.abc import Callable
from datetime import datetime

from ami import AmiClient, AmiError, Event
from hotline import channel_vars
from hotline.events import Event as HotlineEvent
from hotline.storage import Store
from hotline.storage.transfer_store import TransferRecord
from hotline.window_ami import leg_id, leg_ringing, originate_outcome, window_event
from hotline.window_returns import WindowReturns
from transfers.case import CaseContext, Role
from transfers.directory import Directory, Office
from transfers.effects import (
    CancelTimer,
    CancelWindow,
    DialWindow,
    Effect,
    EndConference,
    JoinConference,
    Member,
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
    briefing_text,
    handle,
    request_window,
)
from transfers.reconcile import AsteriskSnapshot, reconcile
from transfers.window_events import AgentLeaves, SupervisorJoins, TimerExpired, WindowEvent

log = logging.getLogger("hotline.window_desk")

CONFERENCE_CONTEXT = "hotline-conference"
CLERK_CONTEXT = "hotline-window-clerk"
FALLBACK_CONTEXT = "hotline-fallback"
TRANSFER_CONTEXT = "hotline-transfer"
"""Where a caller returned to the queue is routed again, with the case (hotline/window_returns)."""
FORGET_AFTER_S = 60.0
"""A finished transfer is kept this long for the late events of its legs being torn down."""
ROLE_EXTEN = {
    Role.CALLER: "caller",
    Role.AGENT: "seat",
    Role.CLERK: "clerk",
    Role.SUPERVISOR: "supervisor",
}
SUPERVISOR_EXTEN = {MemberMode.LISTEN: "supervisor", MemberMode.TALK: "barge"}
"""A supervisor listens muted by default; ``talk`` joins unmuted (heard by everyone)."""
WATCHED = frozenset({"ConfbridgeJoin", "ConfbridgeLeave", "Hangup"})
RING_POLL_S = 0.25
"""How often a window leg being dialled is asked whether it rings (AMI sends no Newstate)."""


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
        briefing = await asyncio.to_thread(self.briefing, _briefing_of(case, office))
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
        case_id, room = transfer.case.case_id, transfer.conference_id
        match effect:
            case DialWindow():
                self._spawn(self._dial(transfer, effect))
            case CancelWindow(channel=channel):
                await self._hang_up_window(case_id, channel)
            case JoinConference(members=members):
                if any(m.role is Role.CALLER for m in members):
                    await self._setvar(transfer.caller, channel_vars.WINDOW_PENDING, "")
                await self._into_room(room, members)
            case RemoveFromConference(channel=channel):
                await self.ami.action("ConfbridgeKick", {"Conference": room, "Channel": channel})
            case EndConference():
                await self._end_room(room)
            case ReturnToAgent():
                await self._setvar(transfer.caller, channel_vars.WINDOW_PENDING, "")
                await self._back_with_agent(transfer)
            case ReturnToQueue(caller=caller) if self.returns is not None:
                self.returns.expect(transfer)
                await self._redirect(caller, TRANSFER_CONTEXT, "s")
            case ReturnToQueue(caller=caller):
                await self._redirect(caller, FALLBACK_CONTEXT, "s")
            case _:
                # PlayHold: the caller and agent into the room. PlayBriefing happens in the
                # clerk's dialplan; ReleaseAgent when the agent's channel ends (the controller
                # frees the seat).
                await self._other(transfer, effect)

    async def _other(self, transfer: WindowTransfer, effect: Effect) -> None:
        if isinstance(effect, PlayHold):
            await self._hold(transfer)
        else:
            log.info("transfer %s: %s", transfer.case.case_id, type(effect).__name__)

    async def _hold(self, transfer: WindowTransfer) -> None:
        room = transfer.conference_id
        await self._setvar(transfer.caller, channel_vars.WINDOW_PENDING, "1")
        await self.ami.action(
            "Redirect",
            {
                "Channel": transfer.caller, "Context": CONFERENCE_CONTEXT,
                "Exten": f"caller-{room}", "Priority": "1",
                "ExtraChannel": transfer.agent, "ExtraContext": CONFERENCE_CONTEXT,
                "ExtraExten": f"{ROLE_EXTEN[Role.AGENT]}-{room}", "ExtraPriority": "1",
            },
        )  # fmt: skip

    async def _dial(self, transfer: WindowTransfer, dial: DialWindow) -> None:
        case_id = transfer.case.case_id
        fields = [
            ("Channel", f"PJSIP/{dial.endpoint}"),
            ("Context", CLERK_CONTEXT),
            ("Exten", "s"),
            ("Priority", "1"),
            ("Timeout", str(round(dial.timeout_s * 1000))),
            ("CallerID", f'"{dial.caller_id}" <{dial.caller_id}>'),
            ("Variable", f"HOTLINE_CONFERENCE={transfer.conference_id}"),
            ("Variable", f"HOTLINE_BRIEFING={self._briefings.get(case_id, 'silence/1')}"),
            ("ChannelId", leg_id(case_id)),
            ("Async", "true"),
        ]
        self._spawn(self._watch_ringing(case_id, dial.timeout_s))
        try:
            _, result = await self.ami.action_with_event(
                "Originate", fields, event="OriginateResponse", timeout=dial.timeout_s + 10
            )
        except AmiError as exc:
            log.warning("transfer %s: window leg not placed: %s", case_id, exc)
            self.feed(case_id, originate_outcome("Failure", "0", "", self.wall()))
            return
        outcome = originate_outcome(
            result.get("Response", ""), result.get("Reason", ""), result.get("Channel", ""),
            self.wall(),
        )  # fmt: skip
        self.feed(case_id, outcome)

    async def _watch_ringing(self, case_id: str, timeout_s: float) -> None:
        """Store when the window starts ringing: the leg's Status, asked every RING_POLL_S
        until it rings, is answered or given up, or the dial time is over."""
        loop = asyncio.get_running_loop()
        until = loop.time() + timeout_s
        while loop.time() < until:
            transfer = self.transfers.get(case_id)
            if transfer is None or transfer.state is not WindowState.CALLER_ON_HOLD:
                return
            try:
                _, statuses = await self.ami.action_list("Status", {"Channel": leg_id(case_id)})
            except AmiError:
                statuses = []  # the leg not created yet (or already gone)
            found = [leg_ringing(transfer, s.fields, self.wall()) for s in statuses]
            if ringing := next((f for f in found if f is not None), None):
                self.feed(case_id, ringing)
                return
            await asyncio.sleep(RING_POLL_S)

    async def _hang_up_window(self, case_id: str, channel: str | None) -> None:
        if channel is None:
            _, channels = await self.ami.action_list("CoreShowChannels")
            leg = leg_id(case_id)
            channel = next(
                (c.get("Channel", "") for c in channels if c.get("Uniqueid", "") == leg), None
            )
        if channel:
            await self.ami.action("Hangup", {"Channel": channel, "Cause": "16"})

    async def _into_room(self, room: str, members: tuple[Member, ...]) -> None:
        present = await self._members(room)
        for member in members:
            if member.channel in present:
                continue
            exten = f"{ROLE_EXTEN[member.role]}-{room}"
            if member.role is Role.SUPERVISOR:
                await self._originate_into(
                    member.channel, f"{SUPERVISOR_EXTEN[member.mode]}-{room}"
                )
            else:
                await self._redirect(member.channel, CONFERENCE_CONTEXT, exten)

    async def _back_with_agent(self, transfer: WindowTransfer) -> None:
        """The caller in the room stays there with the agent (brought back if need be); a
        caller still in the Dial with the agent (a window closed by its hours) is left there."""
        room = transfer.conference_id
        present = await self._members(room)
        if transfer.caller in present and transfer.agent not in present:
            await self._into_room(room, (Member(transfer.agent, Role.AGENT),))

    async def _members(self, room: str) -> set[str]:
        try:
            _, listed = await self.ami.action_list("ConfbridgeList", {"Conference": room})
        except AmiError:
            return set()  # no such conference (yet): nobody in it
        return {m.get("Channel", "") for m in listed}

    async def _redirect(self, channel: str, context: str, exten: str) -> None:
        fields = {"Channel": channel, "Context": context, "Exten": exten, "Priority": "1"}
        await self.ami.action("Redirect", fields)

    async def _setvar(self, channel: str, name: str, value: str) -> None:
        await self.ami.action("Setvar", {"Channel": channel, "Variable": name, "Value": value})

    async def _originate_into(self, endpoint: str, exten: str) -> None:
        fields = {
            "Channel": endpoint, "Context": CONFERENCE_CONTEXT, "Exten": exten,
            "Priority": "1", "Timeout": "30000", "Async": "true",
        }  # fmt: skip
        await self.ami.action("Originate", fields)

    async def _end_room(self, room: str) -> None:
        for channel in await self._members(room):
            await self.ami.action("ConfbridgeKick", {"Conference": room, "Channel": channel})

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
        records = await asyncio.to_thread(self.store.open_transfers)
        if not records:
            return
        _, channels = await client.action_list("CoreShowChannels")
        for record in records:
            transfer = self.transfers.get(record.case_id) or self._rebuild(record)
            if transfer is None:
                continue
            snapshot = await self._snapshot(transfer, channels)
            decision = reconcile(transfer, snapshot, self.wall(), self.settings)
            log.info("transfer %s settled after a (re)connect: %s", record.case_id,
                     decision.transfer.state)  # fmt: skip
            self._take(decision)
            settled = decision.transfer
            if settled.state is WindowState.RETURNED_TO_AGENT and (
                settled.caller not in snapshot.alive
            ):
                self._caller_gone_after(settled)
            elif settled.finished and not decision.effects:
                await asyncio.to_thread(
                    self.store.save_transfer, record_of(decision.transfer, self.wall())
                )

    def _rebuild(self, record: TransferRecord) -> WindowTransfer | None:
        office = self.directory.office_by_endpoint(record.office_endpoint)
        if office is None:
            log.error("transfer %s: office %s is no longer in the directory",
                      record.case_id, record.office_endpoint)  # fmt: skip
            return None
        case = CaseContext(record.case_id, record.call_id, record.summary,
                           district_id=office.district_id)  # fmt: skip
        return WindowTransfer(
            case, office, record.caller_channel, record.agent_channel, record.agent,
            state=WindowState(record.state), clerk=record.clerk_channel,
            agent_present=record.agent_present, dialled_at=record.dialled_at,
            reason=record.reason,
        )  # fmt: skip

    async def _snapshot(self, transfer: WindowTransfer, channels: list[Event]) -> AsteriskSnapshot:
        mine = {transfer.caller, transfer.agent, transfer.clerk}
        leg = next((c for c in channels if c.get("Uniqueid", "") == leg_id(
            transfer.case.case_id)), None)  # fmt: skip
        alive = {c.get("Channel", "") for c in channels} & (mine | {_name(leg)})
        return AsteriskSnapshot(
            alive=frozenset(name for name in alive if name),
            in_conference=frozenset(await self._members(transfer.conference_id)),
            window_channel=_name(leg) or None,
            window_answered=leg is not None and leg.get("ChannelStateDesc", "") == "Up",
        )


def _caller_hung_up(transfer: WindowTransfer, event: Event) -> bool:
    return event.name == "Hangup" and event.get("Channel", "") == transfer.caller


def _name(channel: Event | None) -> str:
    return channel.get("Channel", "") if channel is not None else ""


def _briefing_of(case: CaseContext, office: Office) -> str:
    probe = WindowTransfer(case, office, "", "", "")
    return briefing_text(probe)


def record_of(t: WindowTransfer, now: datetime, *, caller_gone: bool = False) -> TransferRecord:
    """The transfer as stored. Back with the agent, it stays open until the caller hangs up:
    after a restart the controller must still end the room then (the agent alone in it)."""
    created = t.steps[0].at if t.steps else now
    back_with_agent = t.state is WindowState.RETURNED_TO_AGENT and not caller_gone
    return TransferRecord(
        case_id=t.case.case_id, call_id=t.case.call_id, agent=t.agent_id,
        office_endpoint=t.office.endpoint, summary=t.case.summary, caller_channel=t.caller,
        agent_channel=t.agent, clerk_channel=t.clerk, state=t.state.value, reason=t.reason,
        agent_present=t.agent_present, finished=t.finished and not back_with_agent,
        dialled_at=t.dialled_at,
        created_at=created, updated_at=now,
    )  # fmt: skip
