"""The one place that builds the object graph, by hand.

Asterisk ──FastAGI──▶ agi.FastAgiServer ──▶ CallFlow ──▶ Controller ──▶ queues.Router (pure)
         ──AMI──────▶ ami.AmiClient ──▶ AmiBridge ──┘        │
                                                            ├──▶ EventHub ──▶ MQTT, metrics,
                                                            │      ScreenPops ──▶ KnowledgeBase
                                                            └──▶ StoreRecorder ──▶ Store
HTTP ──▶ api (FastAPI) ──▶ Controller, Store
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import uvicorn

from agi import FastAgiServer
from ami import AmiClient
from hotline.ami_bridge import AmiBridge, AmiDialer, AmiPlayback
from hotline.api import build_app
from hotline.api_base import ApiContext
from hotline.asterisk.layout import AsteriskLayout
from hotline.bus import EventHub, MqttPublisher, Sink
from hotline.call_flow import CallFlow, CallFlowConfig
from hotline.callback_desk import CallbackDesk
from hotline.controller import Controller
from hotline.delivery import Delivery, DeliveryConfig
from hotline.flow_library import FlowLibrary
from hotline.handoff_ami import queue_routes
from hotline.handoff_desk import HandoffDesk
from hotline.ivr_facts import IvrFacts
from hotline.kb_build import ChildBuilder
from hotline.knowledge import KnowledgeBase
from hotline.loop_priority import raise_loop_priority, raise_workers_too
from hotline.metrics import Metrics, QueueSnapshot
from hotline.prompts import DynamicPrompts, PromptFiles, prompt_seconds, prompt_stem
from hotline.recorder import StoreRecorder
from hotline.repeat_callers import RepeatCallers
from hotline.routing_policy import routing_policy
from hotline.screen_pops import ScreenPops
from hotline.seat_features import SeatFeatures
from hotline.secrets import Secrets
from hotline.settings import Settings
from hotline.storage import StorageError, Store
from hotline.window_desk import WindowDesk
from hotline.window_returns import WindowReturns
from hotline.work_order_desk import WorkOrderDesk
from ivr.interpreter import BookCallback
from ivr.phone_numbers import parse_callback_number
from ivr.prompt import Prompt
from queues.callbacks import CallbackPolicy
from queues.router import Router, RoutingError
from transfers.directory import load_directory
from transfers.handoff import HandoffSettings
from transfers.machine import WindowSettings
from transfers.outbox import RetryPolicy

log = logging.getLogger("hotline.wiring")

HANDLE_TIME_HISTORY = timedelta(days=7)
KB_REFRESH_S = 60.0
"""How often the controller checks whether imports or effective dates changed what is in force."""


@dataclass
class ControllerApp:
    settings: Settings
    layout: AsteriskLayout
    secrets: Secrets
    extra_sinks: list[Sink] = field(default_factory=list)
    serve_http: bool = True
    ivr_clock: Callable[[], datetime] | None = None
    """The time the IVR judges opening hours by; None: the wall clock (or settings.ivr_time)."""

    def __post_init__(self) -> None:
        s = self.settings
        self.store = Store.open(s.resolved_database_url)
        self.metrics = Metrics()
        self.mqtt = MqttPublisher(s.mqtt_url)
        self.hub = EventHub([self.mqtt, self.metrics, *self.extra_sinks])
        self.recorder = StoreRecorder(self.store)
        self.knowledge = KnowledgeBase(
            self.store, s.state_dir / "kb", self._local_today,
            builder=ChildBuilder(s.resolved_database_url, s.state_dir / "kb"),
        )  # fmt: skip
        self.prompt_files = PromptFiles(self.layout.prompt_dir, self.layout.dirs.prompts)
        self.flows = FlowLibrary(self.store, s.ivr_flow, self.prompt_files.ensure, self._wall)
        shipped = self.flows.shipped_flow()
        self.controller = Controller(
            Router(routing_policy(s, shipped.queue_skills, tuple(shipped.skill_labels))),
            self.hub, self.recorder, timings=self.metrics,
        )  # fmt: skip
        self.screen_pops = ScreenPops(self.controller, self.knowledge, self.store, self.hub)
        self.hub.add(self.screen_pops)
        self.ivr_facts = IvrFacts(
            lambda: self.flows.current, self.store.active_hot_topic, self._ivr_clock, s.timezone
        )
        self.controller.repeat_callers = RepeatCallers(s.repeat_caller_window_s)
        flow_config = CallFlowConfig(
            flow=lambda: self.flows.current,
            facts=self.ivr_facts,
            prompt_file=self.prompt_files.file,
            book_callback=self._book_out_of_hours,
            save_survey=self.recorder.save_survey,
            prompt_path=self.prompt_path,
            prompt_seconds=self.prompt_seconds,
            dynamic_prompts=DynamicPrompts(
                self.layout.prompt_dir / "dynamic", f"{self.layout.dirs.prompts}/dynamic"
            ),
            announce_after_s=s.announce_after_s,
            announce_every_s=s.announce_every_s,
            service_number=s.service_number,
            message_dir=self.layout.message_dir if s.voice_messages else None,
            message_host_dir=self.layout.host(self.layout.message_dir),
        )
        features = SeatFeatures(self.controller, self._agent_skills, self.prompt_path)
        self.ami = AmiClient(
            "127.0.0.1", s.ami_port,
            username=self.secrets.ami_username, secret=self.secrets.ami_secret,
            events="call,agent,dtmf",
        )  # fmt: skip
        # A second login without events, for the one action on an offer's path (stopping an
        # announcement): on the busy connection its response queues behind the event stream.
        self.ami_control = AmiClient(
            "127.0.0.1", s.ami_port,
            username=self.secrets.ami_username, secret=self.secrets.ami_secret, events="off",
        )  # fmt: skip
        playback = AmiPlayback(self.ami_control)
        self.call_flow = CallFlow(self.controller, flow_config, features, playback)
        self.agi = FastAgiServer(
            self.call_flow,
            host=s.agi_host,
            port=s.agi_port,
            on_reply=self.metrics.observe_agi_reply,
        )
        self.bridge = AmiBridge(self.ami, self.controller)
        self.directory = load_directory()
        self.window_returns = WindowReturns(
            self.controller, self.hub.publish, queue=WindowSettings.return_queue
        )
        self.hub.add(self.window_returns)
        self.windows = self._window_desk(flow_config.dynamic_prompts)
        self.handoffs = self._handoff_desk()
        self.callbacks = self._callback_desk()
        self.work_orders, self.delivery = self._work_orders()
        self.metrics.watch_queues(self._queue_snapshots)
        self._tasks: list[asyncio.Task[None]] = []
        self._http: uvicorn.Server | None = None

    def _callback_desk(self) -> CallbackDesk | None:
        s = self.settings
        if not s.callback_trunk:
            return None
        policy = CallbackPolicy(
            max_attempts=s.callback_attempts, retry_after_s=s.callback_retry_s,
            ring_s=s.callback_ring_s, max_legs=s.callback_max_legs,
        )  # fmt: skip
        dialer = AmiDialer(self.ami, "callback-trunk", s.service_number, self._callback_failed)
        desk = CallbackDesk(self.controller, dialer, self.recorder, policy)
        self.controller.callbacks = desk
        return desk

    def _window_desk(self, prompts: DynamicPrompts) -> WindowDesk:
        s = self.settings
        limits = WindowSettings(dial_timeout_s=s.window_answer_s,
                                briefing_max_s=s.window_briefing_max_s)  # fmt: skip
        desk = WindowDesk(
            self.ami, self.store, self.hub.publish, self.directory, limits,
            briefing=lambda text: prompts.path(Prompt("window.briefing", text))[0],
            wall=self._wall, hours_clock=lambda: s.window_time or self._ivr_clock(),
            returns=self.window_returns,
        )  # fmt: skip
        self.bridge.observers.append(desk.observe)
        self.ami.add_on_connected(desk.settle_open)
        return desk

    def _handoff_desk(self) -> HandoffDesk:
        desk = HandoffDesk(
            self.ami, self.store, self.hub.publish, self.controller,
            HandoffSettings(dial_timeout_s=self.settings.transfer_answer_s),
            routes=lambda: queue_routes(self.flows.current), wall=self._wall,
        )  # fmt: skip
        self.bridge.observers.append(desk.observe)
        self.hub.add(desk)
        returns = self.window_returns.route_for
        self.call_flow.transfers = lambda uniqueid: desk.route_for(uniqueid) or returns(uniqueid)
        self.ami.add_on_connected(desk.settle_open)
        return desk

    def _work_orders(self) -> tuple[WorkOrderDesk, Delivery]:
        s = self.settings
        desk = WorkOrderDesk(self.store, self.directory, self.hub.publish, self._wall,
                             webhook_template=s.work_order_webhook)  # fmt: skip
        retries = RetryPolicy(base_delay_s=s.work_order_retry_base_s,
                              max_attempts=s.work_order_max_attempts)  # fmt: skip
        config = DeliveryConfig(s.mqtt_url, self.secrets.webhook_secret, retries,
                                poll_s=s.work_order_poll_s)  # fmt: skip
        delivery = Delivery(self.store, config, self._wall, on_delivered=desk.delivered,
                            publish=self.hub.publish, metrics=self.metrics)  # fmt: skip
        desk.wake = delivery.wake
        if self.callbacks is not None:
            desk.follow_ups = self.callbacks.follow_up
        return desk, delivery

    def _deadline_clock(self) -> datetime:
        """The time deadlines are judged by: shifted forward only in tests and rehearsals."""
        return self._wall() + timedelta(seconds=self.settings.work_order_clock_shift_s)

    def _ivr_clock(self) -> datetime:
        """The time the IVR's opening hours are judged by (fixed by tests and the demo)."""
        if self.ivr_clock is not None:
            return self.ivr_clock()
        return self.settings.ivr_time or self._wall()

    @staticmethod
    def _wall() -> datetime:
        return datetime.now(UTC)

    def _local_today(self) -> date:
        """The day whose provisions are in force, in the hotline's own time zone."""
        return datetime.now(ZoneInfo(self.settings.timezone)).date()

    def _book_out_of_hours(self, uniqueid: str, booking: BookCallback) -> bool:
        trace = self.controller.trace(uniqueid)
        due = self.ivr_facts.next_opening(booking.schedule)
        number = parse_callback_number(trace.caller_number) if trace is not None else None
        if self.callbacks is None or trace is None or due is None or number is None:
            return False
        self.callbacks.schedule(trace, number.digits, booking.queue, booking.topic, due)
        trace.callback_booked = True
        return True

    def _callback_failed(self, leg_id: str, reason: str) -> None:
        if self.callbacks is not None:
            self.callbacks.leg_failed(leg_id, reason)

    def health(self) -> dict[str, Any]:
        return {
            "ami_connected": self.ami.connected,
            "mqtt_connected": self.mqtt.connected,
            "agi_sessions": self.agi.active_sessions,
            "pending_writes": self.recorder.pending,
        }

    def _queue_snapshots(self) -> list[QueueSnapshot]:
        now = asyncio.get_running_loop().time()
        oldest: dict[str, float] = {}
        counts: dict[str, int] = {}
        for call in self.controller.router.calls.values():
            counts[call.queue] = counts.get(call.queue, 0) + 1
            oldest[call.queue] = min(oldest.get(call.queue, now), call.enqueued_at)
        return [QueueSnapshot(q, counts[q], max(0.0, now - oldest[q])) for q in sorted(counts)]

    async def _agent_skills(self, code: str) -> Mapping[str, int] | None:
        record = await asyncio.to_thread(self.store.get_agent, code)
        return record.skills if record is not None and record.active else None

    def prompt_seconds(self, prompt: Prompt) -> float:
        return prompt_seconds(self.layout.prompt_dir / f"{prompt_stem(prompt)}.wav")

    def prompt_path(self, prompt: Prompt) -> str:
        return f"{self.layout.dirs.prompts}/{prompt_stem(prompt)}"

    async def start(self) -> None:
        """Check the store, restore who was logged in, and start every adapter."""
        problem = raise_loop_priority(self.settings.loop_nice)
        if problem is not None:
            log.warning("%s", problem)
        else:
            raise_workers_too(asyncio.get_running_loop(), self.settings.loop_nice)
        await asyncio.to_thread(self._prepare_store)
        await asyncio.to_thread(self.flows.start)
        self._restore_agents(await asyncio.to_thread(self._logged_in_agents))
        await asyncio.to_thread(self._remember_recent_callers)
        if self.callbacks is not None:
            open_callbacks = await asyncio.to_thread(self.store.list_callbacks, open_only=True)
            self.callbacks.restore(open_callbacks)
        self._spawn("ami", self.ami.run())
        self._spawn("ami-control", self.ami_control.run())
        self._spawn("ami-events", self.bridge.consume(self.ami.subscribe()))
        self._spawn("windows", self.windows.run())
        self._spawn("handoffs", self.handoffs.run())
        self._spawn("mqtt", self.mqtt.run())
        self._spawn("recorder", self.recorder.run())
        self._spawn("knowledge", self._keep_knowledge_current())
        self._spawn("delivery", self.delivery.run())
        every_s = self.settings.work_order_escalation_s
        self._spawn("escalations", self.work_orders.keep_escalating(every_s, self._deadline_clock))
        if self.serve_http:
            self._start_http()
        await self.agi.start()
        log.info("controller ready: FastAGI on %s:%d", self.settings.agi_host, self.agi.port)
        _freeze_long_lived()

    async def stop(self) -> None:
        await self.agi.close()
        if self.callbacks is not None:
            self.callbacks.close()
        with contextlib.suppress(TimeoutError):
            await self.recorder.flush(timeout=10)
        if self._http is not None:
            self._http.should_exit = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.delivery.close()
        self.store.close()

    async def _keep_knowledge_current(self) -> None:
        """Load the knowledge base in the background (searches answer 503 until it is ready,
        calls are never held up), then follow imports and effective dates as they change."""
        marks_read = False
        while True:
            try:
                if not marks_read:
                    marks = await asyncio.to_thread(self.knowledge.load_marks, self._wall())
                    log.info("knowledge base: %d marks read for hit rates", marks)
                    marks_read = True
                if await asyncio.to_thread(self.knowledge.refresh):
                    _freeze_long_lived()
            except StorageError as exc:
                log.warning("knowledge base not refreshed (the store failed): %s", exc)
            except Exception:
                # A fault here must not end the loop: the next minute tries again.
                log.exception("knowledge base not refreshed")
            await asyncio.sleep(KB_REFRESH_S)

    def _prepare_store(self) -> None:
        self.store.check()
        self.store.migrate()
        self.store.ensure_seats(self.settings.seats)

    def _remember_recent_callers(self) -> None:
        """Seed what is learnt from calls with the store's history, so a restart starts warm:
        who answered whom (repeat callers), and the mean talk time (estimated waits)."""
        repeat = self.controller.repeat_callers
        now = datetime.now(UTC)
        repeat.seed(self.store.recent_answerers(now - repeat.window))
        log.info("%d recent callers remembered for preferred-agent routing", len(repeat))
        talk_s = self.store.mean_talk_seconds(now - HANDLE_TIME_HISTORY)
        if talk_s is not None:
            self.controller.handle_times.seed(talk_s + self.settings.wrapup_s)
            log.info("estimated waits start from a mean talk time of %.0f s", talk_s)

    def _logged_in_agents(self) -> list[tuple[str, str, dict[str, int]]]:
        """Who was logged in where when the controller last stopped, with their skills."""
        restored = []
        for session in self.store.open_agent_sessions():
            record = self.store.get_agent(session.agent_code)
            skills = dict(record.skills) if record is not None else {}
            restored.append((session.agent_code, session.seat_name, skills))
        return restored

    def _restore_agents(self, agents: list[tuple[str, str, dict[str, int]]]) -> None:
        now = asyncio.get_running_loop().time()
        for agent, seat, skills in agents:
            try:
                self.controller.router.login(agent, seat, now, skills=skills)
            except RoutingError as exc:
                log.warning("not restoring agent %s: %s", agent, exc)

    def _start_http(self) -> None:
        context = ApiContext(
            controller=self.controller,
            store=self.store,
            metrics=self.metrics,
            seats=frozenset(self.settings.seats),
            health=self.health,
            asterisk_path=self.layout.host,
            flows=self.flows,
            knowledge=self.knowledge,
            screen_pops=self.screen_pops,
            work_orders=self.work_orders,
            windows=self.windows,
            handoffs=self.handoffs,
        )
        config = uvicorn.Config(
            build_app(context),
            host=self.settings.http_host,
            port=self.settings.http_port,
            log_level="warning",
            lifespan="off",
        )
        self._http = uvicorn.Server(config)
        self._spawn("http", self._http.serve())

    def _spawn(self, name: str, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._task_ended)
        self._tasks.append(task)

    def _task_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed: %r", task.get_name(), task.exception())


GC_THRESHOLDS = (50_000, 20, 10)
"""Cycle collector thresholds: young collections after 50,000 net new objects (default 700)."""


def _freeze_long_lived() -> None:
    """Move what exists now (modules, the flow, the directory, the knowledge index) out of the
    cycle collector's sight. A full collection otherwise walks all of it: measured at up to
    148 ms with the event loop stopped, every caller's FastAGI session and offer waiting (the
    offer latency's tail in `hotline load`). Frozen objects are still freed by reference
    counting; only cycles among them would stay, and this runs again only when a new index is
    loaded (when the provisions in force change).

    The young generation is also made larger (``GC_THRESHOLDS``): a call's objects live for
    seconds to minutes, and with the default 700 most of those still alive at a collection
    were promoted, to be walked again by the costlier older collections; measured at 600
    lines: 350 young collections (6 ms each on the busy machine), 33 middle ones up to 225 ms."""
    gc.set_threshold(*GC_THRESHOLDS)
    gc.freeze()
