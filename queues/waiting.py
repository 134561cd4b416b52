"""The waiting callers, kept in routing order without sorting on every decision.

Order is by (effective priority, enqueued_at, seq), where the effective priority of a call is

    priority - minutes waited x the queue's priority_aging_per_min

so an old low-priority call eventually overtakes new urgent ones. For calls that age at the same
rate ``r`` the order never changes with time: ``priority - (now - t) * r / 60`` is
``priority + t * r / 60`` minus the same ``now * r / 60`` for all of them. So each call gets a
static key ``priority + t * r / 60`` once, and calls are kept in sorted lists: one per queue
(positions, ``waiting(queue)``) and one per aging rate across queues (the routing order). Queues
with different aging rates are merged lazily at decision time, which is exact because the lists'
keys then differ only by a per-list constant.

Each call also has one *mark* in a timer heap: the next moment its routing could change on its
own (a relax rule's after_s, the end of its wait for a preferred agent). The router pops the
marks that are due in ``decide`` and asks for the next one.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from queues.skills import QueuePolicy, Requirements, RoutingPolicy


@dataclass(frozen=True, slots=True)
class WaitingCall:
    call_id: str
    queue: str
    priority: int
    enqueued_at: float
    seq: int
    requirements: Requirements = ()
    preferred_agent: str | None = None
    callback: bool = False
    rules_done: int = 0
    """How many of its queue's relax rules have passed (their actions already emitted)."""

    def effective_priority(self, now: float, aging_per_min: float) -> float:
        return self.priority - (now - self.enqueued_at) / 60.0 * aging_per_min


Key = tuple[float, float, int, str, int]
"""(static key, enqueued_at, seq, call_id, kind id): sorts like the routing order within one
aging rate (seq is unique, so the call id and kind never decide)."""


@dataclass(frozen=True, slots=True)
class CallKind:
    """Calls of one queue with the same requirements: they differ only in how long they have
    waited, so the router can tell once per decision whether any free agent could take one."""

    queue: str
    requirements: Requirements
    policy: QueuePolicy
    loosest: Requirements
    """The requirements once every relax rule of the queue applies."""


class CallBook:
    """The waiting calls: a dict by id plus the sorted lists and the timer heap."""

    def __init__(self, policy: RoutingPolicy) -> None:
        self.policy = policy
        self.calls: dict[str, WaitingCall] = {}
        self._keys: dict[str, Key] = {}
        self._by_queue: dict[str, list[Key]] = {}
        self._by_rate: dict[float, list[Key]] = {}
        self._marks: list[tuple[float, int, str]] = []
        self._mark_of: dict[str, float] = {}
        self._preferring: dict[str, set[str]] = {}
        self._kind_ids: dict[tuple[str, Requirements], int] = {}
        self.kinds: list[CallKind] = []

    def __len__(self) -> int:
        return len(self.calls)

    def add(self, call: WaitingCall, after: float = float("-inf")) -> None:
        """Add (or put back) a call; its first mark is the first threshold after ``after``."""
        if call.call_id in self.calls:
            self.discard(call.call_id)
        rate = self.policy.for_queue(call.queue).priority_aging_per_min
        static = call.priority + call.enqueued_at * rate / 60.0
        entry = (static, call.enqueued_at, call.seq, call.call_id, self._kind_id(call))
        self.calls[call.call_id] = call
        self._keys[call.call_id] = entry
        insort(self._by_queue.setdefault(call.queue, []), entry)
        insort(self._by_rate.setdefault(rate, []), entry)
        if call.preferred_agent is not None:
            self._preferring.setdefault(call.preferred_agent, set()).add(call.call_id)
        self.schedule(call, after)

    def discard(self, call_id: str) -> WaitingCall | None:
        call = self.calls.pop(call_id, None)
        if call is None:
            return None
        entry = self._keys.pop(call_id)
        rate = self.policy.for_queue(call.queue).priority_aging_per_min
        _remove(self._by_queue[call.queue], entry)
        _remove(self._by_rate[rate], entry)
        self._mark_of.pop(call_id, None)
        if call.preferred_agent is not None:
            self._preferring[call.preferred_agent].discard(call_id)
        return call

    def update(self, call: WaitingCall) -> None:
        """Replace a call's record without moving it (same queue, priority and arrival)."""
        self.calls[call.call_id] = call

    # ---- order --------------------------------------------------------------------------
    def position(self, call_id: str) -> int:
        """1-based place among the calls of the same queue."""
        call = self.calls[call_id]
        return 1 + bisect_left(self._by_queue[call.queue], self._keys[call_id])

    def overall_position(self, call_id: str, now: float) -> int:
        """1-based place among all waiting calls, in routing order across queues."""
        call = self.calls[call_id]
        static, enqueued_at, seq = self._keys[call_id][:3]
        own_rate = self.policy.for_queue(call.queue).priority_aging_per_min
        mine = static - now * own_rate / 60.0
        ahead = 0
        for rate, keys in self._by_rate.items():
            # Entries of another list compare on static - now x rate / 60: shift the probe
            # instead (the call's own list takes its exact key: no rounding against itself).
            probe = static if rate == own_rate else mine + now * rate / 60.0
            ahead += bisect_left(keys, (probe, enqueued_at, seq))
        return 1 + ahead

    def waiting(self, queue: str) -> list[WaitingCall]:
        return [self.calls[entry[3]] for entry in self._by_queue.get(queue, ())]

    def in_order(self, now: float) -> Iterable[Key]:
        """Entries in routing order across all queues, lazily. Do not add or remove meanwhile.
        Entries of different aging rates come with their static keys shifted to ``now``."""
        lists = [(rate, keys) for rate, keys in self._by_rate.items() if keys]
        if len(lists) == 1:
            return lists[0][1]
        return heapq.merge(*(_shifted(keys, now * rate / 60.0) for rate, keys in lists))

    def _kind_id(self, call: WaitingCall) -> int:
        kind = (call.queue, call.requirements)
        found = self._kind_ids.get(kind)
        if found is None:
            policy = self.policy.for_queue(call.queue)
            loosest = policy.relaxed(call.requirements, len(policy.relax))
            found = self._kind_ids[kind] = len(self.kinds)
            self.kinds.append(CallKind(call.queue, call.requirements, policy, loosest))
        return found

    def preferring(self, agent: str) -> set[str]:
        """Ids of waiting calls that asked for ``agent``."""
        return self._preferring.get(agent) or set()

    # ---- marks --------------------------------------------------------------------------
    def schedule(self, call: WaitingCall, after: float) -> None:
        """Set the call's next mark: the first of its thresholds later than ``after``."""
        when = next_mark(call, self.policy.for_queue(call.queue), after)
        if when is None:
            self._mark_of.pop(call.call_id, None)
            return
        self._mark_of[call.call_id] = when
        heapq.heappush(self._marks, (when, call.seq, call.call_id))

    def due(self, now: float) -> list[str]:
        """Pop the calls whose mark has come (each at most once); the caller reschedules."""
        due: list[str] = []
        while self._marks and self._marks[0][0] <= now:
            when, _seq, call_id = heapq.heappop(self._marks)
            if self._mark_of.get(call_id) == when:
                del self._mark_of[call_id]
                due.append(call_id)
        return due

    def next_mark(self) -> float | None:
        while self._marks:
            when, _seq, call_id = self._marks[0]
            if self._mark_of.get(call_id) == when:
                return when
            heapq.heappop(self._marks)
        return None


def next_mark(call: WaitingCall, policy: QueuePolicy, after: float) -> float | None:
    """The first moment later than ``after`` at which the call's routing changes by itself."""
    candidates = [call.enqueued_at + after_s for after_s in policy.thresholds[call.rules_done :]]
    if call.preferred_agent is not None:
        candidates.append(call.enqueued_at + policy.preferred_agent_wait_s)
    later = [when for when in candidates if when > after]
    return min(later) if later else None


def _shifted(keys: list[Key], shift: float) -> Iterator[Key]:
    return ((k - shift, t, seq, call_id, kind) for k, t, seq, call_id, kind in keys)


def _remove(keys: list[Key], entry: Key) -> None:
    index = bisect_left(keys, entry)
    if index < len(keys) and keys[index] == entry:
        del keys[index]
    else:  # pragma: no cover - a broken invariant, not a caller's mistake
        keys.remove(entry)
