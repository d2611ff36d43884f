"""Vanished and slow clients: nothing left behind, a clear close reason, others unaffected."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from axonql.app import create_app
from axonql.services.events import emit
from axonql.settings import Settings
from tests.support import RunningServer, extra_server
from tests.test_hostile_input import initialised, sockets
from tests.test_subscriptions import wait_for_subscribers
from tests.ws_client import LEGACY_WS, TRANSPORT_WS, RawSubscription

__all__ = ["sockets"]  # the fixture, shared with test_hostile_input

STREAM = "subscription($after: ID) { events(types: [LOG_ENTRY], after: $after) { id payload } }"


def server_tasks() -> int:
    return len(asyncio.all_tasks())


async def settle(check: object, timeout: float = 15) -> None:
    async with asyncio.timeout(timeout):
        while not check():  # type: ignore[operator]
            await asyncio.sleep(0.05)


async def test_abrupt_disconnects_leave_nothing_behind(
    server: RunningServer, admin_token: str
) -> None:
    hub = server.app.state.axon.realtime.hub
    url = f"{server.ws_url}/graphql"
    warm = await RawSubscription.open(url, admin_token, STREAM)  # first-use allocations
    await wait_for_subscribers(server, 1)
    await warm.close()
    await settle(lambda: len(hub) == 0)
    await asyncio.sleep(0.2)
    tasks_before = server_tasks()

    clients = []
    for n in range(100):
        protocol = TRANSPORT_WS if n % 2 else LEGACY_WS
        clients.append(await RawSubscription.open(url, admin_token, STREAM, protocol=protocol))
    await wait_for_subscribers(server, 100)
    event = await emit("LOG_ENTRY", {"message": "mid-stream"})
    for client in clients:  # every client is mid-stream when it vanishes
        assert (await client.next_data())["events"]["id"] == event.id
    for client in clients:
        client.abort()
    await settle(lambda: len(hub) == 0 and server_tasks() <= tasks_before)
    assert len(hub) == 0
    assert server_tasks() <= tasks_before
    await emit("LOG_ENTRY", {"message": "nobody listens"})  # fan-out to no one works


@pytest.fixture
async def small_buffer_server(
    server: RunningServer, settings: Settings
) -> AsyncIterator[RunningServer]:
    tight = settings.model_copy(update={"subscriber_buffer": 8})
    async with extra_server(create_app(tight), server) as running:
        yield running


async def test_slow_consumer_is_closed_with_reason_and_others_keep_up(
    small_buffer_server: RunningServer, admin_token: str
) -> None:
    url = f"{small_buffer_server.ws_url}/graphql"
    hub = small_buffer_server.app.state.axon.realtime.hub
    # The slow client stops reading: a tiny receive window and no reads fill every buffer.
    slow = await RawSubscription.open(url, admin_token, STREAM, max_queue=1, receive_buffer=4096)
    fast = await RawSubscription.open(url, admin_token, STREAM)
    await wait_for_subscribers(small_buffer_server, 2)
    emitted: list[str] = []
    fast_received: list[str] = []

    async def read_fast() -> None:
        while True:
            fast_received.append((await fast.next_data())["events"]["id"])

    reader = asyncio.create_task(read_fast())
    async with asyncio.timeout(60):
        while hub.overflows == 0:
            bulk = secrets.token_hex(16_000)  # incompressible: permessage-deflate is on
            emitted.append((await emit("LOG_ENTRY", {"bulk": bulk})).id)
    await settle(lambda: len(fast_received) == len(emitted))
    reader.cancel()
    assert fast_received == emitted  # the fast subscriber was never held back
    assert len(hub) == 1  # the slow one is out of the registry

    slow_received: list[str] = []
    with pytest.raises(ConnectionClosed) as closed:
        async with asyncio.timeout(30):
            while True:
                slow_received.append((await slow.next_data())["events"]["id"])
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4429
    assert "too slow" in closed.value.rcvd.reason
    resume_from = closed.value.rcvd.reason.rsplit(" ", 1)[-1]
    assert resume_from in emitted
    assert slow_received == emitted[: len(slow_received)]  # in order up to the cut

    # It resumes from what it really got and catches up with everything.
    again = await RawSubscription.open(url, admin_token, STREAM, {"after": slow_received[-1]})
    rest = [(await again.next_data())["events"]["id"] for _ in emitted[len(slow_received) :]]
    assert slow_received + rest == emitted
    await again.close()
    await fast.close()


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
@pytest.mark.parametrize("ending", ["stopped", "socket closed"])
async def test_operations_ended_while_setting_up_leave_nothing_behind(
    sockets: Any, server: RunningServer, admin_token: str, protocol: str, ending: str
) -> None:
    """100 subscriptions ended while their first database reads are in flight.

    PyMongo can absorb the cancellation of such a read; a handler that cancelled only once
    left those subscriptions registered for good (and the hub never emptied).
    """
    hub = server.app.state.axon.realtime.hub
    socket = await initialised(sockets, protocol, admin_token)
    start, stop = ("subscribe", "complete") if protocol == TRANSPORT_WS else ("start", "stop")
    payload = {"query": "subscription { taskUpdated { id } }"}
    for number in range(100):
        await socket.send(json.dumps({"id": str(number), "type": start, "payload": payload}))
    if ending == "stopped":
        for number in range(100):
            await socket.send(json.dumps({"id": str(number), "type": stop}))
    else:
        await socket.close()
    await settle(lambda: len(hub) == 0, timeout=10)
    assert len(hub) == 0
