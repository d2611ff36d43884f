"""Write-path benchmark: mutations/s with 1, 8 and 32 clients vs raw PyMongo doing the same
writes at the same concurrency, in the same run, on the same database server.

AxonQL runs as `axonql serve` (its own process, one worker) on a SecantusDB server process
started durable (`--sync-on-commit`, as the embedded one runs). Each AxonQL client loops
`createTask` then `queueTask` over GraphQL HTTP (each mutation: the task written and its event
numbered and inserted in one transaction, see `services/events`). Each raw client does the same
database work from PyMongo: in one transaction insert the task, take the event's number
(`$inc` outside the transaction) and insert the event; then in another move the task to
queued with its event. The raw clients write copies of a task and an event AxonQL stored, into
collections indexed as AxonQL's (`bench/_raw.py`): that is the baseline; a bare one (small
documents, no indexes but the event number's) is printed beside it. Figures are mutations
(units of work) per second over BENCH_WRITE_SECONDS after a short warm-up.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.errors import PyMongoError

from bench import benchmark
from bench._raw import Samples, index_like_axonql
from bench._results import figure, save
from bench._stack import Stack
from bench.queue import _admin

SECONDS = float(os.environ.get("BENCH_WRITE_SECONDS", "6"))
CLIENTS = (1, 8, 32)
CREATE = "mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }"
QUEUE = "mutation($id: ID!) { queueTask(id: $id) { id } }"


async def _timed(clients: int, one: Any, seconds: float) -> float:
    """Run `one(n)` (returns mutations done) in `clients` loops; mutations/s after warm-up."""
    count = 0
    counting = False
    stop = False

    async def loop(n: int) -> None:
        nonlocal count
        while not stop:
            done = await one(n)
            if counting:
                count += done

    tasks = [asyncio.create_task(loop(n)) for n in range(clients)]
    await asyncio.sleep(1.0)  # warm-up: connections open, caches filled
    counting, begin = True, time.perf_counter()
    await asyncio.sleep(seconds)
    counting, elapsed = False, time.perf_counter() - begin
    stop = True
    await asyncio.gather(*tasks)
    return count / elapsed


async def _axonql(stack: Stack, clients: int) -> float:
    headers = {"Authorization": f"Bearer {await _admin(stack.mongo_url, 'bench_writes')}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=60) as http:

        async def one(n: int) -> int:
            r = await http.post(
                stack.url, json={"query": CREATE, "variables": {"i": {"name": "w"}}}
            )
            task_id = r.json()["data"]["createTask"]["id"]
            r = await http.post(stack.url, json={"query": QUEUE, "variables": {"id": task_id}})
            assert r.json()["data"]["queueTask"]["id"] == task_id, r.text
            return 2

        return await _timed(clients, one, SECONDS)


async def _transaction(client: AsyncMongoClient[Any], work: Any) -> None:
    """`work(session)` in one transaction, retried on transient conflicts (as AxonQL does)."""
    while True:
        async with client.start_session() as session:
            try:
                await session.start_transaction()
                await work(session)
                await session.commit_transaction()
                return
            except PyMongoError as exc:
                if session.in_transaction:
                    await session.abort_transaction()
                if not exc.has_error_label("TransientTransactionError"):
                    raise


async def _raw(mongo_url: str, clients: int, samples: Samples | None) -> float:
    """Raw PyMongo doing the same writes; `samples` None: the bare variant."""
    client: AsyncMongoClient[Any] = AsyncMongoClient(
        mongo_url, tz_aware=True, w="majority", journal=True
    )
    db = client[f"bench_raw_{uuid.uuid4().hex[:6]}"]
    if samples is None:
        await db.events.create_index("seq", unique=True)
    else:
        await index_like_axonql(db)

    async def event(session: Any, task: dict[str, Any], change: str) -> None:
        counter = await db.event_counters.find_one_and_update(
            {"_id": "events"},
            {"$inc": {"seq": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert counter is not None
        seq = int(counter["seq"])
        if samples is None:
            document = {
                "_id": f"evt_{seq:012d}",
                "seq": seq,
                "type": "TASK_STATE_CHANGED",
                "task_id": task["_id"],
                "payload": {"change": change, "status": change},
                "created_at": time.time(),
            }
        else:
            document = samples.new_event(seq, task, change=change, status=change)
        await db.events.insert_one(document, session=session)

    async def one(n: int) -> int:
        if samples is None:
            task = {"_id": f"task_{uuid.uuid4().hex[:24]}", "name": "w", "status": "created"}
        else:
            task = samples.new_task(status="created")

        async def create(session: Any) -> None:
            await db.tasks.insert_one(task, session=session)
            await event(session, task, "created")

        async def queue(session: Any) -> None:
            moved = await db.tasks.find_one_and_update(
                {"_id": task["_id"], "status": {"$in": ["created"]}},
                {"$set": {"status": "queued", "queued_at": time.time()}},
                session=session,
                return_document=ReturnDocument.AFTER,
            )
            assert moved is not None
            await event(session, moved, "queued")

        await _transaction(client, create)
        await _transaction(client, queue)
        return 2

    try:
        return await _timed(clients, one, SECONDS)
    finally:
        await client.drop_database(db.name)
        await client.close()


async def _main() -> None:
    with tempfile.TemporaryDirectory() as home:
        stack = Stack(
            Path(home),
            "bench_writes",
            durable=True,
            extra_env={
                "AXONQL_METRICS_INTERVAL_SECONDS": "0",
                "AXONQL_IMMUNE_SCAN_INTERVAL_SECONDS": "0",
                "AXONQL_LOG_LEVEL": "WARNING",
            },
        )
        try:
            await stack.ready()
            print(f"load average: {os.getloadavg()[0]:.1f}; {SECONDS:g} s per measurement")
            print(
                f"{'clients':>7} {'AxonQL mutations/s':>19} {'raw PyMongo/s':>14} {'ratio':>6}"
                f" {'bare raw/s':>11} {'ratio':>6}"
            )
            results: dict[str, dict[str, Any]] = {}
            samples: Samples | None = None
            for clients in CLIENTS:
                ours = await _axonql(stack, clients)
                if samples is None:
                    samples = await Samples.read(stack.mongo_url, "bench_writes")
                raw = await _raw(stack.mongo_url, clients, samples)
                bare = await _raw(stack.mongo_url, clients, None)
                print(
                    f"{clients:>7} {ours:>19.1f} {raw:>14.1f} {ours / raw:>6.2f}"
                    f" {bare:>11.1f} {ours / bare:>6.2f}",
                    flush=True,
                )
                results[f"writes.mutations_per_s.{clients}_clients"] = figure(
                    ours, "mutations/s", raw
                )
            save(results)
        finally:
            stack.stop()


@benchmark("writes")
def run() -> None:
    """Mutation throughput with 1, 8 and 32 clients against raw PyMongo doing the same writes."""
    asyncio.run(_main())
