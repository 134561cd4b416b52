"""Prometheus metrics, fed by the same typed events that go to MQTT (one registry, no globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from hotline.events import AgentStateChanged, CallAnswered, CallEnded, CallFallback, Event


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
        self.fallbacks = Counter(
            "hotline_fallback_total", "Callers sent to the static fallback queue", registry=r
        )
        self.answer_wait = Histogram(
            "hotline_answer_wait_seconds",
            "Time from entering the queue to an agent answering",
            buckets=(1, 2, 5, 10, 15, 20, 30, 60, 120, 300),
            registry=r,
        )
        self.agents = Gauge("hotline_agents", "Agents by state", ["state"], registry=r)
        self.offer_latency = Histogram(
            "hotline_offer_latency_seconds",
            "From a routing decision to Asterisk being told to ring the agent's seat",
            buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0),
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
        self._agent_state: dict[str, str] = {}

    def routing_decided(self, seconds: float) -> None:
        self.routing_decision.observe(seconds)

    def offer_sent(self, seconds: float) -> None:
        self.offer_latency.observe(seconds)

    def observe_agi_reply(self, command: str, seconds: float) -> None:
        self.agi_command.labels(command).observe(seconds)

    def __call__(self, event: Event) -> None:
        if isinstance(event, CallEnded):
            self.calls_ended.labels(event.outcome).inc()
        elif isinstance(event, CallAnswered):
            self.calls_answered.inc()
            self.answer_wait.observe(event.wait_ms / 1000)
        elif isinstance(event, CallFallback):
            self.fallbacks.inc()
        elif isinstance(event, AgentStateChanged):
            self._agent_state[event.agent] = event.state
            self._refresh_agents()

    def _refresh_agents(self) -> None:
        counts: dict[str, int] = {}
        for state in self._agent_state.values():
            counts[state] = counts.get(state, 0) + 1
        for state in ("logged_out", "available", "offered", "on_call"):
            self.agents.labels(state).set(counts.get(state, 0))
