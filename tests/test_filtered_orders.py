"""Pages of a filter the tallies do not count (an agent, a parent, a tag), in every order.

Such a filter beside an order other than `createdAt` used to be read from the order's own
index, checking the filter on each task: a page of one agent's tasks by name read about the
page ÷ the agent's share of the collection, and by priority a level the filter left empty read
every task. Here each query a page sends is `explain`ed: SecantusDB (and MongoDB) must serve
it from one index whose keys hold every field it asks.
"""

from __future__ import annotations

import operator
import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from beanie import Document

from axonql import models
from axonql.models.base import utcnow
from axonql.models.task import PRIORITY_RANK, TaskPriority, TaskStatus
from axonql.services import lookup, tallies, value_order
from tests.support import GraphQLClient, RequestCommands
from tests.test_value_order import CONNECTION, walk

AGENT = "agent_orders"


async def seed() -> list[models.Task]:
    """200 tasks, 36 of them the agent's: names, progress, priorities and update times spread,
    a few shared; no CRITICAL task (an empty level)."""
    rnd = random.Random(11)
    now = utcnow().replace(microsecond=0)
    priorities = [TaskPriority.LOW, TaskPriority.MEDIUM, TaskPriority.HIGH]
    tasks = [
        models.Task(
            name=rnd.choice(["alpha", "beta", f"task {rnd.randint(0, 999):03d}"]),
            progress=rnd.choice([0, 100, rnd.randint(1, 99)]),
            priority=(priority := rnd.choice(priorities)),
            priority_rank=PRIORITY_RANK[priority],
            status=TaskStatus.COMPLETED,
            agent_id=AGENT if i % 11 < 2 else f"agent_{i % 5}",
            created_at=now - timedelta(seconds=i // 2),
            updated_at=now - timedelta(seconds=rnd.randint(0, 500)),
        )
        for i in range(200)
    ]
    await models.Task.insert_many(tasks)
    await tallies.rebuild()
    return [t for t in tasks if t.agent_id == AGENT]


def expected(tasks: list[models.Task], field: str, descending: bool) -> list[str]:
    if field == "updated_at":
        ordered = sorted(tasks, key=lambda t: (t.updated_at, t.id), reverse=descending)
    else:
        ordered = sorted(tasks, key=lambda t: value_order.place(t, field), reverse=descending)
    return [t.id for t in ordered]


def fields_of(where: dict[str, Any]) -> set[str]:
    """The fields a query asks (through `$and`/`$or`)."""
    found: set[str] = set()
    for name, condition in where.items():
        if name in ("$and", "$or"):
            for part in condition:
                found |= fields_of(part)
        else:
            found.add(name)
    return found


SORTS = {
    "NAME": "name",
    "PROGRESS": "progress",
    "PRIORITY": "priority_rank",
    "UPDATED_AT": "updated_at",
}


async def assert_covered(where: dict[str, Any], model: type[Document] = models.Task) -> None:
    """`where` is served by one index whose keys hold every field it asks, or reads a batch
    of ids (`lookup.by_ids`: `_id` first) or the documents of one `created_at` (first): though
    its `explain` does not say so, SecantusDB serves those from their first field's index."""
    ids = where.get("_id")
    if next(iter(where)) == "_id" and isinstance(ids, dict) and "$in" in ids:
        assert len(ids["$in"]) <= lookup.ID_BATCH, where
        return
    if isinstance(where.get("created_at"), datetime) and next(iter(where)) == "created_at":
        return  # the ties at a cursor: the documents of one instant, from its first field
    collection = model.get_pymongo_collection()
    plan = (await collection.find(where).explain())["queryPlanner"]["winningPlan"]
    scan = plan.get("inputStage", plan)
    assert scan["stage"] == "IXSCAN", (where, plan)
    assert fields_of(where) <= set(scan["keyPattern"]), (where, scan["keyPattern"])


def asked_of_tasks(commands: RequestCommands) -> list[dict[str, Any]]:
    return [c["filter"] for c in commands.commands if c.get("find") == "tasks"]


async def mark_runs(mine: list[models.Task]) -> list[models.Task]:
    """Five of the agent's tasks become one automation's runs."""
    ids = [t.id for t in mine[:5]]
    await models.Task.find({"_id": {"$in": ids}}).update({"$set": {"parent_id": "task_parent"}})
    return await models.Task.find({"_id": {"$in": ids}}).to_list()


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("whose", ["agentId", "parentId"])
async def test_a_filters_tasks_in_any_order_are_read_from_indexes_holding_only_them(
    gql: GraphQLClient,
    admin_token: str,
    request_commands: RequestCommands,
    whose: str,
    sort: str,
    direction: str,
) -> None:
    """An agent's 36 tasks among 200 (its own indexes in every order), and an automation's
    five runs (read newest first from `(is_automation, parent_id, created_at)` and ordered
    here): no level, range or window of every task is read."""
    mine = await seed()
    if whose == "parentId":
        mine = await mark_runs(mine)
    where = {whose: AGENT if whose == "agentId" else "task_parent"}
    order = {"field": sort, "direction": direction}
    with request_commands.kept():
        seen = await walk(gql, admin_token, order, where)
    assert seen == expected(mine, SORTS[sort], direction == "DESC")
    asked = asked_of_tasks(request_commands)
    field = "agent_id" if whose == "agentId" else "parent_id"
    windows = [sent for sent in asked if "_id" not in sent]  # the few read by `_id` after
    assert windows and all(field in sent for sent in windows), asked
    for sent in asked:
        await assert_covered(sent)


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_levels_a_filter_leaves_empty_or_nearly_are_not_read_in_windows(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands, direction: str
) -> None:
    """A tag on 60 of 200 tasks, all MEDIUM but three HIGH ones without the tag: CRITICAL and
    LOW are not asked (the tallies count none), HIGH is read from its three tasks, MEDIUM in
    windows; the pages are the order of every tagged task."""
    await seed()
    await models.Task.find({}).update({"$set": {"priority": "medium", "priority_rank": 1}})
    tasks = await models.Task.find({}).sort("created_at").to_list()
    tagged, high = tasks[:60], tasks[60:63]
    await models.Task.find({"_id": {"$in": [t.id for t in tagged]}}).update(
        {"$set": {"tags": ["x"]}}
    )
    await models.Task.find({"_id": {"$in": [t.id for t in high]}}).update(
        {"$set": {"priority": "high", "priority_rank": 2}}
    )
    await tallies.rebuild()
    tagged = await models.Task.find({"tags": "x"}).to_list()
    order = {"field": "PRIORITY", "direction": direction}
    with request_commands.kept():
        seen = await walk(gql, admin_token, order, {"tags": ["x"]})
    assert seen == expected(tagged, "priority_rank", direction == "DESC")
    asked = asked_of_tasks(request_commands)
    assert not [w for w in asked if w.get("priority") in ("critical", "low")], asked
    highs = [where for where in asked if where.get("priority") == "high"]
    assert highs, asked
    for where in highs:
        await assert_covered(where)


@pytest.mark.parametrize(
    ("field", "values"),
    [("name", ["a", "b", "b", "b\x00", "bb", "c"]), ("progress", [0, 5, 5, 6, 100])],
)
async def test_the_bounds_of_a_range_find_exactly_its_values_behind_the_agents_equality(
    field: str, values: list[Any]
) -> None:
    """`value_order`'s bounds, asked of the agent's `(is_automation, agent_id, field, …)`
    index: SecantusDB's own `$lte` there misses the documents holding the bound (and `$gt`
    reads them), so a range is bounded by `$lt`/`$gte` the next value."""
    now = utcnow()
    await models.Task.insert_many(
        [
            models.Task(**({"name": "t", "agent_id": AGENT, "created_at": now} | {field: value}))
            for value in values
        ]
    )
    collection = models.Task.get_pymongo_collection()
    for value in set(values):
        for bound, held in ((value_order._up_to, operator.le), (value_order._above, operator.gt)):
            where = {"is_automation": False, "agent_id": AGENT, field: bound(value)}
            plan = (await collection.find(where).explain())["queryPlanner"]["winningPlan"]
            assert field in plan.get("inputStage", plan).get("keyPattern", {}), plan
            found = [doc[field] for doc in await collection.find(where).to_list()]
            assert sorted(found) == sorted(v for v in values if held(v, value)), (bound, value)


@pytest.mark.parametrize("sort", ["NAME", "PROGRESS"])
async def test_a_page_of_many_agents_tasks_is_sized_from_the_share_its_newest_show(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands, sort: str
) -> None:
    """One agent's tasks among 21 agents': the newest few pages of its tasks, read first in
    case they are all, span about 1/21 of the time, so the ranges of the order are sized for
    that share: one or two hold the page (sized for the whole collection they took 3 or 4)."""
    now = utcnow()
    await models.Task.insert_many(
        [
            models.Task(
                name=f"task {i * 7919 % 3000:04d}",
                progress=i % 97,
                agent_id=f"agent_{i % 21}",
                created_at=now - timedelta(seconds=i),
            )
            for i in range(3000)
        ]
    )
    await tallies.rebuild()
    field = SORTS[sort]
    for _ in range(2):  # the first takes the sample of values
        with request_commands.kept():
            body = await gql(
                CONNECTION,
                {"sort": {"field": sort, "direction": "ASC"}, "filter": {"agentId": "agent_3"}},
                admin_token,
            )
        assert len(body["data"]["tasksConnection"]["edges"]) == 7, body
        asked = [c["filter"] for c in request_commands.commands if c.get("find") == "tasks"]
        ranges = [where for where in asked if isinstance(where.get(field), dict)]
        assert 1 <= len(ranges) <= 2, ranges


async def test_an_agents_tasks_of_one_status_are_read_from_an_index_holding_only_them(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    """The task an agent runs, among 200 it completed and others': newest first from
    `(is_automation, agent_id, status, created_at)`, not every task's windows."""
    mine = await seed()
    await models.Task.find(models.Task.id == mine[7].id).update({"$set": {"status": "running"}})
    await tallies.rebuild()
    with request_commands.kept():
        body = await gql(
            "query($agent: ID) { tasks(filter: {agentId: $agent, status: RUNNING, limit: 20})"
            " { id } }",
            {"agent": AGENT},
            admin_token,
        )
    assert body["data"]["tasks"] == [{"id": mine[7].id}], body
    asked = asked_of_tasks(request_commands)
    assert asked, asked
    for where in asked:
        await assert_covered(where)


@pytest.mark.parametrize("sort", ["NAME", "PRIORITY", "UPDATED_AT"])
async def test_a_filter_matching_under_the_root_of_page_times_tasks_is_read_whole(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands, sort: str
) -> None:
    """One system's 60 tasks among 3,000: more than four pages of 7, fewer than √(7 × 3,000)
    ≈ 145, so its tasks are read from `(is_automation, system_id, created_at)` (ids, times
    and the order's field), ordered here and the page loaded by `_id`: no range, level or
    window of every task (about the page ÷ 1/50 of them)."""
    rnd = random.Random(5)
    now = utcnow().replace(microsecond=0)
    await models.Task.insert_many(
        [
            models.Task(
                name=f"task {rnd.randint(0, 9999):04d}",
                priority=(priority := rnd.choice(list(TaskPriority))),
                priority_rank=PRIORITY_RANK[priority],
                system_id="sys_x" if i % 50 == 7 else None,
                created_at=now - timedelta(seconds=i),
                updated_at=now - timedelta(seconds=rnd.randint(0, 5000)),
            )
            for i in range(3000)
        ]
    )
    await tallies.rebuild()
    mine = await models.Task.find({"system_id": "sys_x"}).to_list()
    with request_commands.kept():
        seen = await walk(
            gql, admin_token, {"field": sort, "direction": "ASC"}, {"systemId": "sys_x"}
        )
    assert seen == expected(mine, SORTS[sort], False)
    asked = asked_of_tasks(request_commands)
    assert asked and all(where.get("system_id") == "sys_x" or "_id" in where for where in asked)
    for where in asked:
        await assert_covered(where)
