"""broadcaster's Redis backend, fixed for redis-py 8 and for Redis restarts.

Written against broadcaster==0.3.1 (with redis==8.1.0). Private names used:
`broadcaster._backends.redis.RedisBackend` (not exported) and its `_pubsub` (the redis-py
`PubSub`), `_ready` (the `asyncio.Event` its listener waits on) and `_pubsub_listener()`.

broadcaster 0.3.1 sets its listener's "ready" flag *before* sending SUBSCRIBE. With redis-py 8,
`PubSub.listen()` returns at once while nothing is subscribed yet, the listener then clears the
flag and waits for good: no message is ever delivered, and no error is raised. Subscribing first
and waking the listener afterwards restores delivery.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlparse

from broadcaster import Broadcast
from broadcaster._backends.redis import RedisBackend as UpstreamRedisBackend
from redis.exceptions import RedisError

log = logging.getLogger("axonql.subscriptions")

_RECONNECT_SECONDS = 0.5


class RedisBackend(UpstreamRedisBackend):
    """Same backend, with SUBSCRIBE completed before the listener starts reading, and a
    listener that survives Redis restarts by reconnecting and subscribing again."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._channels: set[str] = set()

    async def subscribe(self, channel: str) -> None:
        self._channels.add(channel)
        await self._pubsub.subscribe(channel)
        self._ready.set()

    async def unsubscribe(self, channel: str) -> None:
        self._channels.discard(channel)
        await self._pubsub.unsubscribe(channel)

    async def _pubsub_listener(self) -> None:
        while True:
            try:
                await super()._pubsub_listener()
            except (RedisError, OSError, RuntimeError) as exc:
                log.warning("redis pub/sub connection lost (%s); reconnecting", exc)
                await self._resubscribe()

    async def _resubscribe(self) -> None:
        """Until Redis answers again: a fresh connection, subscribed to the same channels."""
        while True:
            await asyncio.sleep(_RECONNECT_SECONDS)
            try:
                await self._pubsub.aclose()  # type: ignore[no-untyped-call]
                if self._channels:
                    await self._pubsub.subscribe(*self._channels)
                    self._ready.set()
                return
            except (RedisError, OSError) as exc:
                log.debug("redis not reachable yet: %s", exc)


def make_broadcast(url: str) -> Broadcast:
    """A Broadcast for `url`, with the fixed backend for `redis://` and `rediss://`."""
    if urlparse(url).scheme in ("redis", "rediss"):
        return Broadcast(backend=RedisBackend(url))
    return Broadcast(url)


__all__ = ["RedisBackend", "UpstreamRedisBackend", "make_broadcast"]
