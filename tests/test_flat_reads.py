"""Lists, pages, totals and statistics read about as many documents at 3,000 tasks as at 300.

SecantusDB reads every document a filter matches before it sorts and limits, so what a read
costs is the number of documents its filters match. Each request here runs against the test
server with its database commands recorded; every filter they sent is counted again
afterwards (`count_documents`), and the sum may not grow with the collection. No timing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from axonql import models
from axonql.models.base import utcnow
from axonql.models.event import event_id
from axonql.models.system import SERVER_SYSTEM_ID, SYSTEM_METRICS, MetricName
from axonql.models.task import PRIORITY_RANK, TaskPriority, TaskStatus
from axonql.services import (
    immune,
    latest_metrics,
    memories,
    memory_ops,
    tallies,
)
from axonql.services.events import rebuild_kept
from axonql.settings import Settings
from axonql.subscriptions import log as event_log
from axonql.subscriptions.filters import EventFilter
from tests.agents_support import COMPLETE, FAIL, claim, queued_task, register
from tests.support import GraphQLClient, RequestCommands

SMALL, LARGE = 300, 3_000
PRIORITIES = list(TaskPriority)
QUEUED_AT = (7, 150, 290)  # the same few queued tasks at both sizes (also HIGH, tagged "rare")
MEASURED = ["sys_measured_a", "sys_measured_b"]  # systems with stored CPU/memory/disk samples
READ_COLLECTIONS = {
    "tasks",
    "task_names",
    "agents",
    "events",
    "tallies",
    "memories",
    "memory_terms",
    "metric_samples",
    "threats",
    "immune_scans",
    "simulations",
}
COLLECTIONS = (
    models.Task,
    models.TaskName,
    models.Agent,
    models.Tally,
    models.Memory,
    models.MemoryTerms,
    models.MetricSample,
    models.Threat,
    models.ImmuneScan,
)


async def seed(n: int) -> None:
    """n tasks one minute apart (newest now), nearly all completed; a few agents; n memories,
    n CPU samples of the server (ten seconds apart) and n/2 CPU, memory and disk samples of
    each of two other systems (twenty seconds apart), and n resolved threats, as long history."""
    now = utcnow()
    tasks = [
        models.Task(
            name=f"task {i}",
            type="process" if i % 2 else "training",
            status=TaskStatus.QUEUED if i in QUEUED_AT else TaskStatus.COMPLETED,
            progress=0 if i in QUEUED_AT else 100,
            priority=TaskPriority.HIGH if i in QUEUED_AT else TaskPriority.MEDIUM,
            tags=["rare", "urgent"] if i in QUEUED_AT else ["common"],
            parent_id="task_parent" if i in QUEUED_AT else None,  # one automation's runs
            result={"confidence": 0.5},
            created_at=now - timedelta(minutes=i),
            updated_at=now - timedelta(minutes=i),
        )
        for i in range(n)
    ]
    memories = [
        models.Memory(
            content=f"memory {i} kept",
            type="semantic" if i % 3 else "episodic",
            pool="long_term" if i % 2 else "short_term",
            drift_score=0.9 if i in QUEUED_AT else 0.0,
            created_at=now - timedelta(minutes=i),
        )
        for i in range(n)
    ]
    samples = [
        models.MetricSample(
            system_id=SERVER_SYSTEM_ID,
            metric=MetricName.CPU_USAGE,
            value=float(i % 100),
            timestamp=now - timedelta(seconds=10 * i),
        )
        for i in range(n)
    ] + [
        models.MetricSample(
            system_id=system_id,
            metric=metric,
            value=float(i % 100),
            timestamp=now - timedelta(seconds=20 * i),
        )
        for i in range(n // 2)
        for system_id in MEASURED
        for metric in SYSTEM_METRICS
    ]
    threats = [
        models.Threat(
            type="errors",
            check="expired_lease",
            severity="high",
            description="old",
            location="task:x",
            subject_id=f"task_{i}",
            status="resolved",
            resolution_time=60.0,
            scan_id="scan_old",
            last_seen=now - timedelta(minutes=i),
            created_at=now - timedelta(minutes=i),
        )
        for i in range(n)
    ]
    for batch in (tasks, memories, samples, threats):
        for start in range(0, len(batch), 1000):
            await type(batch[0]).insert_many(batch[start : start + 1000])
    for system_id in MEASURED:
        if await models.System.get(system_id) is None:
            await models.System(id=system_id, name=system_id).insert()
    await latest_metrics.fill(MEASURED)  # the samples were inserted directly, as above
    await models.Agent.insert_many([models.Agent(name=f"agent {i}") for i in range(n // 100)])
    await rebuild_kept()  # inserted directly, as a bulk import would


async def matched(commands: list[dict[str, Any]]) -> int:
    """How many documents the filters of these commands match (what SecantusDB reads)."""
    database = models.Task.get_pymongo_collection().database
    total = 0
    for command in commands:
        name = next(iter(command))
        collection = command[name]
        if not isinstance(collection, str) or collection not in READ_COLLECTIONS:
            continue
        if name == "find":
            where = command.get("filter") or {}
        elif name in ("count", "findAndModify", "distinct"):
            where = command.get("query") or {}
        elif name == "aggregate":
            first = (command.get("pipeline") or [{}])[0]
            where = first.get("$match", {}) if "$match" in first else {}
        else:
            continue
        total += await database[collection].count_documents(where)
    return total


READS = {
    "tasks page": ("gql", "{ tasks(filter: {limit: 20}) { id name status } }"),
    "tasks by status": ("gql", "{ tasks(filter: {status: QUEUED, limit: 20}) { id } }"),
    "tasks by type": ("gql", '{ tasks(filter: {type: "process", limit: 20}) { id } }'),
    "connection with total": (
        "gql",
        "{ tasksConnection(first: 20) { totalCount edges { cursor node { id } } } }",
    ),
    "connection after a deep cursor": (
        "gql",
        "query($after: String) { tasksConnection(first: 20, after: $after) { edges { cursor } } }",
    ),
    "connection oldest updated first": (
        "gql",
        "{ tasksConnection(first: 20, sort: {field: UPDATED_AT, direction: ASC}) "
        "{ totalCount edges { cursor } } }",
    ),
    "task statistics": ("gql", "{ taskStatistics { total completed queued } }"),
    "agent statistics": (
        "gql",
        "{ agentStatistics { total online tasksCompleted averageTaskDurationSeconds } }",
    ),
    "REST list": ("rest", "/api/tasks?limit=20"),
    "REST list at an offset": ("rest", "/api/tasks?limit=20&offset=200"),
    "REST active tasks": ("rest", "/api/tasks?status=active&limit=20"),
    "tasks by priority": ("gql", "{ tasks(filter: {priority: HIGH, limit: 20}) { id } }"),
    "connection by priority": (
        "gql",
        "{ tasksConnection(first: 20, sort: {field: PRIORITY, direction: DESC}) "
        "{ edges { cursor } } }",
    ),
    "connection by priority after a cursor": (
        "gql",
        "query($after: String) { tasksConnection(first: 20, after: $after, "
        "sort: {field: PRIORITY, direction: ASC}) { edges { cursor } } }",
    ),
    "connection by name": (
        "gql",
        "{ tasksConnection(first: 20, sort: {field: NAME, direction: ASC}) { edges { cursor } } }",
    ),
    "connection by name after a cursor": (
        "gql",
        "query($after: String) { tasksConnection(first: 20, after: $after, "
        "sort: {field: NAME, direction: ASC}) { edges { cursor } } }",
    ),
    "connection by progress, highest first": (
        "gql",
        "{ tasksConnection(first: 20, sort: {field: PROGRESS, direction: DESC}) "
        "{ edges { cursor } } }",
    ),
    "connection by progress, by status": (
        "gql",
        "{ tasksConnection(first: 20, filter: {status: COMPLETED}, "
        "sort: {field: PROGRESS, direction: ASC}) { edges { cursor } } }",
    ),
    "connection by name, one parent's runs": (
        "gql",
        '{ tasksConnection(first: 20, filter: {parentId: "task_parent"}, '
        "sort: {field: NAME, direction: ASC}) { edges { cursor } } }",
    ),
    "connection by progress, a tag most tasks hold": (
        "gql",
        '{ tasksConnection(first: 20, filter: {tags: ["common"]}, '
        "sort: {field: PROGRESS, direction: DESC}) { edges { cursor } } }",
    ),
    "memories by importance": (
        "gql",
        "{ memoriesConnection(first: 20, sort: {field: IMPORTANCE, direction: DESC}) "
        "{ edges { cursor } } }",
    ),
    "memories by drift, highest first": (
        "gql",
        "{ memoriesConnection(first: 20, sort: {field: DRIFT_SCORE, direction: DESC}) "
        "{ edges { cursor } } }",
    ),
    "tasks by tag": ("gql", '{ tasks(filter: {tags: ["rare"], limit: 20}) { id } }'),
    "tasks by two tags": (
        "gql",
        '{ tasks(filter: {tags: ["rare", "urgent"], limit: 20}) { id } }',
    ),
    "tasks by search": ("gql", '{ tasks(filter: {search: "task 1", limit: 20}) { id } }'),
    "tasks by a rare search": ("gql", '{ tasks(filter: {search: "task 150", limit: 20}) { id } }'),
    "tasks by a rare search and a common status": (
        "gql",
        '{ tasks(filter: {search: "task 150", status: COMPLETED, limit: 20}) { id } }',
    ),
    "tasks by a common search and a rare status": (
        "gql",
        '{ tasks(filter: {search: "task", status: QUEUED, limit: 20}) { id } }',
    ),
    "connection by a rare search, by name": (
        "gql",
        '{ tasksConnection(first: 20, filter: {search: "task 150"}, '
        "sort: {field: NAME, direction: DESC}) { edges { cursor } } }",
    ),
    "connection by a rare search, by progress": (
        "gql",
        '{ tasksConnection(first: 20, filter: {search: "task 150"}, '
        "sort: {field: PROGRESS, direction: ASC}) { edges { cursor } } }",
    ),
    "connection by a rare search, by priority": (
        "gql",
        '{ tasksConnection(first: 20, filter: {search: "task 150"}, '
        "sort: {field: PRIORITY, direction: DESC}) { edges { cursor } } }",
    ),
    "connection by a rare search, oldest updated first": (
        "gql",
        '{ tasksConnection(first: 20, filter: {search: "task 150"}, '
        "sort: {field: UPDATED_AT, direction: ASC}) { edges { cursor } } }",
    ),
    "memories by a rare term": (
        "gql",
        '{ searchMemories(input: {query: "150", limit: 10}) { totalMatches } }',
    ),
    "memories page": ("gql", "{ memories(filter: {limit: 20}) { id } }"),
    "memories by a rare text": (
        "gql",
        '{ memories(filter: {text: "y 150 k", limit: 20}) { id } }',
    ),
    "memory usage": ("gql", "{ memoryUsage { usedMemory fragmentation pools { pool used } } }"),
    "metrics, raw": ("gql", '{ metrics(type: CPU_USAGE, period: "1h") { value } }'),
    "metrics, per minute": (
        "gql",
        '{ metrics(type: CPU_USAGE, period: "1h", interval: "1m") { value } }',
    ),
    "immune status": ("gql", "{ immuneStatus { healthScore threatsDetected lastScan } }"),
    "threat history": (
        "gql",
        "{ threats(limit: 10) { threats { id } summary { totalThreats averageResolutionTime } } }",
    ),
    "module health": ("gql", "{ moduleHealth { name details } }"),
    "health": ("gql", "{ health { status } }"),
    "systems with metrics": (
        "gql",
        "{ systems { id metrics { cpuUsage memoryUsage diskUsage } } }",
    ),
}


async def costs(
    gql: GraphQLClient, http: httpx.AsyncClient, commands: RequestCommands, token: str
) -> dict[str, int]:
    deep = await gql(
        "{ tasksConnection(first: 100) { edges { cursor } } }", token=token
    )  # a cursor 100 tasks deep, fetched before measuring
    cursor = deep["data"]["tasksConnection"]["edges"][-1]["cursor"]
    by_priority = await gql(
        "{ tasksConnection(first: 100, sort: {field: PRIORITY, direction: ASC}) "
        "{ edges { cursor } } }",
        token=token,
    )
    priority_cursor = by_priority["data"]["tasksConnection"]["edges"][-1]["cursor"]
    by_name = await gql(
        "{ tasksConnection(first: 100, sort: {field: NAME, direction: ASC}) { edges { cursor } } }",
        token=token,
    )
    name_cursor = by_name["data"]["tasksConnection"]["edges"][-1]["cursor"]
    for name, (_, read) in READS.items():  # orders by value sample their field's values first
        if " by " in name and "PRIORITY" not in read and "UPDATED_AT" not in read:
            assert not (await gql(read, token=token)).get("errors")
    found: dict[str, int] = {}
    for name, (kind, read) in READS.items():
        after = cursor
        if "PRIORITY" in read:
            after = priority_cursor
        elif "NAME" in read:
            after = name_cursor
        with commands.kept():
            if kind == "gql":
                body = await gql(read, {"after": after} if "$after" in read else None, token)
                assert not body.get("errors"), body
            else:
                response = await http.get(read, headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200, response.text
        found[name] = await matched(commands.commands)
    return found


async def test_reads_do_not_grow_with_the_collection(
    gql: GraphQLClient,
    http: httpx.AsyncClient,
    request_commands: RequestCommands,
    admin_token: str,
) -> None:
    measured: dict[int, dict[str, int]] = {}
    for n in (SMALL, LARGE):
        for model in COLLECTIONS:
            await model.get_pymongo_collection().delete_many({})
        await seed(n)
        measured[n] = await costs(gql, http, request_commands, admin_token)
    grown = {
        name: (measured[SMALL][name], measured[LARGE][name])
        for name in READS
        if measured[LARGE][name] > 2 * measured[SMALL][name] + 40
    }
    assert not grown, f"documents matched at {SMALL} vs {LARGE} tasks: {grown}"
    # and the totals stayed exact
    body = await gql("{ taskStatistics { total queued } }", token=admin_token)
    assert body["data"]["taskStatistics"] == {"total": LARGE, "queued": len(QUEUED_AT)}


async def test_windowed_pages_visit_every_task_once_in_order(
    gql: GraphQLClient, admin_token: str
) -> None:
    """Windows and range cursors change how pages are read, not what they hold: ties on the
    sort key, both directions, a split `statuses` filter and documents the tallies miss."""
    now = utcnow()
    tasks = [
        models.Task(
            name=f"t{i}",
            status=TaskStatus.QUEUED if i % 3 else TaskStatus.FAILED,
            priority=PRIORITIES[i % 7 % 4],
            created_at=now - timedelta(hours=(i // 4) ** 2),  # groups of four share an instant
            updated_at=now - timedelta(hours=(i // 4) ** 2),
        )
        for i in range(90)
    ]
    await models.Task.insert_many(tasks)
    await tallies.rebuild()
    await models.Task(
        name="older than the tallies know", created_at=now - timedelta(days=900)
    ).insert()
    query = """query($after: String, $sort: TaskSort, $filter: TaskFilter) {
      tasksConnection(first: 7, after: $after, sort: $sort, filter: $filter) {
        edges { cursor node { id createdAt } } pageInfo { hasNextPage } } }"""
    stored = await models.Task.find({"is_automation": False}).to_list()
    orders = [
        (field, direction) for field in ("CREATED_AT", "PRIORITY") for direction in ("DESC", "ASC")
    ]
    for field, direction in orders:
        for statuses in (None, ["QUEUED", "FAILED"]):
            seen: list[str] = []
            after = None
            while True:
                variables: dict[str, Any] = {
                    "after": after,
                    "sort": {"field": field, "direction": direction},
                    "filter": {"statuses": statuses} if statuses else None,
                }
                page = (await gql(query, variables, admin_token))["data"]["tasksConnection"]
                seen += [edge["node"]["id"] for edge in page["edges"]]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["edges"][-1]["cursor"]
            wanted = [t for t in stored if not statuses or t.status.value.upper() in statuses]
            levels = field == "PRIORITY"
            expected = sorted(
                wanted,
                key=lambda t: (PRIORITY_RANK[t.priority] if levels else 0, t.created_at, t.id),
                reverse=direction == "DESC",
            )
            assert seen == [t.id for t in expected], (field, direction, statuses)
    # a cursor of another order is refused, not misread
    by_time = await gql(query, {"sort": {"field": "CREATED_AT", "direction": "DESC"}}, admin_token)
    time_cursor = by_time["data"]["tasksConnection"]["edges"][0]["cursor"]
    mixed = await gql(
        query,
        {"after": time_cursor, "sort": {"field": "PRIORITY", "direction": "DESC"}},
        admin_token,
    )
    assert mixed["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR"
    # a filter on one priority, by priority: only that level
    only_high = await gql(
        query,
        {"sort": {"field": "PRIORITY", "direction": "DESC"}, "filter": {"priority": "HIGH"}},
        admin_token,
    )
    edges = only_high["data"]["tasksConnection"]["edges"]
    high = sorted(
        (t for t in stored if t.priority is TaskPriority.HIGH),
        key=lambda t: (t.created_at, t.id),
        reverse=True,
    )
    assert [edge["node"]["id"] for edge in edges] == [t.id for t in high[:7]]


async def _counted() -> dict[str, tuple[dict[str, int], dict[str, float]]]:
    """Every kind's tallies, without empty cells."""
    found = {}
    kinds = (tallies.TASKS, tallies.AGENTS, tallies.AGENT_RUNS, tallies.MEMORIES, tallies.THREATS)
    today = tallies.memory_day_kind(utcnow().date())
    for kind in (*kinds, tallies.SYSTEMS, tallies.QUEUE, today):
        totals = await tallies.read(kind)
        counts = {cell: n for cell, n in totals.counts.items() if n}
        sums = {cell: round(x, 6) for cell, x in totals.sums.items() if round(x, 6)}
        found[kind] = (counts, sums)
    return found


async def _backlog(n: int) -> tuple[str, str]:
    """n MEDIUM tasks queued, one second apart, behind n finished ones, and one HIGH one queued
    last, stored directly and then counted (as a bulk import is); the ids of the HIGH one and
    the oldest queued MEDIUM one."""
    for model in (models.Task, models.Tally):
        await model.get_pymongo_collection().delete_many({})
    now = utcnow()
    tasks = [
        models.Task(
            name=f"backlog {i}",
            type="process",
            status=TaskStatus.QUEUED if i >= n else TaskStatus.COMPLETED,
            priority=TaskPriority.MEDIUM,
            priority_rank=PRIORITY_RANK[TaskPriority.MEDIUM],
            required_capabilities=["backlog"],
            created_at=now - timedelta(seconds=2 * n - i),
        )
        for i in range(2 * n)
    ]
    urgent = models.Task(
        name="urgent",
        type="process",
        status=TaskStatus.QUEUED,
        priority=TaskPriority.HIGH,
        priority_rank=PRIORITY_RANK[TaskPriority.HIGH],
    )
    for start in range(0, len(tasks), 1000):
        await models.Task.insert_many(tasks[start : start + 1000])
    await urgent.insert()
    await tallies.rebuild()
    return urgent.id, tasks[n].id


SERVED = {"status", "priority_rank", "created_at"}
"""What a claim's task reads may hold: with another condition (the capabilities) SecantusDB
serves a time window from the `created_at` index alone and reads every task of that time."""


async def test_a_claim_reads_about_as_many_tasks_with_3000_queued_as_with_300(
    gql: GraphQLClient, request_commands: RequestCommands, admin_token: str
) -> None:
    """The queue's head is read from each priority's low in windows (not sorted whole), and
    claims still take the highest priority first, then the oldest."""
    _, key = await register(gql, admin_token, "backlog worker", ["backlog"], max_concurrent=5)
    read: dict[int, list[int]] = {}
    for n in (SMALL, LARGE):
        urgent, oldest = await _backlog(n)
        read[n] = []
        for expected in (urgent, oldest):
            with request_commands.kept():
                claimed = await claim(gql, key, caps=["backlog"])
            assert claimed is not None and claimed["id"] == expected, (n, claimed)
            read[n].append(await matched(request_commands.commands))
            task_reads = [
                c["filter"] for c in request_commands.commands if c.get("find") == "tasks"
            ]
            assert task_reads and all(set(f) <= SERVED for f in task_reads), task_reads
    for small, large in zip(read[SMALL], read[LARGE], strict=True):
        assert large <= 2 * small + 40, f"documents matched at {SMALL} vs {LARGE} queued: {read}"


async def test_tallies_kept_by_the_writes_equal_a_recount(
    gql: GraphQLClient, admin_token: str, settings: Settings
) -> None:
    """Memories stored, moved between pools and types, deleted and consolidated; learning
    tasks claimed, completed with a confidence and failed; threats found and healed: the
    counts the writes kept are what a recount of the documents finds."""
    made = [
        await memories.create_memory(
            settings, memories.MemoryDraft(content=f"m{i}", type="semantic", pool="short_term")
        )
        for i in range(4)
    ]
    await memories.update_memory(
        settings, made[0].id, memories.MemoryDraft(pool="long_term", type="procedural")
    )
    await memories.delete_memory(made[1].id)
    await models.Memory.find_one(models.Memory.id == made[2].id).update(
        {"$set": {"created_at": utcnow() - timedelta(days=2), "importance": 0.9}}
    )
    await memory_ops.consolidate(memory_ops.ConsolidationPlan(), {}, 0.3)  # promotes m2
    assert (await models.Memory.get(made[2].id)) is not None
    assert (await tallies.memory_counts()).get("long_term") == 2

    _, key = await register(gql, admin_token, "learner", ["learning"])
    for outcome in ("completed", "failed", "completed"):
        task_id = await queued_task(
            gql, admin_token, type="learning", requiredCapabilities=["learning"]
        )
        claimed = await claim(gql, key, caps=["learning"])
        assert claimed is not None and claimed["id"] == task_id
        if outcome == "completed":
            body = await gql(COMPLETE, {"id": task_id, "r": {"confidence": 0.75}}, key)
        else:
            body = await gql(FAIL, {"id": task_id, "e": "no", "retry": False}, key)
        assert "errors" not in body, body

    # a queued task whose priority and type change: counted in its new cell, not its old one
    moved = await queued_task(gql, admin_token, type="process", priority="LOW")
    body = await gql(
        'mutation($id: ID!) { updateTask(id: $id, input: {priority: HIGH, type: "etl"}) { id } }',
        {"id": moved},
        admin_token,
    )
    assert "errors" not in body, body
    high = await gql(
        "{ taskStatistics(filter: {priority: HIGH}) { total queued } }", token=admin_token
    )
    assert high["data"]["taskStatistics"] == {"total": 1, "queued": 1}, high

    await models.Memory(content="drifted", drift_score=0.95).insert()  # found by the scan
    await immune.scan(settings, None, deep_scan=False, auto_heal=True)
    await immune.scan(settings, None, deep_scan=False, auto_heal=True)

    kept = await _counted()
    status = (
        await gql(
            "{ consciousness { learningProgress { adaptationRate } "
            "decisionMetrics { totalDecisions successfulDecisions "
            "confidenceAverage } } }",
            token=admin_token,
        )
    )["data"]["consciousness"]
    assert status["learningProgress"]["adaptationRate"] == round(2 / 3, 4)
    assert status["decisionMetrics"] == {
        "totalDecisions": 3,
        "successfulDecisions": 2,
        "confidenceAverage": 0.75,
    }
    await tallies.rebuild()
    recounted = await _counted()
    direct = tallies.memory_cell(None, "short_term", "episodic")  # the drifted one, inserted
    assert recounted[tallies.MEMORIES][0].pop(direct) == 1
    today = tallies.memory_day_kind(utcnow().date())  # and created today
    assert recounted[today][0].pop("o=|y=episodic") == 1
    # m2 and m3 were stored today; m2's `created_at` was then moved back behind the services'
    # back, which only a recount sees
    assert (kept[today][0].pop("o=|y=semantic"), recounted[today][0].pop("o=|y=semantic")) == (2, 1)
    assert kept == recounted


async def test_resume_check_steps_over_holes_in_the_numbers() -> None:
    """Voids expire long before the events around them, so the numbers still stored need
    not be contiguous: a resume point inside or behind such a hole is still resumable; one
    whose following events expired is not, and the oldest number left is named."""
    base = await event_log.take(1000) - 1  # numbers base+1..base+1000, ours alone
    now = utcnow()
    hole = range(300, 700)  # 400 voids, expired: a hole
    await models.Event.get_pymongo_collection().insert_many(
        [
            {
                "_id": event_id(base + n),
                "seq": base + n,
                "type": event_log.VOID if n in hole else "LOG_ENTRY",
                "payload": {},
                "created_at": now,
            }
            for n in range(1, 1001)
        ]
    )
    # stored first, so that no feed sees a gap there to settle, then gone
    await models.Event.find({"seq": {"$gte": base + hole[0], "$lte": base + hole[-1]}}).delete()
    await event_log.mark_settled(base + 1000)
    for after in (0, 5, 299, 350, 699, 800, 1000):
        assert await event_log.retained(base + after), after
    await models.Event.find(models.Event.seq < base + 750).delete()  # expired, oldest first
    for after in (5, 299, 350, 699):
        assert not await event_log.retained(base + after), after
        assert await event_log.oldest_after(base + after) == base + 750
    assert await event_log.retained(base + 749) and await event_log.retained(base + 800)


async def test_replay_reads_the_gap_in_ranges_of_numbers() -> None:
    """A resume replays every retained event after its point, in order, across holes and
    more numbers than one batch, each batch a bounded range (not `seq > after`)."""
    base = await event_log.take(1300) - 1
    now = utcnow()
    kept = [n for n in range(1, 1301) if not 400 <= n < 900 and n % 7]
    await models.Event.get_pymongo_collection().insert_many(
        [
            {
                "_id": event_id(base + n),
                "seq": base + n,
                "type": "LOG_ENTRY" if n % 2 else "TASK_PROGRESS",
                "payload": {},
                "created_at": now,
            }
            for n in kept
        ]
    )
    wanted = EventFilter.of(types=["LOG_ENTRY"])
    replayed = [e.seq async for e in event_log.replay(base + 3, wanted, upto=base + 1250)]
    assert replayed == [base + n for n in kept if 3 < n <= 1250 and n % 2]


async def test_a_long_raw_series_reads_about_the_samples_it_returns(
    gql: GraphQLClient, request_commands: RequestCommands, admin_token: str
) -> None:
    """Raw samples of a month: the newest 2,000, read in windows back from now, not every
    sample of the month."""
    await models.MetricSample.get_pymongo_collection().delete_many({})
    now = utcnow()
    await models.MetricSample.insert_many(
        [
            models.MetricSample(
                system_id=SERVER_SYSTEM_ID,
                metric=MetricName.CPU_USAGE,
                value=float(i),
                timestamp=now - timedelta(seconds=10 * i),
            )
            for i in range(6_000)
        ]
    )
    with request_commands.kept():
        body = await gql('{ metrics(type: CPU_USAGE, period: "30d") { value } }', token=admin_token)
    values = [point["value"] for point in body["data"]["metrics"]]
    assert values == [float(i) for i in reversed(range(2_000))]  # oldest first
    assert await matched(request_commands.commands) <= 3_000
