"""Two `axonql serve` processes sharing one database: events cross instances.

With `AXONQL_BROADCAST_URL=redis://…` the fan-out goes through a real redis-server; with
`memory://` each instance tails the event log's change stream instead.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from axonql.settings import Settings
from tests.redis_server import redis_server
from tests.support import free_port
from tests.ws_client import LEGACY_WS, TRANSPORT_WS, RawSubscription

STREAM = "subscription { events(types: [LOG_ENTRY]) { id payload } }"
WRITE = "mutation($m: String!) { writeLogEntry(input: {message: $m}) { id } }"


@contextmanager
def cluster(
    settings: Settings, mongo_url: str, broadcast_url: str, home: Path, size: int = 2
) -> Iterator[list[str]]:
    """`size` × `axonql serve` as child processes (started together); yields their base URLs."""
    processes: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    logs = []
    try:
        for n in range(size):
            port = free_port()
            data_dir = home / f"instance{n}"
            data_dir.mkdir(parents=True, exist_ok=True)
            env = {
                **os.environ,
                "AXONQL_MONGODB_URL": mongo_url,
                "AXONQL_DATABASE": settings.database,
                "AXONQL_JWT_SECRET": settings.jwt_secret,
                "AXONQL_ENV": "test",
                "AXONQL_DATA_DIR": str(data_dir),
                "AXONQL_BROADCAST_URL": broadcast_url,
                "AXONQL_SCHEDULER_ENABLED": "false",
                "AXONQL_METRICS_INTERVAL_SECONDS": "0",
            }
            logs.append((data_dir / "serve.log").open("wb"))
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "axonql.cli", "serve", "--port", str(port)],
                    env=env,
                    stdout=logs[-1],
                    stderr=subprocess.STDOUT,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for process, url, log in zip(processes, urls, logs, strict=True):
            _wait_until_serving(process, url, Path(log.name))
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


def _wait_until_serving(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + 120  # a loaded 2-core machine imports slowly
    while True:
        if process.poll() is not None:
            raise RuntimeError(log.read_text()[-3000:])
        try:
            if httpx.get(f"{url}/graphql?query=%7B__typename%7D", timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("axonql serve did not come up")
        time.sleep(0.1)


async def write(url: str, token: str, message: str) -> str:
    async with httpx.AsyncClient(timeout=30) as http:
        response = await http.post(
            f"{url}/graphql",
            json={"query": WRITE, "variables": {"m": message}},
            headers={"Authorization": f"Bearer {token}"},
        )
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return str(body["data"]["writeLogEntry"]["id"])


async def subscribed(stack: AsyncExitStack, url: str, token: str, protocol: str) -> RawSubscription:
    ws_url = url.replace("http://", "ws://") + "/graphql"
    subscription = await RawSubscription.open(ws_url, token, STREAM, protocol=protocol)
    stack.push_async_callback(subscription.close)
    return subscription


async def cross_instance_round_trip(a: str, b: str, token: str) -> None:
    async with AsyncExitStack() as stack:
        on_a = await subscribed(stack, a, token, TRANSPORT_WS)
        on_b = await subscribed(stack, b, token, LEGACY_WS)
        await asyncio.sleep(0.3)  # the subscribe messages reach both servers
        written = [await write(a, token, "from a"), await write(b, token, "from b")]
        # Then writers on both instances at once: commits interleave, publishes may not.
        written += await asyncio.gather(
            *(write(a if n % 2 else b, token, f"burst {n}") for n in range(20))
        )
        written.sort()  # ids are sequence numbers: sorted ids = commit order
        for subscription in (on_a, on_b):
            got = []
            for _ in written:
                data = await asyncio.wait_for(subscription.next_data(), 15)
                got.append(data["events"]["id"])
            assert got == written  # each instance sees all, in commit order, once


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    with redis_server() as url:
        yield url


async def test_two_processes_fan_out_through_redis(
    settings: Settings, mongo_url: str, redis_url: str, admin_token: str, tmp_path: Path
) -> None:
    with cluster(settings, mongo_url, redis_url, tmp_path) as (a, b):
        client = aioredis.Redis.from_url(redis_url)
        try:
            subscribers = dict(await client.pubsub_numsub("axonql.events"))
            assert subscribers[b"axonql.events"] == 2  # both instances listen on Redis
        finally:
            await client.aclose()
        await cross_instance_round_trip(a, b, admin_token)


async def test_two_processes_fan_out_through_change_streams(
    settings: Settings, mongo_url: str, admin_token: str, tmp_path: Path
) -> None:
    with cluster(settings, mongo_url, "memory://", tmp_path) as (a, b):
        await cross_instance_round_trip(a, b, admin_token)
