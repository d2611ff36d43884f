"""Where an instance's hub gets events from: a change stream on the log, or a broadcast channel.

A change stream shows every instance every committed event in commit order with no extra
service (SecantusDB, MongoDB replica sets). A broadcast channel (Redis) is for databases without
change streams, or when an operator points `AXONQL_BROADCAST_URL` at one: the emitting instance
publishes each event after its commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Protocol

from broadcaster import Broadcast
from pymongo.errors import PyMongoError

from axonql.adapters.broadcaster_redis import make_broadcast
from axonql.models.event import Event
from axonql.stopping import stop_task
from axonql.subscriptions import log as event_log
from axonql.subscriptions.hub import Hub
from axonql.subscriptions.sequencer import Sequencer

log = logging.getLogger("axonql.subscriptions")

CHANNEL = "axonql.events"
_RETRY_SECONDS = 0.5


def from_stored(document: dict[str, Any]) -> Event:
    """An Event from its stored BSON form (`_id` → `id`)."""
    fields = dict(document)
    fields["id"] = fields.pop("_id")
    event: Event = Event.model_validate(fields)
    return event


class Feed(Protocol):
    """Delivers every event, once, to the hub; `publish` is called after each local commit."""

    name: str

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, event: Event) -> None: ...


class ChangeStreamFeed:
    """Tails inserts into the events collection and dispatches them in sequence order.

    The stream shows commits in commit order; numbers are taken just before commit, so one
    may overtake another by a few milliseconds, and the sequencer puts them back in order."""

    name = "change_stream"

    def __init__(self, hub: Hub, collection: Any) -> None:
        self.hub = hub
        self.collection = collection
        self._stream: Any = None
        self._task: asyncio.Task[None] | None = None
        self._resume_token: Any = None
        self.sequencer = Sequencer(hub.dispatch)

    @staticmethod
    async def supported(collection: Any) -> bool:
        """Whether the database offers change streams (a standalone mongod does not)."""
        try:
            stream = await collection.watch()
        except PyMongoError:
            return False
        await stream.close()
        return True

    async def _open(self) -> Any:
        pipeline = [{"$match": {"operationType": "insert"}}]
        return await Event.get_pymongo_collection().watch(pipeline, resume_after=self._resume_token)

    async def start(self) -> None:
        # Opened before start() returns: anything committed after this point is dispatched,
        # and what is numbered after the settled point read next commits after this point.
        self._stream = await self._open()
        self.sequencer.start_after(await event_log.last_seq())
        self._task = asyncio.create_task(self._run(), name="axonql-change-stream")

    async def _run(self) -> None:
        while True:
            try:
                async for change in self._stream:
                    self.sequencer.accept(from_stored(change["fullDocument"]))
                    self._resume_token = self._stream.resume_token
            except PyMongoError as exc:
                log.warning("event change stream interrupted (%s); resuming", exc)
            with contextlib.suppress(PyMongoError):
                await self._stream.close()
            while True:
                await asyncio.sleep(_RETRY_SECONDS)
                try:
                    self._stream = await self._open()
                    break
                except PyMongoError as exc:
                    log.warning("cannot reopen the event change stream: %s", exc)

    async def stop(self) -> None:
        await stop_task(self._task)
        await self.sequencer.close()
        if self._stream is not None:
            with contextlib.suppress(PyMongoError):
                await self._stream.close()

    async def publish(self, event: Event) -> None:
        """Nothing to do: the commit itself reaches every instance's change stream."""


class BroadcastFeed:
    """Publishes committed events to a broadcaster channel and dispatches what arrives on it."""

    name = "broadcast"

    def __init__(self, hub: Hub, url: str) -> None:
        self.hub = hub
        self.url = url
        self.broadcast: Broadcast = make_broadcast(url)
        self.sequencer = Sequencer(hub.dispatch)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.broadcast.connect()
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._run(ready), name="axonql-broadcast-feed")
        waiter = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait({waiter, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if self._task in done:
            waiter.cancel()
            self._task.result()  # the subscription failed: raise why
        # Subscribed: what is numbered after the settled point is on the channel or settled
        # from the log.
        self.sequencer.start_after(await event_log.last_seq())

    async def _run(self, ready: asyncio.Event) -> None:
        async with self.broadcast.subscribe(CHANNEL) as subscriber:
            ready.set()
            async for message in subscriber:  # type: ignore[union-attr]
                if message is None:
                    continue
                try:
                    event = Event.model_validate_json(message.message)
                except ValueError:
                    log.warning("ignoring a malformed message on %s", CHANNEL)
                    continue
                self.sequencer.accept(event)

    async def stop(self) -> None:
        await stop_task(self._task)
        await self.sequencer.close()
        await self.broadcast.disconnect()

    async def publish(self, event: Event) -> None:
        await self.broadcast.publish(CHANNEL, event.model_dump_json())
