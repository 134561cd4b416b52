"""Subscriptions: bounded, never blocking the reader, overflow reported once in order."""

from __future__ import annotations

import asyncio

import pytest

from ami.client import backoff_delay
from ami.errors import AmiSubscriptionOverflow
from ami.messages import Event, first_wins
from ami.subscription import Connected, Delivery, Disconnected, EventSubscription


def event(n: int) -> Event:
    items = (("Event", "UserEvent"), ("N", str(n)))
    return Event("UserEvent", None, first_wins(items), items)


async def take(subscription: EventSubscription, count: int) -> list[Delivery]:
    async with asyncio.timeout(5):
        return [await anext(subscription) for _ in range(count)]


async def test_given_markers_and_events_when_delivered_then_they_come_out_in_order() -> None:
    subscription = EventSubscription(10)
    items: list[Delivery] = [Connected("11.0.0"), event(1), Disconnected("gone"), event(2)]
    for item in items:
        assert subscription.deliver(item)
    assert await take(subscription, 4) == items


async def test_given_full_queue_when_more_arrive_then_they_drop_and_overflow_follows_backlog() -> (
    None
):
    subscription = EventSubscription(3)
    results = [subscription.deliver(event(n)) for n in range(10)]
    assert results == [True] * 3 + [False] * 7
    assert await take(subscription, 3) == [event(0), event(1), event(2)]
    with pytest.raises(AmiSubscriptionOverflow) as caught:
        await take(subscription, 1)
    assert caught.value.dropped == 7
    assert subscription.deliver(event(10))
    assert await take(subscription, 1) == [event(10)]


async def test_given_an_overflow_not_yet_reported_when_room_frees_then_new_events_still_drop() -> (
    None
):
    subscription = EventSubscription(2)
    for n in range(3):
        subscription.deliver(event(n))
    await take(subscription, 1)
    # Room exists now, but queueing event 3 would hide the hole between 1 and 3.
    assert not subscription.deliver(event(3))
    assert await take(subscription, 1) == [event(1)]
    with pytest.raises(AmiSubscriptionOverflow) as caught:
        await take(subscription, 1)
    assert caught.value.dropped == 2


async def test_given_a_waiting_consumer_when_closed_then_iteration_ends() -> None:
    closed: list[EventSubscription] = []
    subscription = EventSubscription(5, closed.append)

    async def consume() -> list[Delivery]:
        return [item async for item in subscription]

    task = asyncio.create_task(consume())
    subscription.deliver(event(1))
    await asyncio.sleep(0)
    subscription.close()
    async with asyncio.timeout(5):
        assert await task == [event(1)]
    assert closed == [subscription]
    assert not subscription.deliver(event(2))


def test_given_failures_when_backoff_computed_then_it_grows_caps_and_keeps_a_floor() -> None:
    assert backoff_delay(0, 0.5, 10.0, rand=lambda: 0.0) == 0.25
    assert backoff_delay(0, 0.5, 10.0, rand=lambda: 1.0) == 0.5
    assert backoff_delay(3, 0.5, 10.0, rand=lambda: 1.0) == 4.0
    assert backoff_delay(50, 0.5, 10.0, rand=lambda: 1.0) == 10.0
    assert backoff_delay(50, 0.5, 10.0, rand=lambda: 0.0) == 5.0
