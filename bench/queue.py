"""Work-queue benchmark: end-to-end tasks/s and claim latency vs raw findOneAndUpdate claims/s.

AxonQL runs as `axonql serve` (its own process) on a SecantusDB server process. Agents are
asyncio workers in this process speaking the public GraphQL API with their API keys
(`axonql.agent.client.AgentClient`), each claiming and completing as fast as it can.

- e2e: a producer submits BENCH_QUEUE_TASKS tasks (`submitTask`, waitSeconds 0) while 1, 2
  and 4 agents claim (long-poll) and complete them; tasks/s = tasks / (last completion −
  first submission).
- claim latency: the same number of tasks queued first, then agents drain them; p50/p99 of
  the `claimTask` round trip while work is always available.
- baseline: raw `find_one_and_update` claims/s (same filter, sort and update shape) on a
  scratch collection of the same database, with 1 and 4 concurrent claimers.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument

from axonql.agent.client import AgentClient
from axonql.scopes import ALL_SCOPES
from axonql.stopping import stop_process
from bench import benchmark

TASKS = int(os.environ.get("BENCH_QUEUE_TASKS", "200"))
AGENT_COUNTS = (1, 2, 4)
SECRET = "bench-secret-" + "z" * 40
CAPABILITY = "bench"


def _port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class Stack:
    """SecantusDB + `axonql serve`, both child processes."""

    def __init__(self, home: Path) -> None:
        self.db_port, self.port = _port(), _port()
        self.mongo_url = f"mongodb://127.0.0.1:{self.db_port}/?directConnection=true"
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        binary = Path(sys.executable).parent / "secantusd-py"
        self.db = subprocess.Popen(
            [
                str(binary),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.db_port),
                "--storage-path",
                ":memory:",
                "--log-level",
                "ERROR",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        env = {
            **os.environ,
            "AXONQL_MONGODB_URL": self.mongo_url,
            "AXONQL_DATABASE": "bench_queue",
            "AXONQL_JWT_SECRET": SECRET,
            "AXONQL_ENV": "test",
            "AXONQL_DATA_DIR": str(home),
        }
        self.server = subprocess.Popen(
            [sys.executable, "-m", "axonql.cli", "serve", "--port", str(self.port)],
            env=env,
            stdout=(home / "serve.log").open("ab"),
            stderr=subprocess.STDOUT,
        )

    async def ready(self) -> None:
        deadline = time.monotonic() + 120
        async with httpx.AsyncClient() as http:
            while time.monotonic() < deadline:
                if self.server.poll() is not None:
                    raise RuntimeError("axonql serve exited during startup")
                try:
                    if (
                        await http.post(self.url, json={"query": "{__typename}"})
                    ).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError("axonql serve did not start")

    def stop(self) -> None:
        for process in (self.server, self.db):
            stop_process(process, 20)


def _admin() -> str:
    now = int(time.time())
    claims = {"sub": "bench", "iat": now, "exp": now + 3600, "scope": sorted(ALL_SCOPES)}
    return jwt.encode(claims, SECRET, algorithm="HS256")


async def _register(admin: AgentClient, count: int) -> list[str]:
    keys = []
    for i in range(count):
        data = await admin.call(
            "mutation($i: CreateAgentInput!) { registerAgent(input: $i) { apiKey } }",
            {
                "i": {
                    "name": f"bench-{i}",
                    "capabilities": [CAPABILITY],
                    "configuration": {"maxConcurrentTasks": 1},
                }
            },
        )
        keys.append(data["registerAgent"]["apiKey"])
    return keys


async def _submit(admin: AgentClient, n: int) -> None:
    query = "mutation($i: CreateTaskInput!) { submitTask(input: $i, waitSeconds: 0) { id } }"
    for i in range(n):
        await admin.call(
            query, {"i": {"name": f"b{i}", "type": "echo", "requiredCapabilities": [CAPABILITY]}}
        )


async def _agent(client: AgentClient, done: list[float], claims: list[float], total: int) -> None:
    while len(done) < total:
        started = time.perf_counter()
        task = await client.claim(None, 5.0)
        if task is None:
            continue
        claims.append(time.perf_counter() - started)
        await client.complete(task.id, {"ok": True})
        done.append(time.perf_counter())


async def _run_agents(
    url: str, keys: list[str], total: int, done: list[float], claims: list[float]
) -> None:
    clients = [AgentClient(url, key) for key in keys]
    try:
        for client in clients:
            await client.heartbeat([CAPABILITY])
        await asyncio.gather(*(_agent(c, done, claims, total) for c in clients))
    finally:
        for client in clients:
            await client.close()


async def _e2e(stack: Stack, admin: AgentClient, keys: list[str]) -> float:
    done: list[float] = []
    claims: list[float] = []
    clients = [AgentClient(stack.url, key) for key in keys]
    for client in clients:
        await client.heartbeat([CAPABILITY])
    begin = time.perf_counter()
    workers = asyncio.gather(*(_agent(c, done, claims, TASKS) for c in clients))
    await _submit(admin, TASKS)
    await workers
    for client in clients:
        await client.close()
    return TASKS / (max(done) - begin)


async def _latency(stack: Stack, admin: AgentClient, keys: list[str]) -> tuple[float, float, float]:
    await _submit(admin, TASKS)
    done: list[float] = []
    claims: list[float] = []
    begin = time.perf_counter()
    await _run_agents(stack.url, keys, TASKS, done, claims)
    return _pct(claims, 0.5), _pct(claims, 0.99), TASKS / (max(done) - begin)


async def _raw_claims(mongo_url: str, claimers: int) -> float:
    client: AsyncMongoClient[Any] = AsyncMongoClient(mongo_url, tz_aware=True)
    collection = client["bench_queue"][f"raw_{secrets.token_hex(3)}"]
    await collection.create_index(
        [("status", ASCENDING), ("priority_rank", DESCENDING), ("created_at", ASCENDING)]
    )
    now = time.time()
    await collection.insert_many(
        [
            {
                "_id": f"t{i}",
                "status": "queued",
                "priority_rank": i % 4,
                "created_at": now + i,
                "required_capabilities": [CAPABILITY],
                "attempts": 0,
            }
            for i in range(TASKS)
        ]
    )
    query = {
        "status": "queued",
        "required_capabilities": {"$not": {"$elemMatch": {"$nin": [CAPABILITY]}}},
    }

    async def claimer() -> int:
        n = 0
        while await collection.find_one_and_update(
            query,
            {"$set": {"status": "running", "agent_id": "raw"}, "$inc": {"attempts": 1}},
            sort=[("priority_rank", DESCENDING), ("created_at", ASCENDING)],
            return_document=ReturnDocument.AFTER,
        ):
            n += 1
        return n

    begin = time.perf_counter()
    claimed = sum(await asyncio.gather(*(claimer() for _ in range(claimers))))
    elapsed = time.perf_counter() - begin
    await collection.drop()
    await client.close()
    assert claimed == TASKS
    return TASKS / elapsed


async def _main() -> None:
    with tempfile.TemporaryDirectory() as home:
        stack = Stack(Path(home))
        try:
            await stack.ready()
            admin = AgentClient(stack.url, _admin())
            raw = {k: await _raw_claims(stack.mongo_url, k) for k in (1, 4)}
            print(f"tasks per run: {TASKS}")
            print(
                f"baseline raw find_one_and_update claims/s: 1 claimer {raw[1]:.0f}, "
                f"4 claimers {raw[4]:.0f}"
            )
            print(
                f"{'agents':>6} {'e2e tasks/s':>12} {'drain tasks/s':>14} {'claim p50 ms':>13} "
                f"{'claim p99 ms':>13} {'e2e÷raw(1)':>11} {'e2e÷raw(4)':>11}"
            )
            for count in AGENT_COUNTS:
                keys = await _register(admin, count)
                rate = await _e2e(stack, admin, keys)
                p50, p99, drain = await _latency(stack, admin, keys)
                print(
                    f"{count:>6} {rate:>12.1f} {drain:>14.1f} {p50 * 1000:>13.1f} "
                    f"{p99 * 1000:>13.1f} {rate / raw[1]:>11.3f} {rate / raw[4]:>11.3f}",
                    flush=True,
                )
                for key in keys:  # retire this round's agents so the next round starts clean
                    retire = AgentClient(stack.url, key)
                    agent = await retire.heartbeat()
                    await retire.close()
                    await admin.call(
                        "mutation($id: ID!) { deleteAgent(id: $id) }", {"id": agent["id"]}
                    )
            await admin.close()
        finally:
            stack.stop()


@benchmark("queue")
def run() -> None:
    """End-to-end queue throughput and claim latency with 1, 2 and 4 agents."""
    asyncio.run(_main())
