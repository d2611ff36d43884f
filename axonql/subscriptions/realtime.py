"""One instance's real-time service: hub + feed + what it knows of the event log (whether the
database has transactions), started and stopped by the app's lifespan and kept in
`AppState.realtime`. Events are written by `services.events` (the unit of work), which hands
them to `publish` once committed.

Nothing here is per process: tests run several apps in one process, and each sees every event
as separate instances would (a change stream shows each one every commit; a shared broadcast
channel such as Redis reaches each one's feed). `emit()` finds its app's service through
`services.events.bound`, set by the app for its requests and background work.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable, Coroutine
from datetime import timedelta
from typing import Any, TypeVar, cast
from urllib.parse import urlparse

from axonql.database import MONGODB_WRITE_CONCURRENCY, Database
from axonql.errors import ResumePointExpired
from axonql.models.event import Event
from axonql.models.tally import SHARDS
from axonql.settings import Settings
from axonql.shard_slots import ShardSlots
from axonql.stopping import stop_task
from axonql.subscriptions import log as event_log
from axonql.subscriptions.feeds import BroadcastFeed, ChangeStreamFeed, Feed
from axonql.subscriptions.filters import EventFilter
from axonql.subscriptions.frames import EncodedPayloads
from axonql.subscriptions.hub import Hub, OverflowCallback

logger = logging.getLogger("axonql.subscriptions")

RECENT_LIMIT = 256
"""Renderings of this many recent events are kept for `shared` (one fan-out's worth and more)."""

T = TypeVar("T")


class RealTime:
    """One instance's hub, feed, log facts and recent renderings; hands out event streams
    with resume. Everything an app needs for real time, so nothing is shared between apps."""

    def __init__(
        self,
        settings: Settings,
        collection: Any,
        write_concurrency: int = MONGODB_WRITE_CONCURRENCY,
    ) -> None:
        self.settings = settings
        self.collection = collection  # this instance's own client: tests run several
        self.hub = Hub()
        self.feed: Feed | None = None
        self.retention = timedelta(seconds=settings.event_retention_seconds)
        self.log = event_log.EventLog()
        self.shard_slots = ShardSlots(SHARDS)  # the tally shard of each unit of work in flight
        self.write_slots = asyncio.Semaphore(write_concurrency)  # units of work at once
        self._chores: set[asyncio.Task[None]] = set()
        self._recent: OrderedDict[str, object] = OrderedDict()
        self.frames = EncodedPayloads()  # shared results' frames, encoded once

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
        logger.info("real-time fan-out via %s", self.feed.name)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run a short chore (closing a slow client) without letting its task leak."""
        task = asyncio.create_task(work)
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    async def stop(self) -> None:
        for task in list(self._chores):
            await stop_task(task)
        if self.feed is not None:
            await self.feed.stop()

    async def publish(self, event: Event) -> None:
        """Hand a committed event to the broadcast channel, if that is the feed.

        A change stream needs nothing: the commit itself reaches every instance. A broadcast
        channel reaches every instance subscribed to it (Redis: all of them; `memory://`: only
        this one, as for a separate process).
        """
        feed = self.feed
        if not isinstance(feed, BroadcastFeed):
            return
        try:
            await feed.publish(event)
        except Exception as exc:  # the event is committed; live delivery elsewhere is lost
            logger.warning("could not publish %s via %s: %s", event.id, feed.url, exc)

    def shared(self, event: Event, render: Callable[[Event], T]) -> T:
        """One rendering of `event` (by `render`, always the same function for this service),
        shared by every subscriber it fans out to; the last `RECENT_LIMIT` are kept."""
        found = self._recent.get(event.id)
        if found is None:
            found = self._recent[event.id] = render(event)
            if len(self._recent) > RECENT_LIMIT:
                self._recent.popitem(last=False)
        return cast(T, found)

    async def follow(
        self,
        where: EventFilter,
        after: int | None = None,
        on_overflow: OverflowCallback | None = None,
    ) -> AsyncGenerator[Event, None]:
        """Matching events: first those after `after` from the log, then live, with no gap.

        The subscriber registers before the settled point is read (`log.last_seq`): everything
        numbered up to it is in the log (replayed up to there, never beyond, where numbers may
        still be in flight), and the feed dispatches what is numbered after it, in order, only
        after the registration; buffered events already replayed are skipped by number.

        Without `after` the stream starts at the log's newest event, read once registered: an
        event committed before the subscription can still be on its way through the feed and
        reach the new subscriber, so whether a live stream showed it would depend on the feed's
        latency. Everything numbered after that point commits later, so reaches the buffer.
        """
        subscriber = self.hub.register(
            where, self.settings.subscriber_buffer, on_overflow=on_overflow
        )
        try:
            settled = await event_log.last_seq()
            if after is None:
                last = settled
            else:
                last = after
                subscriber.catching_up = True
                while True:
                    async for event in event_log.replay(last, where, upto=settled):
                        subscriber.last_id = event.id
                        yield event
                    last = max(last, settled)
                    if not subscriber.overflowed:
                        break
                    subscriber.drain()  # fell behind while replaying: read the log again
                    settled = await event_log.last_seq()
                subscriber.catching_up = False
            subscriber.live = True
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
    if await event_log.retained(after):
        return
    oldest = await event_log.oldest_after(after)
    raise ResumePointExpired(
        "events after this id are past the log's retention; subscribe without `after`",
        details={"oldest": oldest},
    )


async def start(settings: Settings, database: Database) -> RealTime:
    """A started service for one instance (the lifespan keeps it in `AppState.realtime`)."""
    collection = database.db[Event.Settings.name]
    service = RealTime(settings, collection, database.write_concurrency)
    await service.start()
    return service
