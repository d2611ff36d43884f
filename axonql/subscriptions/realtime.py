"""One instance's real-time service: hub + feed, started and stopped by the app's lifespan.

`emit()` has no handle on the app, so running services register here; a process normally runs
one, tests run several (each sees every event, as separate instances would).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Coroutine
from datetime import timedelta
from typing import Any
from urllib.parse import urlparse

from axonql.errors import ResumePointExpired, ServiceUnavailable
from axonql.models.event import Event
from axonql.settings import Settings
from axonql.state import AppState
from axonql.stopping import stop_task
from axonql.subscriptions import gc_policy
from axonql.subscriptions import log as event_log
from axonql.subscriptions.feeds import BroadcastFeed, ChangeStreamFeed, Feed
from axonql.subscriptions.filters import EventFilter
from axonql.subscriptions.hub import Hub, OverflowCallback

logger = logging.getLogger("axonql.subscriptions")

_running: list[RealTime] = []


class RealTime:
    """Owns the hub and its feed; hands out event streams with resume."""

    def __init__(self, settings: Settings, collection: Any) -> None:
        self.settings = settings
        self.collection = collection  # this instance's own client: tests run several
        self.hub = Hub()
        self.feed: Feed | None = None
        self.retention = timedelta(seconds=settings.event_retention_seconds)
        self._chores: set[asyncio.Task[None]] = set()

    @property
    def mode(self) -> str:
        return self.feed.name if self.feed is not None else "stopped"

    async def start(self) -> None:
        """Pick the feed (see settings.fanout) and start it before serving anyone."""
        choice = self.settings.fanout
        url = self.settings.broadcast_url
        if choice == "auto":
            external = urlparse(url).scheme != "memory"
            use_stream = not external and await ChangeStreamFeed.supported(self.collection)
            choice = "change_stream" if use_stream else "broadcast"
        self.feed = (
            ChangeStreamFeed(self.hub, self.collection)
            if choice == "change_stream"
            else BroadcastFeed(self.hub, url)
        )
        await self.feed.start()
        _running.append(self)
        logger.info("real-time fan-out via %s", self.feed.name)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run a short chore (closing a slow client) without letting its task leak."""
        task = asyncio.create_task(work)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def stop(self) -> None:
        if self in _running:
            _running.remove(self)
        for task in list(self._chores):
            await stop_task(task)
        if self.feed is not None:
            await self.feed.stop()

    async def follow(
        self,
        where: EventFilter,
        after: int | None = None,
        on_overflow: OverflowCallback | None = None,
    ) -> AsyncGenerator[Event, None]:
        """Matching events: first those after `after` from the log, then live, with no gap.

        The subscriber registers before the log is read, so anything committed meanwhile is in
        the log read, the buffer, or both; buffered events already replayed are skipped by
        sequence number (sequence order is commit order, see `log`).

        Without `after` the stream starts at the log's newest event, read once registered: an
        event committed before the subscription can still be on its way through the feed and
        reach the new subscriber, so whether a live stream showed it would depend on the feed's
        latency. Everything numbered after that point commits later, so reaches the buffer.
        """
        subscriber = self.hub.register(
            where, self.settings.subscriber_buffer, on_overflow=on_overflow
        )
        try:
            if after is None:
                last = await event_log.last_seq()
            else:
                last = after
                subscriber.catching_up = True
                while True:
                    async for event in event_log.replay(last, where):
                        last = event.seq
                        subscriber.last_id = event.id
                        yield event
                    if not subscriber.overflowed:
                        break
                    subscriber.drain()  # fell behind while replaying: read the log again
                subscriber.catching_up = False
            while True:
                event = await subscriber.next()
                seq = event.seq  # read once: a stored document's attributes are not free
                if seq <= last:
                    continue
                last = seq
                subscriber.last_id = event.id
                yield event
        finally:
            self.hub.unregister(subscriber)


async def check_resumable(after: int) -> None:
    """Refuse an `after` older than the log's retention (events since then are gone)."""
    oldest = await event_log.oldest_seq()
    if oldest is not None and after + 1 < oldest:
        raise ResumePointExpired(
            "events after this id are past the log's retention; subscribe without `after`",
            details={"oldest": oldest},
        )


def current() -> RealTime | None:
    """A running service in this process, if any."""
    return _running[0] if _running else None


async def publish(event: Event) -> None:
    """Hand a committed event to every running broadcast feed (each channel once)."""
    seen: set[str] = set()
    for service in list(_running):
        feed = service.feed
        if not isinstance(feed, BroadcastFeed):
            continue
        shared = urlparse(feed.url).scheme != "memory"
        if shared and feed.url in seen:
            continue
        seen.add(feed.url)
        try:
            await feed.publish(event)
        except Exception as exc:  # the event is committed; live delivery elsewhere is lost
            logger.warning("could not publish %s via %s: %s", event.id, feed.url, exc)


async def start_for(state: AppState) -> RealTime:
    """Start an instance's service and keep it in `state.extras["realtime"]`."""
    service = RealTime(state.settings, state.database.db[Event.Settings.name])
    await service.start()
    gc_policy.apply()  # full collections are what a fan-out's tail latency is made of
    state.extras["realtime"] = service
    return service


async def stop_for(state: AppState) -> None:
    """Stop the service `start_for` started, if any."""
    service = state.extras.pop("realtime", None)
    if isinstance(service, RealTime):
        await service.stop()


def of(state: AppState) -> RealTime:
    """The running service of an instance (fails loudly if the lifespan did not start it)."""
    service = state.extras.get("realtime")
    if not isinstance(service, RealTime):
        raise ServiceUnavailable("real-time service is not running")
    return service
