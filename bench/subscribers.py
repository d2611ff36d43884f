"""The fan-out benchmark's subscribers: client processes that timestamp what they receive.

Each process opens its share of the WebSocket connections (AxonQL: graphql-transport-ws with
`connection_init` and one `subscribe`; raw: a bare socket) and reports `(event number, arrival
time)` for every measured message, the last arrival of the burst, and how many burst messages
arrived.

Two clients, picked with BENCH_CLIENT:
- `picows` (default): a Cython WebSocket client whose frame callback only stamps the arrival
  time and keeps the bytes; messages are parsed after the run. The clients share the machine
  with the server, so the less CPU they spend per message, the less the latency measured is
  theirs rather than the server's.
- `websockets`: the pure-Python asyncio client parsing each message as it arrives (runs A–G in
  BENCHMARKS.md were measured with it).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

QUERIES = {
    "payload": "subscription { logEntries { id payload } }",
    # the subject as it stood at the event, stored with it (README: typed changes)
    "typed": "subscription { logEntries { id payload task { id status progress } } }",
}
SELECTION = os.environ.get("BENCH_SELECTION", "payload")
QUERY = QUERIES[SELECTION]


@dataclass
class ClientJob:
    url: str
    mode: str  # "axonql" or "raw"
    connections: int
    token: str
    client: str  # "picows" or "websockets"


@dataclass
class Shared:
    """Cross-process counters and signals (multiprocessing objects)."""

    warmed: Any  # Value("i"): connections that have seen a warm-up message
    burst: Any  # Value("i"): burst messages received, all processes together
    control: Any  # Event: set when the run is over
    results: Any  # Queue: one report per process


def _init_message(token: str) -> str:
    return json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})


_SUBSCRIBE = json.dumps({"id": "1", "type": "subscribe", "payload": {"query": QUERY}})


def payload_of(mode: str, text: str | bytes) -> dict[str, Any] | None:
    """The producer's payload inside a received message (None for protocol messages)."""
    message = json.loads(text)
    if mode == "raw":
        return dict(message)
    if message.get("type") != "next":
        return None
    return dict(message["payload"]["data"]["logEntries"]["payload"])


def _report(mode: str, arrivals: Sequence[tuple[float, bytes | str]]) -> dict[str, Any]:
    received: list[tuple[int, float]] = []
    burst_last = 0.0
    burst_count = 0
    for at, text in arrivals:
        payload = payload_of(mode, text)
        if payload is None:
            continue
        if payload.get("kind") == "measure":
            received.append((int(payload["n"]), at))
        elif payload.get("kind") == "burst":
            burst_last = max(burst_last, at)
            burst_count += 1
    return {"received": received, "burst_last": burst_last, "burst_count": burst_count}


async def _until_over(shared: Shared) -> None:
    while not shared.control.is_set():
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)


async def _picows_main(job: ClientJob, shared: Shared) -> None:
    from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

    arrivals: list[tuple[float, bytes]] = []
    init = _init_message(job.token).encode()
    subscribe = _SUBSCRIBE.encode()

    class Listener(WSListener):
        def __init__(self) -> None:
            self.acknowledged = job.mode == "raw"
            self.warm = False

        def on_ws_connected(self, transport: WSTransport) -> None:
            if not self.acknowledged:
                transport.send(WSMsgType.TEXT, init)

        def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
            if frame.msg_type != WSMsgType.TEXT:
                return
            at = time.time()
            data = frame.get_payload_as_bytes()
            if not self.acknowledged:
                if b'"connection_ack"' in data:
                    self.acknowledged = True
                    transport.send(WSMsgType.TEXT, subscribe)
                return
            arrivals.append((at, data))
            if b'"burst"' in data:
                with shared.burst.get_lock():
                    shared.burst.value += 1
            elif not self.warm and b'"warm"' in data:
                self.warm = True
                with shared.warmed.get_lock():
                    shared.warmed.value += 1

    headers = {"Sec-WebSocket-Protocol": "graphql-transport-ws"} if job.mode == "axonql" else {}
    transports = []
    for _ in range(job.connections):
        transport, _listener = await ws_connect(Listener, job.url, extra_headers=headers)
        transports.append(transport)
    await _until_over(shared)
    for transport in transports:
        transport.disconnect()
    shared.results.put(_report(job.mode, arrivals))


async def _websockets_main(job: ClientJob, shared: Shared) -> None:
    from websockets.asyncio.client import connect
    from websockets.typing import Subprotocol

    arrivals: list[tuple[float, str]] = []
    sockets = []
    for _ in range(job.connections):
        if job.mode == "raw":
            ws = await connect(job.url, max_size=None, compression=None)
        else:
            ws = await connect(
                job.url,
                subprotocols=[Subprotocol("graphql-transport-ws")],
                max_size=None,
                compression=None,
            )
            await ws.send(_init_message(job.token))
            await ws.recv()
            await ws.send(_SUBSCRIBE)
        sockets.append(ws)

    async def reader(ws: Any) -> None:
        warm = False
        async for text in ws:
            at = time.time()
            payload = payload_of(job.mode, text)  # parsed on arrival, as this client did
            if payload is None:
                continue
            arrivals.append((at, text))
            kind = payload.get("kind")
            if kind == "warm" and not warm:
                warm = True
                with shared.warmed.get_lock():
                    shared.warmed.value += 1
            elif kind == "burst":
                with shared.burst.get_lock():
                    shared.burst.value += 1

    tasks = [asyncio.create_task(reader(ws)) for ws in sockets]
    await _until_over(shared)
    for task in tasks:
        task.cancel()
    for ws in sockets:
        ws.transport.abort()
    shared.results.put(_report(job.mode, arrivals))


CLIENTS = {"picows": _picows_main, "websockets": _websockets_main}


def client_process(job: ClientJob, shared: Shared) -> None:
    """Entry point of one client process."""
    asyncio.run(CLIENTS[job.client](job, shared))
