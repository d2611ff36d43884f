"""The hub's per-subscriber buffer: bounded, wakes its reader, and reports an overflow."""

from __future__ import annotations

import asyncio

import pytest

from axonql.errors import SubscriberTooSlow
from axonql.models.event import Event, event_id
from axonql.subscriptions.filters import EventFilter
from axonql.subscriptions.hub import Hub, Subscriber


def _event(seq: int, event_type: str = "LOG_ENTRY") -> Event:
    return Event(id=event_id(seq), seq=seq, type=event_type)


async def test_a_waiting_reader_is_woken_by_the_next_event() -> None:
    subscriber = Subscriber(where=EventFilter.of(), capacity=4)
    reading = asyncio.create_task(subscriber.next())
    await asyncio.sleep(0)
    assert not reading.done()
    assert subscriber.offer(_event(1))
    assert (await asyncio.wait_for(reading, 1)).seq == 1


async def test_a_full_buffer_refuses_and_the_reader_hears_why_once_drained() -> None:
    overflowed: list[Subscriber] = []
    hub = Hub()
    subscriber = hub.register(EventFilter.of(), capacity=2, on_overflow=overflowed.append)
    subscriber.last_id = event_id(0)
    for seq in (1, 2, 3):
        hub.dispatch(_event(seq))
    assert overflowed == [subscriber] and hub.overflows == 1 and len(hub) == 0
    assert [(await subscriber.next()).seq for _ in range(2)] == [1, 2]  # kept, in order
    with pytest.raises(SubscriberTooSlow) as refused:
        await subscriber.next()
    assert refused.value.code == "SUBSCRIBER_TOO_SLOW"
    assert refused.value.details == {"after": event_id(0), "buffer": 2}


async def test_an_overflow_while_catching_up_keeps_the_subscriber_for_a_reread() -> None:
    hub = Hub()
    subscriber = hub.register(EventFilter.of(), capacity=1)
    subscriber.catching_up = True
    hub.dispatch(_event(1))
    hub.dispatch(_event(2))
    assert subscriber.overflowed and len(hub) == 1 and hub.overflows == 0
    subscriber.drain()  # the log replay reads these again
    assert not subscriber.overflowed and not subscriber.buffer
    hub.dispatch(_event(3))
    assert (await subscriber.next()).seq == 3


async def test_only_matching_events_are_buffered() -> None:
    hub = Hub()
    subscriber = hub.register(EventFilter.of(["TASK_PROGRESS"]), capacity=4)
    hub.dispatch(_event(1, "LOG_ENTRY"))
    hub.dispatch(_event(2, "TASK_PROGRESS"))
    assert [e.seq for e in subscriber.buffer] == [2]
