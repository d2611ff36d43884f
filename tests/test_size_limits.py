"""What one client may send: body and message sizes, echoed values, operations per socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection

from axonql import models
from tests.test_hostile_input import close_code, initialised, recv, sockets

__all__ = ["sockets"]  # the fixture, shared with test_hostile_input

MIB = 1024 * 1024
PROTOCOLS = ["graphql-transport-ws", "graphql-ws"]


def padded_query(size: int) -> bytes:
    """A valid GraphQL request of about `size` bytes (the padding is ignored whitespace)."""
    return json.dumps({"query": "{ health { status } }" + " " * size}).encode()


async def chunks(body: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


@pytest.mark.parametrize("path", ["/graphql", "/api/graphql"])
async def test_request_bodies_over_the_limit_are_a_json_413(
    http: httpx.AsyncClient, path: str
) -> None:
    """Finding 4 (HTTP): 5 MB declared, or 2 MB streamed without a length, are refused."""
    declared = await http.post(
        path, content=padded_query(5 * MIB), headers={"Content-Type": "application/json"}
    )
    streamed = await http.post(
        path, content=chunks(padded_query(2 * MIB)), headers={"Content-Type": "application/json"}
    )
    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        assert response.headers["content-type"].startswith("application/json")
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        assert error["extensions"]["details"]["max_bytes"] == MIB
    fits = await http.post(
        path, content=padded_query(MIB - 1024), headers={"Content-Type": "application/json"}
    )
    assert fits.json() == {"data": {"health": {"status": "healthy"}}}


async def test_rest_bodies_over_the_limit_are_413_in_the_apis_envelope(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    body = json.dumps({"name": "big", "description": "x" * (2 * MIB)}).encode()
    response = await http.post(
        "/api/tasks",
        content=chunks(body),
        headers={"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert response.json()["success"] is False
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert await models.Task.find_all().count() == 0


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_graphql_websocket_messages_over_the_limit_close_1009(
    sockets: Any, admin_token: str, protocol: str
) -> None:
    """Finding 4 (WebSocket): a 10 MB message closes the socket with 1009 (message too big)."""
    socket = await initialised(sockets, protocol, admin_token)
    big = {"id": "1", "type": "subscribe", "payload": {"query": "{ health { status } }"}}
    big["padding"] = "x" * (10 * MIB)
    await socket.send(json.dumps(big))
    assert await close_code(socket) == 1009


async def test_legacy_stream_messages_over_the_limit_close_1009(
    sockets: Any, admin_token: str
) -> None:
    socket = await sockets("/ws", token=admin_token)
    await socket.send(json.dumps({"action": "subscribe", "events": ["x" * (300 * 1024)]}))
    assert await close_code(socket) == 1009
    fits = await sockets("/ws", token=admin_token)
    await fits.send(json.dumps({"action": "subscribe", "events": ["x" * (200 * 1024)]}))
    error = await recv(fits)
    assert error["error"]["code"] == "VALIDATION_ERROR"


async def test_invalid_values_are_echoed_clipped(sockets: Any, admin_token: str) -> None:
    """Finding 5: a 200 KB event name on /ws and a 100 KB `after` come back clipped."""
    stream = await sockets("/ws", token=admin_token)
    await stream.send(json.dumps({"action": "subscribe", "events": ["e" * (200 * 1024)]}))
    raw = await asyncio.wait_for(stream.recv(), 10)
    assert len(raw) < 1000, len(raw)
    assert "…" in json.loads(raw)["error"]["message"]
    socket = await initialised(sockets, "graphql-transport-ws", admin_token)
    subscribe = {
        "id": "1",
        "type": "subscribe",
        "payload": {
            "query": "subscription($a: ID) { systemAlerts(after: $a) { id } }",
            "variables": {"a": "evt_" + "9" * (100 * 1024)},
        },
    }
    await socket.send(json.dumps(subscribe))
    error = await asyncio.wait_for(socket.recv(), 10)
    assert len(error) < 2000, len(error)
    details = json.loads(error)["payload"][0]["extensions"]["details"]
    assert len(details["after"]) <= 100 and details["after"].endswith("…")


async def test_legacy_graphql_ws_refuses_a_repeated_connection_init(
    sockets: Any, admin_token: str
) -> None:
    """Finding 6: one init per socket; graphql-ws is refused as graphql-transport-ws is."""
    socket = await initialised(sockets, "graphql-ws", admin_token)
    await socket.send(json.dumps({"type": "connection_init", "payload": {}}))
    refusal = await recv(socket)
    assert refusal["type"] == "connection_error"
    assert refusal["payload"]["extensions"]["code"] == "TOO_MANY_INITIALISATIONS"
    assert await close_code(socket) == 4429
    transport = await initialised(sockets, "graphql-transport-ws", admin_token)
    await transport.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert await close_code(transport) == 4429


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_subscriptions_per_socket_are_capped(
    sockets: Any, admin_token: str, protocol: str
) -> None:
    """Finding 6: the 101st subscription on one socket is refused with a code."""
    socket: ClientConnection = await initialised(sockets, protocol, admin_token)
    start = "subscribe" if protocol == "graphql-transport-ws" else "start"
    payload = {"query": "subscription { taskUpdated { id } }"}
    for number in range(100):
        await socket.send(json.dumps({"id": str(number), "type": start, "payload": payload}))
    await socket.send(json.dumps({"id": "over", "type": start, "payload": payload}))
    refusal = await recv(socket)
    assert refusal["type"] == "error" and refusal["id"] == "over", refusal
    body = refusal["payload"][0] if isinstance(refusal["payload"], list) else refusal["payload"]
    assert body["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
    assert body["extensions"]["details"] == {"max_subscriptions": 100}
