"""A minimal graphql-transport-ws / graphql-ws client for tests that need the raw socket
(abrupt disconnects, clients that stop reading, many connections)."""

from __future__ import annotations

import json
import socket as sockets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from websockets.asyncio.client import ClientConnection, connect

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


@dataclass
class RawSubscription:
    """One connection carrying one subscription (operation id "1")."""

    socket: ClientConnection
    protocol: str

    @classmethod
    async def open(
        cls,
        url: str,
        token: str | None,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        protocol: str = TRANSPORT_WS,
        receive_buffer: int | None = None,
        **connect_kwargs: Any,
    ) -> RawSubscription:
        if receive_buffer is not None:  # a client that reads slowly: a tiny TCP window
            connect_kwargs["sock"] = _small_window_socket(url, receive_buffer)
        socket = await connect(url, subprotocols=[protocol], **connect_kwargs)  # type: ignore[list-item]
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        while True:
            ack = json.loads(await socket.recv())
            if ack["type"] == "connection_ack":
                break
            if ack["type"] != "ka":
                raise AssertionError(f"connection refused: {ack}")
        start = "subscribe" if protocol == TRANSPORT_WS else "start"
        await socket.send(
            json.dumps(
                {
                    "id": "1",
                    "type": start,
                    "payload": {"query": query, "variables": variables or {}},
                }
            )
        )
        return cls(socket=socket, protocol=protocol)

    async def next_message(self) -> dict[str, Any]:
        """The next operation message (`next`/`data`, `error`, `complete`), skipping pings."""
        while True:
            message: dict[str, Any] = json.loads(await self.socket.recv())
            if message["type"] in ("ka", "ping", "pong"):
                if message["type"] == "ping":
                    await self.socket.send(json.dumps({"type": "pong"}))
                continue
            return message

    async def next_data(self) -> dict[str, Any]:
        """The `data` of the next result; anything else fails the test."""
        message = await self.next_message()
        assert message["type"] in ("next", "data"), message
        assert not message["payload"].get("errors"), message
        data: dict[str, Any] = message["payload"]["data"]
        return data

    def abort(self) -> None:
        """Drop the TCP connection without a close frame (a vanished client)."""
        transport = self.socket.transport
        transport.abort()

    async def close(self) -> None:
        await self.socket.close()


def _small_window_socket(url: str, size: int) -> sockets.socket:
    """A connected socket whose receive buffer (so TCP window) is set before the handshake."""
    parsed = urlparse(url)
    sock = sockets.socket(sockets.AF_INET, sockets.SOCK_STREAM)
    sock.setsockopt(sockets.SOL_SOCKET, sockets.SO_RCVBUF, size)
    sock.connect((parsed.hostname or "127.0.0.1", parsed.port or 80))
    sock.setblocking(False)
    return sock
