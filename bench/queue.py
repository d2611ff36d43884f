"""Work-queue benchmark: end-to-end tasks/s and claim latency vs raw findOneAndUpdate claims/s.

AxonQL runs as `axonql serve` (its own process) on a SecantusDB server process. Agents are
asyncio workers in this process speaking the public GraphQL API with their API keys
(`axonql.agent.client.AgentClient`), each claiming and completing as fast as it can.

- e2e: a producer submits BENCH_QUEUE_TASKS tasks (`submitTask`, waitSeconds 0) while 1, 2,
  4 and 8 agents claim (long-poll) and complete them; tasks/s = tasks / (last completion −
  first submission); `db ms/task`: the database process's CPU per task in that round (the
  queue's capacity is that one Python process: a cost that falls as agents are added is what
  lets e2e rise).
- e2e with work: the same with BENCH_QUEUE_WORK_TASKS tasks, each agent spending 250 ms on a
  task before completing it, as working agents do; `bench/results.json` compares it with n
  times the one-agent rate of the same run (scaling that the queue would not limit at all).
- claim latency: the same number of tasks queued first, then agents drain them; p50/p99 of
  the `claimTask` round trip while work is always available.
- batches: one agent with n slots drains the queue with `claimTasks(limit: n)`, completing
  each batch's tasks concurrently; compared with n agents' drain of the same round.
- each agent count runs on a server and database of its own (see `_round`).
- baseline: raw PyMongo claimers doing the same database work per task on a scratch database
  of the same server: in one transaction claim the queue's head (`find_one_and_update`, same
  filter, sort and update shape) and insert its event numbered by an `$inc` taken outside the
  transaction; then in another mark it completed with its event. Conflicts are retried as
  AxonQL retries them. Measured with as many claimers as agents, in the same run. The raw
  claimers work on copies of a task and an event AxonQL stored, in collections indexed as
  AxonQL's (`bench/_raw.py`); a bare variant (small documents, one index) is printed beside.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import psutil
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.errors import PyMongoError

from axonql.agent.client import AgentClient
from axonql.scopes import ALL_SCOPES
from bench import benchmark
from bench._raw import Samples, index_like_axonql
from bench._results import figure, save
from bench._stack import SECRET, Stack

TASKS = int(os.environ.get("BENCH_QUEUE_TASKS", "200"))
WORK_TASKS = int(os.environ.get("BENCH_QUEUE_WORK_TASKS", "80"))
WORK_SECONDS = 0.25  # what a working agent spends on a task (the figures above spend none)
AGENT_COUNTS = (1, 2, 4, 8)
CAPABILITY = "bench"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _admin(mongo_url: str, database: str = "bench_queue") -> str:
    """An admin token the server accepts: its user is stored, as each request checks."""
    client: AsyncMongoClient[Any] = AsyncMongoClient(mongo_url)
    scopes = sorted(ALL_SCOPES)
    await client[database]["users"].update_one(
        {"_id": "user_bench"},
        {
            "$setOnInsert": {
                "username": "user_bench",
                "scopes": scopes,
                "is_active": True,
                "token_version": 0,
            }
        },
        upsert=True,
    )
    await client.close()
    now = int(time.time())
    claims = {"sub": "user_bench", "iat": now, "exp": now + 3600, "scope": scopes, "typ": "access"}
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


async def _agent(
    client: AgentClient, done: list[float], claims: list[float], total: int, work: float = 0.0
) -> None:
    """Claim and complete until `total` are done, spending `work` seconds on each task."""
    while len(done) < total:
        started = time.perf_counter()
        task = await client.claim(None, 5.0)
        if task is None:
            continue
        claims.append(time.perf_counter() - started)
        if work:
            await asyncio.sleep(work)
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


async def _e2e(
    stack: Stack, admin: AgentClient, keys: list[str], tasks: int = TASKS, work: float = 0.0
) -> tuple[float, float]:
    """Tasks/s, and the database process's CPU per task in ms (what the queue's capacity is
    made of: one Python process)."""
    done: list[float] = []
    claims: list[float] = []
    clients = [AgentClient(stack.url, key) for key in keys]
    for client in clients:
        await client.heartbeat([CAPABILITY])
    database = psutil.Process(stack.db.pid)
    cpu = sum(database.cpu_times()[:2])
    begin = time.perf_counter()
    workers = asyncio.gather(*(_agent(c, done, claims, tasks, work) for c in clients))
    await _submit(admin, tasks)
    await workers
    cpu = sum(database.cpu_times()[:2]) - cpu
    for client in clients:
        await client.close()
    return tasks / (max(done) - begin), cpu / tasks * 1000


async def _latency(stack: Stack, admin: AgentClient, keys: list[str]) -> tuple[float, float, float]:
    for key in keys:  # online again (a long e2e round outlasts the offline threshold)
        client = AgentClient(stack.url, key)
        await client.heartbeat([CAPABILITY])
        await client.close()
    await _submit(admin, TASKS)
    done: list[float] = []
    claims: list[float] = []
    begin = time.perf_counter()
    await _run_agents(stack.url, keys, TASKS, done, claims)
    return _pct(claims, 0.5), _pct(claims, 0.99), TASKS / (max(done) - begin)


async def _batched_drain(stack: Stack, admin: AgentClient, size: int) -> float:
    """Tasks/s for one agent with `size` slots draining the queue in batches (`claimTasks`),
    completing each batch's tasks concurrently."""
    data = await admin.call(
        "mutation($i: CreateAgentInput!) { registerAgent(input: $i) { apiKey } }",
        {
            "i": {
                "name": "bench-batches",
                "capabilities": [CAPABILITY],
                "configuration": {"maxConcurrentTasks": size},
            }
        },
    )
    client = AgentClient(stack.url, data["registerAgent"]["apiKey"])
    await client.heartbeat([CAPABILITY])
    await _submit(admin, TASKS)
    done = 0
    begin = time.perf_counter()
    while done < TASKS:
        batch = await client.claim_many(size, None, 5.0)
        await asyncio.gather(*(client.complete(task.id, {"ok": True}) for task in batch))
        done += len(batch)
    elapsed = time.perf_counter() - begin
    await client.close()
    return TASKS / elapsed


async def _raw_transaction(client: AsyncMongoClient[Any], work: Any) -> Any:
    """`work(session)` in one transaction, retried on transient conflicts."""
    while True:
        async with client.start_session() as session:
            try:
                await session.start_transaction()
                result = await work(session)
                await session.commit_transaction()
                return result
            except PyMongoError as exc:
                if session.in_transaction:
                    await session.abort_transaction()
                if not exc.has_error_label("TransientTransactionError"):
                    raise


async def _raw_claims(mongo_url: str, claimers: int, samples: Samples | None) -> float:
    """Tasks/s for raw claimers: claim + event, complete + event, each in a transaction
    (`samples` None: the bare variant)."""
    client: AsyncMongoClient[Any] = AsyncMongoClient(
        mongo_url, tz_aware=True, w="majority", journal=True
    )
    db = client[f"bench_raw_{secrets.token_hex(3)}"]
    collection = db["tasks"]
    if samples is None:
        await collection.create_index(
            [("status", ASCENDING), ("priority_rank", DESCENDING), ("created_at", ASCENDING)]
        )
        await db["events"].create_index("seq", unique=True)
    else:
        await index_like_axonql(db)
    now = datetime.now(UTC)
    fields = [
        {
            "status": "queued",
            "priority_rank": i % 4,
            "created_at": now + timedelta(seconds=i),
            "required_capabilities": [CAPABILITY],
            "attempts": 0,
        }
        for i in range(TASKS)
    ]
    if samples is None:
        await collection.insert_many([{"_id": f"t{i}", **f} for i, f in enumerate(fields)])
    else:
        await collection.insert_many([samples.new_task(**f) for f in fields])
    query = {
        "status": "queued",
        "required_capabilities": {"$not": {"$elemMatch": {"$nin": [CAPABILITY]}}},
    }

    async def event(session: Any, task: dict[str, Any], change: str) -> None:
        counter = await db["event_counters"].find_one_and_update(
            {"_id": "events"},
            {"$inc": {"seq": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert counter is not None
        seq = int(counter["seq"])
        if samples is None:
            document = {"_id": f"evt_{seq:012d}", "seq": seq, "task_id": task["_id"]}
            document["change"] = change
        else:
            document = samples.new_event(seq, task, change=change, status=task["status"])
        await db["events"].insert_one(document, session=session)

    async def claim(session: Any) -> Any:
        task = await collection.find_one_and_update(
            query,
            {"$set": {"status": "running", "agent_id": "raw"}, "$inc": {"attempts": 1}},
            sort=[("priority_rank", DESCENDING), ("created_at", ASCENDING)],
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if task is not None:
            await event(session, task, "claimed")
        return task

    async def claimer() -> int:
        n = 0
        while task := await _raw_transaction(client, claim):

            async def complete(session: Any, task_id: str = task["_id"]) -> None:
                done = await collection.find_one_and_update(
                    {"_id": task_id, "status": "running"},
                    {"$set": {"status": "completed", "result": {"ok": True}}},
                    return_document=ReturnDocument.AFTER,
                    session=session,
                )
                assert done is not None
                await event(session, done, "completed")

            await _raw_transaction(client, complete)
            n += 1
        return n

    begin = time.perf_counter()
    claimed = sum(await asyncio.gather(*(claimer() for _ in range(claimers))))
    elapsed = time.perf_counter() - begin
    await client.drop_database(db.name)
    await client.close()
    assert claimed == TASKS
    return TASKS / elapsed


@dataclass(frozen=True)
class Round:
    """One agent count's figures (tasks/s unless named otherwise)."""

    e2e: float
    database_ms: float  # the database process's CPU per task in the e2e round
    drain: float
    claim_p50: float  # seconds
    claim_p99: float
    raw: float
    bare: float
    working: float
    batched: float


async def _round(count: int) -> Round:
    """One agent count on a server and database of its own, so no round inherits the tasks,
    events and dropped scratch databases of the rounds before it: e2e, drain (with claim
    p50/p99), raw and bare raw claimers, e2e with work, and one agent with `count` slots
    draining in batches of `count`."""
    with tempfile.TemporaryDirectory() as home:
        stack = Stack(Path(home), "bench_queue")
        try:
            await stack.ready()
            admin = AgentClient(stack.url, await _admin(stack.mongo_url))
            keys = await _register(admin, count)
            rate, database_ms = await _e2e(stack, admin, keys)
            p50, p99, drain = await _latency(stack, admin, keys)
            samples = await Samples.read(stack.mongo_url, "bench_queue")
            raw = await _raw_claims(stack.mongo_url, count, samples)
            bare = await _raw_claims(stack.mongo_url, count, None)
            working, _ = await _e2e(stack, admin, keys, WORK_TASKS, WORK_SECONDS)
            batched = await _batched_drain(stack, admin, count)
            await admin.close()
            return Round(rate, database_ms, drain, p50, p99, raw, bare, working, batched)
        finally:
            stack.stop()


async def _main() -> None:
    print(f"tasks per run: {TASKS}; load average {os.getloadavg()[0]:.1f}")
    print(
        f"{'agents':>6} {'e2e tasks/s':>12} {'drain tasks/s':>14} {'claim p50 ms':>13} "
        f"{'claim p99 ms':>13} {'raw tasks/s':>12} {'e2e÷raw':>8} {'bare raw':>9}"
        f" {'e2e÷bare':>9} {'db ms/task':>11}"
    )
    results: dict[str, dict[str, Any]] = {}
    one_agent_working = 0.0
    one_agent_database_ms = 0.0
    for count in AGENT_COUNTS:
        r = await _round(count)
        print(
            f"{count:>6} {r.e2e:>12.1f} {r.drain:>14.1f} {r.claim_p50 * 1000:>13.1f} "
            f"{r.claim_p99 * 1000:>13.1f} {r.raw:>12.1f} {r.e2e / r.raw:>8.3f} {r.bare:>9.1f}"
            f" {r.e2e / r.bare:>9.3f} {r.database_ms:>11.1f}",
            flush=True,
        )
        results[f"queue.tasks_per_s.{count}_agents"] = figure(r.e2e, "tasks/s", r.raw)
        if count == 1:
            one_agent_working, one_agent_database_ms = r.working, r.database_ms
        results[f"queue.database_cpu_ms_per_task.{count}_agents"] = figure(
            r.database_ms, "ms of database CPU per task (e2e)", one_agent_database_ms
        )
        print(
            f"{'':>6} with {WORK_SECONDS * 1000:.0f} ms of work per task: {r.working:.1f}"
            f" tasks/s, {r.working / one_agent_working:.2f}x one agent's",
            flush=True,
        )
        results[f"queue.tasks_per_s_with_work.{count}_agents"] = figure(
            r.working, "tasks/s", one_agent_working * count
        )
        print(
            f"{'':>6} one agent with {count} slots draining in batches (claimTasks):"
            f" {r.batched:.1f} tasks/s, {r.batched / r.drain:.2f}x {count} agents' drain",
            flush=True,
        )
        results[f"queue.batched_drain_tasks_per_s.{count}_slots"] = figure(
            r.batched, "tasks/s", r.drain
        )
    save(results)


@benchmark("queue")
def run() -> None:
    """End-to-end queue throughput and claim latency with 1, 2, 4 and 8 agents vs raw claimers."""
    asyncio.run(_main())
