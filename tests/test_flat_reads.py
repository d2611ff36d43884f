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
from axonql.models.task import TaskStatus
from axonql.services import tallies
from tests.support import GraphQLClient, RequestCommands

SMALL, LARGE = 300, 3_000
QUEUED_AT = (7, 150, 290)  # the same few queued tasks at both sizes
READ_COLLECTIONS = {"tasks", "agents", "events", "tallies"}


async def seed(n: int) -> None:
    """n tasks one minute apart (newest now), nearly all completed; a few agents."""
    now = utcnow()
    tasks = [
        models.Task(
            name=f"task {i}",
            type="process" if i % 2 else "training",
            status=TaskStatus.QUEUED if i in QUEUED_AT else TaskStatus.COMPLETED,
            created_at=now - timedelta(minutes=i),
            updated_at=now - timedelta(minutes=i),
        )
        for i in range(n)
    ]
    for start in range(0, n, 1000):
        await models.Task.insert_many(tasks[start : start + 1000])
    await models.Agent.insert_many([models.Agent(name=f"agent {i}") for i in range(n // 100)])
    await tallies.rebuild()  # inserted directly, as a bulk import would


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
        elif name in ("count", "findAndModify"):
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
    "agent statistics": ("gql", "{ agentStatistics { total online } }"),
    "REST list": ("rest", "/api/tasks?limit=20"),
    "REST list at an offset": ("rest", "/api/tasks?limit=20&offset=200"),
    "REST active tasks": ("rest", "/api/tasks?status=active&limit=20"),
}


async def costs(
    gql: GraphQLClient, http: httpx.AsyncClient, commands: RequestCommands, token: str
) -> dict[str, int]:
    deep = await gql(
        "{ tasksConnection(first: 100) { edges { cursor } } }", token=token
    )  # a cursor 100 tasks deep, fetched before measuring
    cursor = deep["data"]["tasksConnection"]["edges"][-1]["cursor"]
    found: dict[str, int] = {}
    for name, (kind, read) in READS.items():
        commands.commands.clear()
        commands.keep = True
        try:
            if kind == "gql":
                body = await gql(read, {"after": cursor} if "$after" in read else None, token)
                assert not body.get("errors"), body
            else:
                response = await http.get(read, headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200, response.text
        finally:
            commands.keep = False
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
        for model in (models.Task, models.Agent, models.Tally):
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
    for direction in ("DESC", "ASC"):
        for statuses in (None, ["QUEUED", "FAILED"]):
            seen: list[str] = []
            after = None
            while True:
                variables: dict[str, Any] = {
                    "after": after,
                    "sort": {"field": "CREATED_AT", "direction": direction},
                    "filter": {"statuses": statuses} if statuses else None,
                }
                page = (await gql(query, variables, admin_token))["data"]["tasksConnection"]
                seen += [edge["node"]["id"] for edge in page["edges"]]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["edges"][-1]["cursor"]
            wanted = [t for t in stored if not statuses or t.status.value.upper() in statuses]
            expected = sorted(
                wanted, key=lambda t: (t.created_at, t.id), reverse=direction == "DESC"
            )
            assert seen == [t.id for t in expected], (direction, statuses)
