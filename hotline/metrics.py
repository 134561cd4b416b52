"""Prometheus metrics, fed by the same typed events that go to MQTT (one registry, no globals).

Queue gauges (callers waiting, longest wait) are read from the routing core when Prometheus
scrapes, so they are always current and cost nothing between scrapes. Rates such as service
level and abandon rate are ratios of counters, as Prometheus prefers:
``hotline_answered_within_total{seconds="20"} / hotline_calls_answered_total``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from hotline.events import (
    AgentStateChanged,
    CallAnswered,
    CallbackChanged,
    CallEnded,
    CallFallback,
    CallIvrStep,
    CallOffered,
    DeliveryDeadLettered,
    Event,
    MessageLeft,
    OfferMissed,
    SurveyAnswered,
    WorkOrderChanged,
    WorkOrderEscalated,
)

SERVICE_LEVELS_S = (15, 20)
AGENT_STATES = ("logged_out", "available", "offered", "on_call", "wrap_up", "paused")


@dataclass(frozen=True)
class QueueSnapshot:
    queue: str
    waiting: int
    longest_wait_s: float


QueueReader = Callable[[], list[QueueSnapshot]]


class QueueCollector(Collector):
    def __init__(self, read: QueueReader) -> None:
        self.read = read

    def collect(self) -> Iterator[GaugeMetricFamily]:
        waiting = GaugeMetricFamily(
            "hotline_calls_waiting", "Callers waiting for an agent, by queue", labels=["queue"]
        )
        longest = GaugeMetricFamily(
            "hotline_longest_wait_seconds", "The longest current wait, by queue", labels=["queue"]
        )
        for snapshot in self.read():
            waiting.add_metric([snapshot.queue], snapshot.waiting)
            longest.add_metric([snapshot.queue], snapshot.longest_wait_s)
        yield waiting
        yield longest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.calls_ended = Counter(
            "hotline_calls_ended_total", "Calls ended, by outcome", ["outcome"], registry=r
        )
        self.calls_answered = Counter(
            "hotline_calls_answered_total", "Calls answered by an agent", registry=r
        )
        self.answered_within = Counter(
            "hotline_answered_within_total",
            "Calls answered within a service-level threshold (seconds)",
            ["seconds"],
            registry=r,
        )
        self.offers = Counter("hotline_offers_total", "Calls offered to agents", registry=r)
        self.missed_offers = Counter(
            "hotline_offers_missed_total",
            "Offers not answered (no answer, busy, unreachable), by agent",
            ["agent"],
            registry=r,
        )
        self.fallbacks = Counter(
            "hotline_fallback_total", "Callers sent to the static fallback queue", registry=r
        )
        self.answer_wait = Histogram(
            "hotline_answer_wait_seconds",
            "Time from entering the queue to an agent answering (ASA is its mean)",
            buckets=(1, 2, 5, 10, 15, 20, 30, 60, 120, 300),
            registry=r,
        )
        self.agents = Gauge(
            "hotline_agents", "Agents by state and pause reason", ["state", "reason"], registry=r
        )
        self.offer_latency = Histogram(
            "hotline_offer_latency_seconds",
            "From the moment a caller and a free agent could be matched to Asterisk being told "
            "to ring the agent's seat",
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0),
            registry=r,
        )
        self.offer_stage = Histogram(
            "hotline_offer_stage_seconds",
            "The offer latency's parts: routing (until the caller's session has the offer), "
            "room (until the waiting room lets the caller go), stop (the same when an "
            "announcement had to be stopped first), agi (the command that starts the Dial)",
            ["stage"],
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0),
            registry=r,
        )
        self.seat_release = Histogram(
            "hotline_seat_release_seconds",
            "From an agent being free in routing to Asterisk reporting their seat idle, when it "
            "was still in use (the last call's channel not yet gone); offers wait for it",
            buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
            registry=r,
        )
        self.routing_decision = Histogram(
            "hotline_routing_decision_seconds",
            "Time the routing core takes to decide (one decide() call)",
            buckets=(0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01),
            registry=r,
        )
        self.agi_command = Histogram(
            "hotline_agi_command_seconds",
            "FastAGI command round trip (command written to reply read), by command",
            ["command"],
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 1, 10, 60),
            registry=r,
        )
        self.agi_sessions = Gauge(
            "hotline_agi_sessions", "FastAGI sessions in progress", registry=r
        )
        self.ami_connected = Gauge(
            "hotline_ami_connected", "1 while logged in to Asterisk's AMI", registry=r
        )
        self.mqtt_connected = Gauge(
            "hotline_mqtt_connected", "1 while connected to the MQTT broker", registry=r
        )
        self.callbacks = Counter(
            "hotline_callbacks_total",
            "Queued callbacks moving into a status (waiting = requested or back for a retry)",
            ["status"],
            registry=r,
        )
        self.voice_messages = Counter(
            "hotline_voice_messages_total", "Voice messages left by waiting callers", registry=r
        )
        self.survey_ratings = Counter(
            "hotline_survey_ratings_total", "Satisfaction ratings keyed after calls (1-5)",
            ["rating"], registry=r,
        )  # fmt: skip
        self.ivr_steps = Counter(
            "hotline_ivr_steps_total",
            "Callers' IVR steps: a node entered, a wrong key, silence (by step and node)",
            ["step", "node"], registry=r,
        )  # fmt: skip
        self.work_orders = Counter(
            "hotline_work_orders_total", "Work orders moving into a status, by type",
            ["type", "status"], registry=r,
        )  # fmt: skip
        self.deliveries = Counter(
            "hotline_work_order_deliveries_total",
            "Work-order delivery attempts, by result (delivered, retry, dead)", ["result"],
            registry=r,
        )  # fmt: skip
        self.dead_letters = Counter(
            "hotline_outbox_dead_letters_total", "Outbox entries given up on", registry=r
        )
        self.outbox_pending = Gauge(
            "hotline_outbox_pending", "Outbox entries waiting to be delivered", registry=r
        )
        self.work_order_escalations = Counter(
            "hotline_work_order_escalations_total", "Missed deadlines escalated, by level",
            ["level"], registry=r,
        )  # fmt: skip
        self._agent_state: dict[str, tuple[str, str]] = {}

    def watch_queues(self, read: QueueReader) -> None:
        self.registry.register(QueueCollector(read))

    def routing_decided(self, seconds: float) -> None:
        self.routing_decision.observe(seconds)

    def offer_sent(self, seconds: float) -> None:
        self.offer_latency.observe(seconds)

    def offer_stages(
        self, routing_s: float, room_s: float, agi_s: float, *, stopped_prompt: bool = False
    ) -> None:
        self.offer_stage.labels("routing").observe(routing_s)
        self.offer_stage.labels("stop" if stopped_prompt else "room").observe(room_s)
        self.offer_stage.labels("agi").observe(agi_s)

    def seat_released(self, seconds: float) -> None:
        self.seat_release.observe(seconds)

    def observe_agi_reply(self, command: str, seconds: float) -> None:
        self.agi_command.labels(command).observe(seconds)

    def __call__(self, event: Event) -> None:
        if isinstance(event, CallEnded):
            self.calls_ended.labels(event.outcome).inc()
        elif isinstance(event, CallAnswered):
            self._answered(event)
        elif isinstance(event, CallOffered):
            self.offers.inc()
        elif isinstance(event, OfferMissed):
            self.missed_offers.labels(event.agent).inc()
        elif isinstance(event, CallFallback):
            self.fallbacks.inc()
        elif isinstance(event, CallbackChanged):
            self.callbacks.labels(event.status).inc()
        elif isinstance(event, MessageLeft):
            self.voice_messages.inc()
        elif isinstance(event, SurveyAnswered):
            self.survey_ratings.labels(str(event.rating)).inc()
        elif isinstance(event, CallIvrStep):
            self.ivr_steps.labels(event.step, event.detail).inc()
        elif isinstance(event, WorkOrderChanged | WorkOrderEscalated | DeliveryDeadLettered):
            self._work_order(event)
        elif isinstance(event, AgentStateChanged):
            # The routing core words pauses "pause: lunch" (after "NOANSWER; " for missed offers).
            reason = event.reason.rsplit("pause: ", 1)[-1] if event.state == "paused" else ""
            self._agent_state[event.agent] = (event.state, reason)
            self._refresh_agents()

    def _work_order(
        self, event: WorkOrderChanged | WorkOrderEscalated | DeliveryDeadLettered
    ) -> None:
        if isinstance(event, WorkOrderChanged):
            self.work_orders.labels(event.order_type, event.status).inc()
        elif isinstance(event, WorkOrderEscalated):
            self.work_order_escalations.labels(str(event.level)).inc()
        else:
            self.dead_letters.inc()

    def _answered(self, event: CallAnswered) -> None:
        self.calls_answered.inc()
        self.answer_wait.observe(event.wait_ms / 1000)
        for seconds in SERVICE_LEVELS_S:
            if event.wait_ms <= seconds * 1000:
                self.answered_within.labels(str(seconds)).inc()
        for seconds in SERVICE_LEVELS_S:
            self.answered_within.labels(str(seconds))  # the series exists even at zero

    def _refresh_agents(self) -> None:
        counts: dict[tuple[str, str], int] = {}
        for key in self._agent_state.values():
            counts[key] = counts.get(key, 0) + 1
        self.agents.clear()
        for state in AGENT_STATES:
            self.agents.labels(state, "").set(0)
        for (state, reason), count in counts.items():
            self.agents.labels(state, reason).set(count)
