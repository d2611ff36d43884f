"""Growth benchmark: what each read costs at 1,000, 10,000 and 100,000 documents.

AxonQL runs as `axonql serve` on a SecantusDB server process. Tasks (and the events their
history left) are inserted directly in bulk, newest first, so every size shares the same
newest tasks; then the tallies are recounted (`tallies.rebuild`, as after any bulk import).
At each size every read runs `BENCH_GROWTH_SAMPLES` times after two warm-ups; the p50 is
reported, and its ratio to the 1,000-document p50 (target: at most 2). Before every sample a
reference read (one task by id, whose cost does not depend on the collection) is timed too;
`÷ref ratio` compares read/reference at the largest and smallest size, which keeps the load of
a shared machine out of the comparison.

Reads over HTTP: GraphQL lists, connections (first page, a page after a cursor 500 deep, oldest
first by `updatedAt` with `totalCount`, by priority, by name, by progress, memories by
importance; one agent's, one system's and one automation's tasks in those orders), searches
(task names, alone, beside a status and by name or priority; memories by relevance, and the
memory list's text filter), statistics, REST lists with their pagination
block (an offset of 500 too), the immune scan and status, OCTOSPINE's health. Reads run in
this process against the same database (the functions the server runs on a timer or per
subscription): the queue's claim (of an agent offering none of the capability the five queued
tasks require, so it measures the claim's search at every size and leases nothing: a task
leased at 1,000 would be "stuck" for the scan by the 100,000 stage), the reaper, the
scheduler, and the event-log resume check.

Results: printed, merged into bench/results.json (`growth: <read>`), figures in BENCHMARKS.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from beanie import init_beanie
from pymongo import AsyncMongoClient
from pymongo.errors import BulkWriteError

from axonql import models
from axonql.ids import HEX_DIGITS
from axonql.models.event import event_id
from axonql.scopes import ALL_SCOPES
from axonql.services import memory_ops, queue, scheduler
from axonql.services.auth import issue_access_token
from axonql.services.events import rebuild_kept
from axonql.services.pagination import encode_cursor
from axonql.settings import Settings
from axonql.subscriptions import log as event_log
from axonql.subscriptions import realtime
from bench import benchmark
from bench._results import figure, save
from bench._stack import SECRET, Stack, calm, settle, timed

SIZES = tuple(int(s) for s in os.environ.get("BENCH_GROWTH_SIZES", "1000,10000,100000").split(","))
SAMPLES = int(os.environ.get("BENCH_GROWTH_SAMPLES", "15"))
ONLY = [part for part in os.environ.get("BENCH_GROWTH_READS", "").split(",") if part]
"""Substrings of the reads to run (empty: all of them); to look at a few quickly."""
DATABASE = "bench_growth"
SPACING = timedelta(seconds=26)  # 100,000 tasks ≈ one month
QUEUED = 5  # a handful queued among the newest, at every size
TYPES = ("data_processing", "training", "documentation", "simulation", "automation")
AGENTS = 20
SYSTEMS = 7
DEEP = 500
BATCH = 2_000
"""Documents per insert: a 5,000-task insert failed once with SecantusDB's internal error."""
REFERENCE = "reference: GraphQL task(id) (one document by id)"
"""Timed before every sample of every read: how loaded the machine is at that moment."""


async def _token(settings: Settings) -> str:
    """An access token of a stored admin user (tokens name a user the server looks up)."""
    user = models.User(id="user_bench", username="bench", scopes=sorted(ALL_SCOPES))
    await user.insert()
    return issue_access_token(settings, user, sorted(ALL_SCOPES))


RUNNING = "task_grunning"
WORKER = "agent_gworker"
"""A task leased to `WORKER` (its heartbeat in the future: never stale, so no scan requeues
its task) whose progress is reported, as agents renew their leases."""


def _spread(i: int) -> str:
    """The i-th document's random-looking id digits, as `ids.new_id` makes them: pages by value
    sample a field's values from a range of ids."""
    return hashlib.blake2b(i.to_bytes(8, "big"), digest_size=HEX_DIGITS // 2).hexdigest()


def task_id(i: int) -> str:
    return f"task_{_spread(i)}"


def _task(i: int, newest: datetime) -> dict[str, Any]:
    """The i-th newest task: completed (some failed), a few queued among the newest (HIGH
    priority, tagged `rare`, runs of one automation: filters matching a handful; requiring the
    workers' `growth` capability), every tenth a learning task."""
    created = newest - i * SPACING
    status = "queued" if i < QUEUED else ("failed" if i % 50 == 0 else "completed")
    kind = "learning" if i % 10 == 3 else TYPES[i % len(TYPES)]
    return {
        "_id": task_id(i),
        "name": f"growth task {i}",
        "description": "",
        "type": kind,
        "status": status,
        "priority": "high" if status == "queued" else "medium",
        "priority_rank": 2 if status == "queued" else 1,
        "parameters": {},
        "required_capabilities": ["growth"] if status == "queued" else [],
        "tags": ["rare", "urgent"] if status == "queued" else ["common"],
        "schedule": None,
        "next_run": None,
        "progress": 0 if status == "queued" else 100,
        "statistics": {
            "total_runs": 1,
            "successful_runs": 1,
            "failed_runs": 0,
            "average_duration": 2.5,
        },
        "agent_id": None if status == "queued" else f"agent_g{i % AGENTS:03d}",
        "system_id": None if status == "queued" else f"sys_g{i % SYSTEMS}",
        "parent_id": "task_growth_parent" if status == "queued" else None,  # its runs
        "is_automation": False,
        "enabled": True,
        "triggers": [],
        "steps": [],
        "attempts": 0 if status == "queued" else 1,
        "max_attempts": 3,
        "queued_at": created,
        "started_at": None if status == "queued" else created,
        "completed_at": None if status == "queued" else created + timedelta(seconds=2.5),
        "result": {"confidence": 0.8} if status == "completed" else None,
        "lease_expires_at": None,
        "created_at": created,
        "updated_at": created + timedelta(seconds=2.5),
    }


def _event(seq: int, created: datetime, task: str) -> dict[str, Any]:
    return {
        "_id": event_id(seq),
        "seq": seq,
        "type": "TASK_STATE_CHANGED",
        "task_id": task,
        "payload": {"status": "completed", "change": "completed"},
        "created_at": created,
        "updated_at": created,
        # kept past the run: the oldest (100,000 × SPACING ≈ 30 days back) carry the highest
        # numbers, and the resume check reads the newest numbers
        "expires_at": created + timedelta(days=365),
    }


def _memory(i: int, newest: datetime) -> dict[str, Any]:
    """The i-th newest memory; one (the same at every size) drifts past the alert level."""
    created = newest - i * SPACING
    return {
        "_id": f"mem_{_spread(i)}",
        "type": ("semantic", "episodic", "procedural")[i % 3],
        "title": f"growth memory {i}",
        "content": f"what growth memory {i} remembers",
        "context": {},
        "tags": [],
        "importance": (i * 37 % 100) / 100,
        "drift_score": 0.5 if i == 7 else 0.0,
        "access_count": 0,
        "last_accessed": None,
        "related_ids": [],
        "owner_user_id": None,
        "owner_system_id": None,
        "pool": ("short_term", "long_term")[i % 2],
        "created_at": created,
        "updated_at": created,
    }


def _sample(i: int, newest: datetime) -> dict[str, Any]:
    """The i-th newest CPU sample of the server, ten seconds apart (100,000 ≈ 12 days)."""
    at = newest - timedelta(seconds=10 * i)
    return {
        "_id": f"met_g{i:08d}",
        "system_id": "axonql",
        "component_id": None,
        "app_id": None,
        "metric": "cpu_usage",
        "value": float(i % 100),
        "timestamp": at,
        "created_at": at,
        "updated_at": at,
    }


def _threat(i: int, newest: datetime) -> dict[str, Any]:
    """The i-th newest threat, long resolved (the history an immune scan accumulates)."""
    created = newest - i * SPACING
    return {
        "_id": f"threat_g{i:08d}",
        "type": "errors",
        "check": "expired_lease",
        "severity": "high",
        "description": "task lease expired",
        "location": f"task:{task_id(i)}",
        "subject_id": task_id(i),
        "scan_id": "scan_g",
        "status": "resolved",
        "detections": 1,
        "last_seen": created,
        "healed": True,
        "healing_method": "requeued",
        "resolution": "automatic: requeued",
        "resolution_time": 60.0,
        "resolved_at": created + timedelta(seconds=60),
        "details": {},
        "created_at": created,
        "updated_at": created,
    }


async def _fill(database: Any, start: int, stop: int, newest: datetime) -> None:
    """Tasks, memories, metric samples and threats `start..stop-1` (newest first), and one
    event per task, numbered as the log numbers events (`take`, then insert); a number the
    server voided meanwhile is left void."""
    tasks, events = database["tasks"], database["events"]
    for first in range(start, stop, BATCH):
        last = min(stop, first + BATCH)
        await tasks.insert_many([_task(i, newest) for i in range(first, last)])
        for name, make in (("memories", _memory), ("metric_samples", _sample)):
            await database[name].insert_many([make(i, newest) for i in range(first, last)])
        await database["threats"].insert_many([_threat(i, newest) for i in range(first, last)])
        seq = await event_log.take(last - first)
        batch = [
            _event(seq + k, newest - i * SPACING, task_id(i))
            for k, i in enumerate(range(first, last))
        ]
        try:
            await events.insert_many(batch, ordered=False)
        except BulkWriteError as exc:
            if any(e.get("code") != 11000 for e in exc.details.get("writeErrors", [])):
                raise
    await event_log.mark_settled(await event_log.take(0) - 1)
    await rebuild_kept()


Read = Callable[[], Awaitable[None]]


async def _p50(read: Read, reference: Read) -> tuple[float, float]:
    """p50 of `read`, and of `reference` timed just before each sample (same moment's load)."""
    for _ in range(2):
        await read()
    times, references = [], []
    for _ in range(SAMPLES):
        began = time.perf_counter()
        await reference()
        references.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        await read()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), statistics.median(references)


def _reads(
    http: httpx.AsyncClient, base: str, newest: datetime, settings: Settings, token: str
) -> dict[str, Read]:
    auth = {"Authorization": f"Bearer {token}"}
    deep = encode_cursor(newest - DEEP * SPACING, task_id(DEEP))

    def gql(query: str, variables: dict[str, Any] | None = None) -> Read:
        async def read() -> None:
            reply = await http.post(
                f"{base}/graphql", json={"query": query, "variables": variables or {}}, headers=auth
            )
            body = reply.json()
            assert reply.status_code == 200 and not body.get("errors"), body

        return read

    def rest(path: str) -> Read:
        async def read() -> None:
            reply = await http.get(f"{base}{path}", headers=auth)
            assert reply.status_code == 200, reply.text

        return read

    async def claim() -> None:  # a claim that finds nothing for its capability
        agent = models.Agent(id="agent_bench", name="bench", capabilities=["nothing-queued"])
        await queue.claim(settings, agent, ["nothing-queued"], queue.ClaimsInFlight())

    async def reap() -> None:
        await queue.reap_expired(settings)

    async def schedules() -> None:
        await scheduler.fire_schedules(datetime.now(UTC))

    async def resume_recent() -> None:
        await realtime.check_resumable(await event_log.last_seq() - 10)

    async def progress() -> None:
        await queue.report_progress(settings, RUNNING, WORKER, 50)

    async def recall() -> None:
        await memory_ops.recall(f"mem_{_spread(11)}", settings.memory_drift_alert_level)

    async def lease() -> None:
        await scheduler.acquire_lease("bench", 30.0, "growth-bench")

    async def event_triggers() -> None:  # the automation's event never happens: the search
        now = datetime.now(UTC)
        await scheduler.fire_event_triggers(now - timedelta(seconds=5), now)

    return {
        REFERENCE: gql(f'{{ task(id: "{task_id(7)}") {{ id name }} }}'),
        "GraphQL tasks(limit: 20) with agents": gql(
            "{ tasks(filter: {limit: 20}) { id name status agent { id name } } }"
        ),
        "GraphQL tasks(status: QUEUED, limit: 20)": gql(
            "{ tasks(filter: {status: QUEUED, limit: 20}) { id name status } }"
        ),
        "GraphQL tasks(type, limit: 20)": gql(
            '{ tasks(filter: {type: "training", limit: 20}) { id name } }'
        ),
        "GraphQL tasksConnection(first: 20) with totalCount": gql(
            "{ tasksConnection(first: 20) { totalCount edges { cursor node { id name } } } }"
        ),
        "GraphQL tasksConnection after a cursor 500 deep": gql(
            "query($a: String) { tasksConnection(first: 20, after: $a) { edges { cursor } } }",
            {"a": deep},
        ),
        "GraphQL tasksConnection oldest updatedAt first": gql(
            "{ tasksConnection(first: 20, sort: {field: UPDATED_AT, direction: ASC}) "
            "{ totalCount edges { cursor } } }"
        ),
        "GraphQL tasksConnection by PRIORITY, highest first": gql(
            "{ tasksConnection(first: 20, sort: {field: PRIORITY, direction: DESC}) "
            "{ edges { cursor node { id } } } }"
        ),
        "GraphQL tasksConnection by NAME": gql(
            "{ tasksConnection(first: 20, sort: {field: NAME, direction: ASC}) "
            "{ edges { cursor node { id } } } }"
        ),
        "GraphQL tasksConnection by PROGRESS, highest first": gql(
            "{ tasksConnection(first: 20, sort: {field: PROGRESS, direction: DESC}) "
            "{ edges { cursor node { id } } } }"
        ),
        "GraphQL memoriesConnection by IMPORTANCE, highest first": gql(
            "{ memoriesConnection(first: 20, sort: {field: IMPORTANCE, direction: DESC}) "
            "{ edges { cursor node { id } } } }"
        ),
        "GraphQL taskStatistics": gql(
            "{ taskStatistics { total completed failed queued averageDurationSeconds } }"
        ),
        "GraphQL agentStatistics": gql(
            "{ agentStatistics { total online tasksCompleted averageTaskDurationSeconds } }"
        ),
        "GraphQL tasks(priority: HIGH, limit: 20)": gql(
            "{ tasks(filter: {priority: HIGH, limit: 20}) { id } }"
        ),
        "GraphQL tasksConnection(parentId, NAME) (one automation's 5 runs)": gql(
            '{ tasksConnection(first: 20, filter: {parentId: "task_growth_parent"}, '
            "sort: {field: NAME, direction: ASC}) { edges { cursor } } }"
        ),
        "GraphQL tasksConnection(agentId, NAME) (one agent's: 1 task in 21)": gql(
            '{ tasksConnection(first: 20, filter: {agentId: "agent_g007"}, '
            "sort: {field: NAME, direction: ASC}) { edges { cursor } } }"
        ),
        "GraphQL tasksConnection(agentId, PRIORITY) (one agent's)": gql(
            '{ tasksConnection(first: 20, filter: {agentId: "agent_g007"}, '
            "sort: {field: PRIORITY, direction: DESC}) { edges { cursor } } }"
        ),
        "GraphQL tasksConnection(agentId, PROGRESS) (one agent's)": gql(
            '{ tasksConnection(first: 20, filter: {agentId: "agent_g007"}, '
            "sort: {field: PROGRESS, direction: DESC}) { edges { cursor } } }"
        ),
        "GraphQL tasksConnection(agentId, UPDATED_AT) (one agent's, oldest first)": gql(
            '{ tasksConnection(first: 20, filter: {agentId: "agent_g007"}, '
            "sort: {field: UPDATED_AT, direction: ASC}) { edges { cursor } } }"
        ),
        "GraphQL tasks(agentId, limit: 20) (one agent's)": gql(
            '{ tasks(filter: {agentId: "agent_g007", limit: 20}) { id } }'
        ),
        "GraphQL tasks(agentId, status: RUNNING) (the one task a worker runs)": gql(
            f'{{ tasks(filter: {{agentId: "{WORKER}", status: RUNNING, limit: 20}}) {{ id }} }}'
        ),
        "GraphQL tasks(systemId, limit: 20) (one system's: 1 task in 7)": gql(
            '{ tasks(filter: {systemId: "sys_g3", limit: 20}) { id } }'
        ),
        "GraphQL tasksConnection(systemId, NAME) (one system's)": gql(
            '{ tasksConnection(first: 20, filter: {systemId: "sys_g3"}, '
            "sort: {field: NAME, direction: ASC}) { edges { cursor } } }"
        ),
        "GraphQL tasksConnection(systemId, PRIORITY) (one system's)": gql(
            '{ tasksConnection(first: 20, filter: {systemId: "sys_g3"}, '
            "sort: {field: PRIORITY, direction: DESC}) { edges { cursor } } }"
        ),
        "GraphQL tasksConnection(parentId, PRIORITY) (one automation's 5 runs)": gql(
            '{ tasksConnection(first: 20, filter: {parentId: "task_growth_parent"}, '
            "sort: {field: PRIORITY, direction: DESC}) { edges { cursor } } }"
        ),
        'GraphQL tasks(tags: ["rare"], limit: 20)': gql(
            '{ tasks(filter: {tags: ["rare"], limit: 20}) { id } }'
        ),
        'GraphQL tasks(tags: ["rare", "urgent"], limit: 20)': gql(
            '{ tasks(filter: {tags: ["rare", "urgent"], limit: 20}) { id } }'
        ),
        'GraphQL tasks(search: "task 1", limit: 20)': gql(
            '{ tasks(filter: {search: "task 1", limit: 20}) { id } }'
        ),
        'GraphQL tasks(search: "running", limit: 20) (one match)': gql(
            '{ tasks(filter: {search: "running", limit: 20}) { id } }'
        ),
        'GraphQL tasks(search: "running", status: COMPLETED) (rare search)': gql(
            '{ tasks(filter: {search: "running", status: COMPLETED, limit: 20}) { id } }'
        ),
        'GraphQL tasksConnection(search: "running", NAME) (rare search, value order)': gql(
            '{ tasksConnection(first: 20, filter: {search: "running"}, '
            "sort: {field: NAME, direction: ASC}) { edges { cursor } } }"
        ),
        'GraphQL tasksConnection(search: "running", PRIORITY) (rare search, levels)': gql(
            '{ tasksConnection(first: 20, filter: {search: "running"}, '
            "sort: {field: PRIORITY, direction: DESC}) { edges { cursor } } }"
        ),
        'GraphQL tasks(search: "growth", status: QUEUED) (rare status)': gql(
            '{ tasks(filter: {search: "growth", status: QUEUED, limit: 20}) { id } }'
        ),
        "GraphQL memories(limit: 20)": gql("{ memories(filter: {limit: 20}) { id title } }"),
        'GraphQL memories(text: "memory 7 rem") (one memory holds the word)': gql(
            '{ memories(filter: {text: "memory 7 rem", limit: 20}) { id } }'
        ),
        'GraphQL memories(text: " growth memory ") (every memory holds it)': gql(
            '{ memories(filter: {text: " growth memory ", limit: 20}) { id } }'
        ),
        'GraphQL searchMemories("7") (one memory holds the term)': gql(
            '{ searchMemories(input: {query: "7", limit: 10}) { totalMatches } }'
        ),
        'GraphQL searchMemories("growth") (every memory: the newest 1,000)': gql(
            '{ searchMemories(input: {query: "growth", limit: 10}) { totalMatches } }'
        ),
        "GraphQL memoryUsage": gql("{ memoryUsage { usedMemory fragmentation pools { used } } }"),
        "GraphQL consciousness": gql(
            "{ consciousness { memoryUsage { shortTerm totalCount } learningProgress "
            "{ totalPatterns newPatternsToday adaptationRate } decisionMetrics "
            "{ totalDecisions confidenceAverage } } }"
        ),
        'GraphQL metrics(CPU_USAGE, period: "1h")': gql(
            '{ metrics(type: CPU_USAGE, period: "1h") { value } }'
        ),
        'GraphQL metrics(CPU_USAGE, "1h", interval: "1m")': gql(
            '{ metrics(type: CPU_USAGE, period: "1h", interval: "1m") { value } }'
        ),
        "GraphQL systems { metrics }": gql("{ systems { id metrics { cpuUsage } } }"),
        "GraphQL threats(limit: 10) with summary": gql(
            "{ threats(limit: 10) { threats { id } summary { totalThreats resolvedThreats "
            "averageResolutionTime } } }"
        ),
        "GraphQL moduleHealth": gql("{ moduleHealth { name status details } }"),
        "REST GET /api/tasks?limit=20": rest("/api/tasks?limit=20"),
        "REST GET /api/tasks?limit=20&offset=500": rest("/api/tasks?limit=20&offset=500"),
        "REST GET /api/tasks?status=active&limit=20": rest("/api/tasks?status=active&limit=20"),
        "REST GET /api/health": rest("/api/health"),
        "GraphQL immuneStatus": gql("{ immuneStatus { healthScore threatsDetected } }"),
        "GraphQL runImmuneScan": gql("mutation { runImmuneScan { scanId status } }"),
        "queue claim": claim,
        "reaper pass": reap,
        "scheduler pass": schedules,
        "event-log resume check": resume_recent,
        "task progress report (`queue.report_progress`)": progress,
        "memory recall (`memory_ops.recall`)": recall,
        "scheduler lease (`scheduler.acquire_lease`)": lease,
        "event-automation pass (`scheduler.fire_event_triggers`)": event_triggers,
    }


async def _main() -> dict[str, dict[int, float]]:
    figures: dict[str, dict[int, float]] = {}
    newest = datetime.now(UTC) - timedelta(seconds=5)
    with tempfile.TemporaryDirectory() as home:
        stack = Stack(Path(home), DATABASE)
        client: AsyncMongoClient[Any] = AsyncMongoClient(stack.mongo_url, tz_aware=True)
        try:
            await stack.ready()
            database = client[DATABASE]
            await init_beanie(database=database, document_models=models.ALL_DOCUMENTS)
            await database["agents"].insert_many(
                [
                    {
                        "_id": f"agent_g{i:03d}",
                        "name": f"growth agent {i}",
                        "type": "worker",
                        "status": "idle",
                        "capabilities": ["growth"],
                        "created_at": newest - timedelta(days=40),
                        "updated_at": newest,
                    }
                    for i in range(AGENTS)
                ]
            )
            running = _task(0, newest) | {
                "_id": RUNNING,
                "name": "growth running task",
                "status": "running",
                "priority": "medium",
                "priority_rank": 1,
                "tags": [],
                "agent_id": WORKER,
                "result": None,
                "completed_at": None,
                "lease_expires_at": newest + timedelta(days=1),
                "created_at": newest - SPACING / 2,
                "updated_at": newest,
            }
            await database["tasks"].insert_one(running)
            await database["tasks"].insert_one(
                _task(0, newest)
                | {
                    "_id": "task_gautomation",
                    "name": "growth automation",
                    "status": "created",
                    "is_automation": True,
                    "triggers": [{"type": "event", "value": "GROWTH_NEVER_HAPPENS"}],
                    "tags": [],
                    "agent_id": None,
                    "result": None,
                }
            )
            await database["agents"].insert_one(
                {
                    "_id": WORKER,
                    "name": "growth worker",
                    "type": "worker",
                    "status": "busy",
                    "capabilities": ["growth"],
                    "last_heartbeat": newest + timedelta(days=1),
                    "created_at": newest - timedelta(days=40),
                    "updated_at": newest,
                }
            )
            async with httpx.AsyncClient(timeout=120) as http:
                settings = Settings(
                    mongodb_url=stack.mongo_url,
                    database=DATABASE,
                    jwt_secret=SECRET,
                    env="test",
                    task_lease_seconds=86_400,  # the progress read's renewals outlive the stages
                )
                reads = _reads(http, stack.base, newest, settings, await _token(settings))
                if ONLY:
                    reads = {
                        name: read
                        for name, read in reads.items()
                        if name == REFERENCE or any(part in name for part in ONLY)
                    }
                filled = 0
                quiet: float | None = None
                for size in SIZES:
                    began = time.perf_counter()
                    await _fill(database, filled, size, newest)
                    filled = size
                    await settle(http, stack.base)
                    if quiet is None:  # after the smallest fill: what a calm reference read costs
                        quiet = statistics.median([await timed(reads[REFERENCE]) for _ in range(9)])
                    await calm(reads[REFERENCE], quiet)
                    # the worker renews its lease, as a live agent does (the fill takes longer
                    # than the immune scan's five minutes without progress: "stuck")
                    await queue.report_progress(settings, RUNNING, WORKER, 50)
                    load = os.getloadavg()[0]
                    print(
                        f"-- {size:,} tasks (inserted in {time.perf_counter() - began:.0f} s; "
                        f"load average {load:.1f})"
                    )
                    for name, read in reads.items():
                        p50, ref = await _p50(read, reads[REFERENCE])
                        figures.setdefault(name, {})[size] = p50
                        figures.setdefault(f"{name} (÷ reference)", {})[size] = p50 / ref
                        print(f"   {name:55s} p50 {p50:8.1f} ms  reference {ref:6.1f} ms")
        finally:
            await client.close()
            stack.stop()
    return figures


def _report(figures: dict[str, dict[int, float]]) -> None:
    first, last = SIZES[0], SIZES[-1]
    header = "".join(f"{size:>10,}" for size in SIZES)
    print(f"\n{'read (p50 ms)':55s}{header}  ratio  ÷ref ratio")
    entries = {}
    for name, by_size in figures.items():
        if name.endswith("(÷ reference)"):
            continue
        relative = figures[f"{name} (÷ reference)"]
        ratio = by_size[last] / by_size[first] if by_size[first] else float("nan")
        steady = relative[last] / relative[first] if relative[first] else float("nan")
        cells = "".join(f"{by_size[size]:>10.1f}" for size in SIZES)
        print(f"{name:55s}{cells}  {ratio:5.2f}  {steady:5.2f}")
        entries[f"growth: {name}"] = {
            **figure(by_size[last], f"ms p50 at {last:,} documents", by_size[first]),
            "ratio_vs_reference": round(steady, 3),
            **{f"at_{size}": round(by_size[size], 2) for size in SIZES},
        }
    save(entries)


@benchmark("growth")
def run() -> None:
    """p50 of each read at 1,000, 10,000 and 100,000 documents."""
    _report(asyncio.run(_main()))
