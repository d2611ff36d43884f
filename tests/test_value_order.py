"""Pages sorted by a field's value (name, progress, importance …): every match once, in order,
whatever the sample of values says; the sample costs the same at any size."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from axonql import models
from axonql.models.base import utcnow
from axonql.models.task import TaskStatus
from axonql.services import pagination, tallies, value_order
from axonql.services.listing import Listing
from axonql.services.pagination import Span
from axonql.services.value_order import ValueSample
from tests.support import GraphQLClient, RequestCommands

NAMES = ["alpha"] * 60 + ["beta"] * 5 + [f"name {i:03d}" for i in range(120)] + ["Zed", "ä"]


async def seed(n: int = 240) -> list[models.Task]:
    """Tasks with heavy ties (progress 100 and 0, the name "alpha"), spread names and a few
    sharing a `created_at`, most completed."""
    rnd = random.Random(7)
    now = utcnow().replace(microsecond=0)
    tasks = [
        models.Task(
            name=rnd.choice(NAMES),
            progress=rnd.choice([100] * 6 + [0] * 2 + [rnd.randint(1, 99)]),
            status=TaskStatus.COMPLETED if i % 5 else TaskStatus.FAILED,
            created_at=now - timedelta(seconds=i // 3),  # three per second: ties in time too
            updated_at=now,
        )
        for i in range(n)
    ]
    await models.Task.insert_many(tasks)
    await tallies.rebuild()
    return tasks


def expected(tasks: list[models.Task], field: str, descending: bool) -> list[str]:
    ordered = sorted(tasks, key=lambda t: value_order.place(t, field), reverse=descending)
    return [t.id for t in ordered]


CONNECTION = """query($after: String, $sort: TaskSort, $filter: TaskFilter) {
  tasksConnection(first: 7, after: $after, sort: $sort, filter: $filter) {
    edges { node { id } } pageInfo { hasNextPage endCursor } } }"""


async def walk(
    gql: GraphQLClient,
    token: str,
    sort: dict[str, str],
    where: dict[str, Any] | None = None,
    before_page: Callable[[int], None] | None = None,
) -> list[str]:
    """Every page's task ids (`before_page` is told each page's number before it is read)."""
    seen: list[str] = []
    after = None
    for turn in itertools.count():
        if before_page is not None:
            before_page(turn)
        variables = {"after": after, "sort": sort, "filter": where}
        body = await gql(CONNECTION, variables, token)
        assert not body.get("errors"), body
        page = body["data"]["tasksConnection"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    return seen


@pytest.mark.parametrize("field", ["NAME", "PROGRESS"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_pages_by_value_visit_every_task_once_in_order(
    gql: GraphQLClient, admin_token: str, field: str, direction: str
) -> None:
    tasks = await seed()
    name = field.lower()
    descending = direction == "DESC"
    sort = {"field": field, "direction": direction}
    assert await walk(gql, admin_token, sort) == expected(tasks, name, descending)
    failed = [t for t in tasks if t.status is TaskStatus.FAILED]
    by_status = await walk(gql, admin_token, sort, {"status": "FAILED"})
    assert by_status == expected(failed, name, descending)


@pytest.mark.parametrize("field", ["NAME", "PROGRESS"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_a_filter_the_tallies_do_not_count_pages_the_same_read_either_way(
    gql: GraphQLClient,
    admin_token: str,
    monkeypatch: pytest.MonkeyPatch,
    field: str,
    direction: str,
) -> None:
    """A few matches (one parent's runs) are read whole and ordered here, many (a tag most
    tasks hold) as ranges of the order's values; each page may be read either way (the
    cursors are the same) and every page is the order's."""
    tasks = await seed()
    for n, task in enumerate(tasks):  # one parent's seven runs; a tag all but a few hold
        task.parent_id = "task_parent" if n % 31 == 0 and n < 7 * 31 else None
        task.tags = [] if n % 9 else ["x"]
        await models.Task.find_one({"_id": task.id}).update(
            {"$set": {"parent_id": task.parent_id, "tags": task.tags}}
        )
    few_or_ranges = Listing._few_matches

    async def never_few(*_: Any) -> None:
        return None

    sort = {"field": field, "direction": direction}
    descending = direction == "DESC"
    wheres: list[tuple[dict[str, Any], list[models.Task]]] = [
        ({"parentId": "task_parent"}, [t for t in tasks if t.parent_id]),
        ({"tags": ["x"]}, [t for t in tasks if t.tags]),
        ({"parentId": "task_parent", "status": "FAILED"}, []),
    ]
    wheres[2] = (wheres[2][0], [t for t in wheres[0][1] if t.status is TaskStatus.FAILED])
    for where, matching in wheres:
        want = expected(matching, field.lower(), descending)
        assert len(want) == len(matching) > 0 or where.get("status"), where
        for turns in ([True], [False], [True, False], [False, True]):

            def reading(turn: int, turns: list[bool] = turns) -> None:
                few = turns[turn % len(turns)]
                monkeypatch.setattr(Listing, "_few_matches", few_or_ranges if few else never_few)

            assert await walk(gql, admin_token, sort, where, reading) == want, (where, turns)


async def test_a_few_matches_are_read_in_time_windows_not_ranges_of_the_order(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    """One parent's runs by name: the windows of `(is_automation, parent_id, created_at)`,
    no range of names; a tag most tasks hold: ranges of names."""
    tasks = await seed()
    runs = {t.id for t in tasks[:5]}
    await models.Task.find({"_id": {"$in": sorted(runs)}}).update(
        {"$set": {"parent_id": "task_parent"}}
    )
    await models.Task.find({"_id": {"$nin": sorted(runs)}}).update({"$set": {"tags": ["x"]}})

    async def asked(where: dict[str, Any]) -> list[dict[str, Any]]:
        variables = {"sort": {"field": "NAME", "direction": "ASC"}, "filter": where}
        with request_commands.kept():
            body = await gql(CONNECTION, variables, admin_token)
        assert not body.get("errors"), body
        return [c["filter"] for c in request_commands.commands if c.get("find") == "tasks"]

    await asked({"tags": ["x"]})  # takes the names' sample (a range of ids), once
    few = await asked({"parentId": "task_parent"})
    assert few and all("name" not in where for where in few), few
    assert all(where.get("parent_id") or "_id" in where for where in few), few  # then by `_id`
    many = await asked({"tags": ["x"]})
    assert any("name" in where for where in many), many


async def read(
    tasks: list[models.Task],
    field: str,
    descending: bool,
    sample: ValueSample,
    query: dict[str, Any] | None = None,
    matches: int | None = None,
) -> list[str]:
    """Every page of 9 read directly with `sample`, however wrong it is."""
    seen: list[str] = []
    cursor: value_order.Cursor | None = None
    while True:
        found = await value_order.by_value(
            pagination.reader(models.Task.find),
            lambda doc: value_order.place(doc, field),
            query or {},
            field,
            descending,
            10,
            cursor,
            sample,
            Span(matches=matches),
        )
        seen += [d.id for d in found[:9]]
        if len(found) <= 9:
            return seen
        last = found[8]
        cursor = (getattr(last, field), (pagination.aware(last.created_at), last.id))


@pytest.mark.parametrize("descending", [False, True])
async def test_a_wrong_sample_costs_reads_never_documents(descending: bool) -> None:
    tasks = await seed()
    samples = {
        "empty": ValueSample((), 1.0),
        "every value one (a heavy tie that is not there)": ValueSample((1,) * 50, 100.0),
        "values nobody holds": ValueSample(tuple(range(1000, 1400, 7)), 3.0),
        "the true values, standing for far too many": ValueSample(
            tuple(sorted(t.progress for t in tasks)), 1000.0
        ),
    }
    for label, sample in samples.items():
        got = await read(tasks, "progress", descending, sample)
        assert got == expected(tasks, "progress", descending), label
    names = ValueSample(tuple(sorted(t.name for t in tasks[::3])), 3.0)
    assert await read(tasks, "name", descending, names) == expected(tasks, "name", descending)
    # a filter on the sorted field itself (a search), and one whose matches are known
    search = {"name": {"$regex": "^name 0"}}
    searched = [t for t in tasks if t.name.startswith("name 0")]
    got = await read(tasks, "name", descending, names, search)
    assert got == expected(searched, "name", descending)
    failed = [t for t in tasks if t.status is TaskStatus.FAILED]
    got = await read(tasks, "name", descending, names, {"status": "failed"}, len(failed))
    assert got == expected(failed, "name", descending)


async def test_a_cursor_of_another_type_or_order_is_refused(
    gql: GraphQLClient, admin_token: str
) -> None:
    await seed(30)
    text_cursor = value_order.encode("x", utcnow(), "task_1")
    time_cursor = pagination.encode_cursor(utcnow(), "task_1")
    refused = [("PROGRESS", text_cursor), ("NAME", time_cursor), ("UPDATED_AT", text_cursor)]
    for (sort, after), search in itertools.product(refused, (None, "Zed")):  # "Zed": rare
        variables = {
            "after": after,
            "sort": {"field": sort, "direction": "ASC"},
            "filter": {"search": search},
        }
        body = await gql(CONNECTION, variables, admin_token)
        assert body["errors"][0]["extensions"]["code"] == "VALIDATION_ERROR", (sort, search, body)


async def test_a_sample_reads_about_its_target_at_any_size() -> None:
    """The sample is a range of ids, so what it reads follows its target, not the collection."""
    collection = models.Task.get_pymongo_collection()
    read: dict[int, int] = {}
    for n in (300, 3_000):
        await collection.delete_many({})
        await models.Task.insert_many(
            [models.Task(name=f"t{i}", progress=i % 101) for i in range(n)]
        )
        sample = await value_order.take_sample(collection, "progress", "task", target=64)
        assert 64 <= len(sample.values) <= 64 * 4 or (n == 300 and len(sample.values) == n)
        assert sample.size == pytest.approx(n, rel=0.6)
        read[n] = len(sample.values)
    assert read[3_000] <= 4 * 64
