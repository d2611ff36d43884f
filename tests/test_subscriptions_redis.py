"""broadcaster's Redis backend with redis-py 8: the upstream defect and AxonQL's fix."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from broadcaster import Broadcast
from broadcaster._backends.redis import RedisBackend as UpstreamRedisBackend

from axonql.subscriptions.redis_backend import make_broadcast
from tests.redis_server import redis_server


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


async def first_message(broadcast: Broadcast, timeout: float) -> str | None:
    """Subscribe, publish one message, return what the subscriber got (None: nothing)."""
    await broadcast.connect()
    try:
        async with broadcast.subscribe("chan") as subscriber:
            await broadcast.publish("chan", "hello")
            try:
                async with asyncio.timeout(timeout):
                    event = await subscriber.get()
            except TimeoutError:
                return None
            return str(event.message)
    finally:
        await broadcast.disconnect()


async def test_fixed_backend_delivers(redis_url: str) -> None:
    assert await first_message(make_broadcast(redis_url), timeout=5) == "hello"


async def test_upstream_backend_loses_messages_with_redis_py_8(redis_url: str) -> None:
    """Documents why the fix exists: upstream wakes its listener before SUBSCRIBE is sent."""
    upstream = Broadcast(backend=UpstreamRedisBackend(redis_url))
    assert await first_message(upstream, timeout=1) is None


async def test_fixed_backend_resubscribes_after_last_unsubscribe(redis_url: str) -> None:
    broadcast = make_broadcast(redis_url)
    await broadcast.connect()
    try:
        for round_ in range(3):  # the listener must wake again after each idle period
            async with broadcast.subscribe(f"chan{round_}") as subscriber:
                await broadcast.publish(f"chan{round_}", f"m{round_}")
                async with asyncio.timeout(5):
                    assert (await subscriber.get()).message == f"m{round_}"
    finally:
        await broadcast.disconnect()
