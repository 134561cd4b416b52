"""How long one routing decision takes at peak: 600 waiting callers across ten queues, 300
agents of whom 220 are logged in and most are talking.

Each round frees one agent (call over, wrap-up done), lets one caller abandon and two arrive,
moves the clock by 0.2-1.5 s, and times ``decide(now)`` alone. Prints p50/p99/max in
microseconds and, last, one JSON line. Run:

    .venv/bin/python bench/routing_decision.py [--rounds 5000] [--seed 12333]

A benchmark that prints numbers, not a timed test: the target (p99 <= 1 ms) is for a person
to check.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import time

from queues.agent_states import AgentState
from queues.router import Router
from queues.skills import SKILLS, QueuePolicy, RelaxRule, RoutingPolicy, Strategy

LANGUAGE_MIX = (("mandarin", 0.88), ("shanghainese", 0.09), ("english", 0.03))
TOPIC_WEIGHTS = (30, 22, 8, 7, 9, 8, 6, 5, 3, 2)  # pension and medical insurance dominate
PRIORITY_MIX = ((5, 0.8), (3, 0.1), (2, 0.07), (1, 0.03))  # repeat, elderly, urgent wages
RELAX = (
    RelaxRule(30, min_proficiency=2),
    RelaxRule(90, min_proficiency=1, drop_skills=("shanghainese",)),
    RelaxRule(180, action="offer_callback"),
)


def policy() -> RoutingPolicy:
    strategies: tuple[Strategy, ...] = ("best_skill", "longest_idle")
    return RoutingPolicy(
        queues=tuple(
            QueuePolicy(topic, strategy=strategies[i % 2], wrapup_s=15.0, relax=RELAX)
            for i, topic in enumerate(SKILLS)
        )
    )


def choose(rng: random.Random, mix: tuple[tuple[object, float], ...]) -> object:
    return rng.choices([v for v, _ in mix], weights=[w for _, w in mix])[0]


class Traffic:
    def __init__(self, rng: random.Random, router: Router) -> None:
        self.rng, self.router, self.next_call = rng, router, 0

    def arrive(self, now: float) -> None:
        rng = self.rng
        self.next_call += 1
        topic = rng.choices(SKILLS, weights=TOPIC_WEIGHTS)[0]
        language = str(choose(rng, LANGUAGE_MIX))
        agents = list(self.router.agents)
        preferred = rng.choice(agents) if agents and rng.random() < 0.05 else None
        self.router.enqueue(
            f"c{self.next_call}",
            topic,
            now,
            priority=int(str(choose(rng, PRIORITY_MIX))),
            requirements=((topic, rng.choice((2, 3, 3, 4))), (language, 1)),
            preferred_agent=preferred,
        )


def agent_skills(rng: random.Random) -> dict[str, int]:
    skills = {"mandarin": 5}
    for topic in rng.choices(SKILLS, weights=TOPIC_WEIGHTS, k=rng.randint(2, 4)):
        skills[topic] = rng.randint(1, 5)
    if rng.random() < 0.3:
        skills["shanghainese"] = rng.randint(2, 5)
    if rng.random() < 0.08:
        skills["english"] = rng.randint(2, 4)
    return skills


def setup(rng: random.Random, timings: dict[str, float]) -> tuple[Router, Traffic, float]:
    router = Router(policy())
    traffic = Traffic(rng, router)
    now = 1000.0
    for n in range(220):  # 220 of the 300 agents are logged in, one per seat
        router.login(f"A{n:03d}", f"seat{n:03d}", now - rng.uniform(0, 600), agent_skills(rng))
    for _ in range(600):
        traffic.arrive(now - rng.uniform(0, 240))
    started = time.perf_counter()
    first = router.decide(now)
    timings["bulk_decide_us"] = round((time.perf_counter() - started) * 1e6, 1)
    timings["bulk_offers"] = len(first.offers)
    for offer, _call in first.offers:
        router.answered(offer.agent)
    # Most agents talk; a few are paused or their seats busy in Asterisk (never offered).
    for code in rng.sample(sorted(router.agents), 12):
        router.pause(code, "lunch", now)
    for seat in rng.sample([a.seat for a in router.agents.values()], 6):
        router.set_seat_busy(seat, True)
    while len(router.calls) < 600:
        traffic.arrive(now - rng.uniform(0, 240))
    return router, traffic, now


def free_one(router: Router, rng: random.Random, now: float) -> None:
    talking = [a.code for a in router.agents.values() if a.state is AgentState.ON_CALL]
    if talking:
        agent = rng.choice(talking)
        router.call_ended(agent, now)
        router.wrapup_done(agent, now, "DONE")


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    samples = sorted(samples)
    p99 = samples[max(0, int(len(samples) * 0.99) - 1)]
    return round(statistics.median(samples), 1), round(p99, 1), round(samples[-1], 1)


def full_scan(router: Router, now: float, rounds: int) -> list[float]:
    """The worst case: a free agent no waiting call can take, so every call is looked at."""
    router.login("NOBODY", "seat-nobody", now, {"cantonese": 5})
    samples = []
    for n in range(rounds):
        started = time.perf_counter()
        decision = router.decide(now + n * 0.001)
        samples.append((time.perf_counter() - started) * 1e6)
        assert not decision.offers
    router.logout("NOBODY")
    return samples


def run(rounds: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    router, traffic, now = setup(rng, timings)
    samples: list[float] = []
    offers = 0
    gc.disable()
    for _ in range(rounds):
        now += rng.uniform(0.2, 1.5)
        free_one(router, rng, now)
        router.remove(rng.choice(list(router.calls)))
        while len(router.calls) < 600:
            traffic.arrive(now)
        started = time.perf_counter()
        decision = router.decide(now)
        samples.append((time.perf_counter() - started) * 1e6)
        for offer, _call in decision.offers:
            router.answered(offer.agent)
        offers += len(decision.offers)
    scan = full_scan(router, now, min(rounds, 1000))
    gc.enable()
    p50, p99, top = percentiles(samples)
    scan_p50, scan_p99, scan_max = percentiles(scan)
    return {
        "rounds": rounds,
        "waiting": len(router.calls),
        "agents": len(router.agents),
        "offers": offers,
        "p50_us": p50,
        "p99_us": p99,
        "max_us": top,
        "full_scan_p50_us": scan_p50,
        "full_scan_p99_us": scan_p99,
        "full_scan_max_us": scan_max,
        **timings,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=12333)
    args = parser.parse_args()
    result = run(args.rounds, args.seed)
    print(f"routing decision, {result['waiting']} waiting, {result['agents']} agents logged in")
    print(f"rounds {result['rounds']}, offers {result['offers']}")
    print(f"p50 {result['p50_us']} us   p99 {result['p99_us']} us   max {result['max_us']} us")
    print(
        f"worst case (a free agent nobody can use, all {result['waiting']} calls looked at): "
        f"p50 {result['full_scan_p50_us']} us   p99 {result['full_scan_p99_us']} us"
    )
    print(
        f"first decision after start-up: {result['bulk_offers']} offers "
        f"in {result['bulk_decide_us']} us"
    )
    print(json.dumps({"bench": "routing_decision", **result}))


if __name__ == "__main__":
    main()
