"""REST-compat overhead: each documented REST request vs the GraphQL request it runs.

Same `axonql serve` process, same data, same run. For each pair the REST path
(`GET /api/tasks/{id}`, `GET /api/tasks?limit=20`) and the GraphQL document its route
executes are sent alternately in rounds of BENCH_REST_REQUESTS requests at concurrency
BENCH_REST_CONCURRENCY; requests/s, p50 and p99 are compared. Target: REST at most 15% slower.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from axonql.rest_compat.tables.octospine import ROUTES
from bench import benchmark
from bench._stack import Stack
from bench.queue import _admin, _pct

REQUESTS = int(os.environ.get("BENCH_REST_REQUESTS", "400"))
CONCURRENCY = int(os.environ.get("BENCH_REST_CONCURRENCY", "8"))
ROUNDS = 2
TARGET = 0.15

Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def _operation(method: str, path: str) -> str:
    return next(r.operation for r in ROUTES if r.method == method and r.path == path)


async def _measure(http: httpx.AsyncClient, send: Send) -> tuple[float, list[float]]:
    latencies: list[float] = []
    queue = list(range(REQUESTS))

    async def worker() -> None:
        while queue:
            queue.pop()
            started = time.perf_counter()
            response = await send(http)
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code}: {response.text[:200]}")

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return REQUESTS / (time.perf_counter() - started), latencies


async def _compare(http: httpx.AsyncClient, name: str, rest: Send, graphql: Send) -> None:
    totals: dict[str, list[float]] = {"rest": [], "graphql": []}
    latencies: dict[str, list[float]] = {"rest": [], "graphql": []}
    await _measure(http, rest)  # warm both paths
    await _measure(http, graphql)
    pairs = [("graphql", graphql), ("rest", rest)]
    for round_ in range(ROUNDS * 2):
        # Alternate which goes first: the machine's load drifts between measurements.
        for kind, send in pairs if round_ % 2 == 0 else pairs[::-1]:
            rate, lat = await _measure(http, send)
            totals[kind].append(rate)
            latencies[kind].extend(lat)
    rest_rate = sum(totals["rest"]) / len(totals["rest"])
    gql_rate = sum(totals["graphql"]) / len(totals["graphql"])
    slower = gql_rate / rest_rate - 1
    verdict = "within" if slower <= TARGET else "OVER"

    def stats(kind: str, rate: float) -> str:
        p50 = _pct(latencies[kind], 0.5) * 1000
        p99 = _pct(latencies[kind], 0.99) * 1000
        return f"{rate:.0f} req/s (p50 {p50:.1f} ms, p99 {p99:.1f} ms)"

    print(
        f"{name}: GraphQL {stats('graphql', gql_rate)} | REST {stats('rest', rest_rate)}"
        f" | REST {slower * 100:+.1f}% ({verdict} the {TARGET * 100:.0f}% target)",
        flush=True,
    )


async def _main() -> None:
    home = Path(tempfile.mkdtemp(prefix="axonql-bench-rest-"))
    # OCTOSPINE allows 1000 requests/minute; the check still runs, with room for the bench.
    os.environ["AXONQL_REST_RATE_LIMITS"] = '{"octospine.default": "100000000/minute"}'
    stack = Stack(home, "bench_queue")  # the database `_admin` writes its user to
    try:
        await stack.ready()
        base = stack.base
        headers = {"Authorization": f"Bearer {await _admin(stack.mongo_url)}"}
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as http:
            ids = []
            for i in range(20):
                created = await http.post(
                    "/api/tasks", json={"name": f"bench task {i}", "priority": "high"}
                )
                ids.append(created.json()["data"]["id"])
            task_id = ids[0]

            async def rest_detail(client: httpx.AsyncClient) -> httpx.Response:
                return await client.get(f"/api/tasks/{task_id}")

            detail_doc = _operation("GET", "/api/tasks/{task_id}")

            async def gql_detail(client: httpx.AsyncClient) -> httpx.Response:
                return await client.post(
                    "/graphql", json={"query": detail_doc, "variables": {"id": task_id}}
                )

            list_doc = _operation("GET", "/api/tasks")
            page: dict[str, Any] = {"filter": {"limit": 20, "offset": 0}}

            async def rest_list(client: httpx.AsyncClient) -> httpx.Response:
                return await client.get("/api/tasks", params={"limit": 20})

            async def gql_list(client: httpx.AsyncClient) -> httpx.Response:
                return await client.post("/graphql", json={"query": list_doc, "variables": page})

            await _compare(http, "task detail", rest_detail, gql_detail)
            await _compare(http, "task list (20)", rest_list, gql_list)
    finally:
        stack.stop()


@benchmark("rest")
def run() -> None:
    asyncio.run(_main())
