"""broadcaster's Redis backend with redis-py 8: the upstream defect and AxonQL's fix."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from broadcaster import Broadcast

from axonql.adapters.broadcaster_redis import UpstreamRedisBackend, make_broadcast
from tests.redis_server import redis_server
from tests.support import free_port


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


async def test_fixed_backend_survives_a_redis_restart() -> None:
    port = free_port()
    broadcast = make_broadcast(f"redis://127.0.0.1:{port}/0")
    with ExitStack() as first:
        first.enter_context(redis_server(port))
        await broadcast.connect()
        subscription = broadcast.subscribe("chan")
        subscriber = await subscription.__aenter__()
        await broadcast.publish("chan", "before")
        async with asyncio.timeout(5):
            assert (await subscriber.get()).message == "before"
    try:
        await asyncio.sleep(1)  # Redis is gone; the listener keeps trying
        with redis_server(port):
            async with asyncio.timeout(20):
                while True:  # it subscribes again once Redis is back
                    await broadcast.publish("chan", "after")
                    try:
                        async with asyncio.timeout(0.5):
                            assert (await subscriber.get()).message == "after"
                        break
                    except TimeoutError:
                        continue
            await subscription.__aexit__(None, None, None)
    finally:
        await broadcast.disconnect()
