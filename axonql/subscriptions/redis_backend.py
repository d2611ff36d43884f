"""broadcaster's Redis backend, fixed for redis-py 8.

broadcaster 0.3.1 sets its listener's "ready" flag *before* sending SUBSCRIBE. With redis-py 8,
`PubSub.listen()` returns at once while nothing is subscribed yet, the listener then clears the
flag and waits for good: no message is ever delivered, and no error is raised. Subscribing first
and waking the listener afterwards restores delivery.
"""

from __future__ import annotations

from urllib.parse import urlparse

from broadcaster import Broadcast
from broadcaster._backends.redis import RedisBackend as _BrokenRedisBackend


class RedisBackend(_BrokenRedisBackend):
    """Same backend, with SUBSCRIBE completed before the listener starts reading."""

    async def subscribe(self, channel: str) -> None:
        await self._pubsub.subscribe(channel)
        self._ready.set()


def make_broadcast(url: str) -> Broadcast:
    """A Broadcast for `url`, with the fixed backend for `redis://` and `rediss://`."""
    if urlparse(url).scheme in ("redis", "rediss"):
        return Broadcast(backend=RedisBackend(url))
    return Broadcast(url)
