"""Where a live stream (no `after`) starts: after what was committed before it, whatever the
feed's latency."""

from __future__ import annotations

import asyncio

from axonql.models.event import Event
from axonql.services.events import emit
from axonql.settings import Settings
from axonql.subscriptions.filters import EventFilter
from axonql.subscriptions.realtime import RealTime
from tests.support import RunningServer


async def test_an_event_committed_before_subscribing_is_not_streamed_when_it_arrives_late(
    server: RunningServer, settings: Settings
) -> None:
    """The feed is held back by hand: this instance is never started, and the test dispatches.

    `committed` is in the log before the stream begins but reaches the hub only after the
    subscriber registered, as a change stream under load delivers it.
    """
    service = RealTime(settings, server.app.state.axon.database.db[Event.Settings.name])
    where = EventFilter.of(["LOG_ENTRY"])
    committed = await emit("LOG_ENTRY", {"message": "before"})
    stream = service.follow(where)
    first = asyncio.create_task(anext(stream))
    try:
        async with asyncio.timeout(10):
            while not len(service.hub):
                await asyncio.sleep(0.001)
        (subscriber,) = service.hub._subscribers
        service.hub.dispatch(committed)  # late: the subscriber is registered by now
        async with asyncio.timeout(10):  # until the stream has dealt with it and waits again
            while subscriber.buffer or (subscriber._waiter is None and not first.done()):
                await asyncio.sleep(0.001)
        later = await emit("LOG_ENTRY", {"message": "after"})
        service.hub.dispatch(later)
        got = await asyncio.wait_for(first, 10)
        assert got.id == later.id, f"streamed {got.id}, committed before the subscription"
    finally:
        first.cancel()
        await asyncio.wait({first})
        await stream.aclose()
    assert len(service.hub) == 0
