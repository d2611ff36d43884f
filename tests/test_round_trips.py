"""Database round trips of one request do not grow with the length of its lists.

A PyMongo command listener on the test server's client counts the commands of one request
that lists N of every entity with every field the schema offers on them, relations included,
down to three levels. The query is generated from the built schema, so relations added later
are counted without editing this file. N=5 and N=50 must cost the same number of commands.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLUnionType,
    Undefined,
    get_named_type,
)

from axonql import models
from axonql.models.base import utcnow
from axonql.models.task import TaskStatus
from axonql.schema.root import build_schema
from tests.support import GraphQLClient, RequestCommands

DEPTH = 3
SMALL, LARGE = 5, 50


def _list_item(type_: GraphQLOutputType) -> GraphQLObjectType | None:
    """The item type of a `[Object!]!` field, else None."""
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if not isinstance(inner, GraphQLList):
        return None
    item = get_named_type(inner)
    return item if isinstance(item, GraphQLObjectType) and "id" in item.fields else None


def _required(field: GraphQLField) -> bool:
    """Whether the field has an argument the caller must give."""
    return any(
        isinstance(a.type, GraphQLNonNull) and a.default_value is Undefined
        for a in field.args.values()
    )


def _size_arguments(field: GraphQLField, n: int) -> str:
    """`limit`/`first` arguments, or a filter input's `limit`, set to n."""
    parts: list[str] = []
    for name, arg in field.args.items():
        named = get_named_type(arg.type)
        if name in ("limit", "first"):
            parts.append(f"{name}: {n}")
        elif isinstance(named, GraphQLInputObjectType) and "limit" in named.fields:
            parts.append(f"{name}: {{limit: {n}}}")
    return f"({', '.join(parts)})" if parts else ""


PER_ITEM = {"events"}
"""Read per item by design: an entity's `events` is an indexed range of its own stream (a
batched `$in` would read the whole log on SecantusDB); the query-cost limit bounds how many."""


def selection(type_: GraphQLObjectType, depth: int) -> str:
    """Every field without required arguments; object fields down to `depth` levels."""
    chosen: list[str] = []
    for name, field in type_.fields.items():
        if _required(field) or name in PER_ITEM:
            continue
        named = get_named_type(field.type)
        if isinstance(named, GraphQLUnionType):
            chosen.append(f"{name} {{ __typename }}")
        elif isinstance(named, GraphQLObjectType):
            if depth > 0:
                chosen.append(f"{name} {{ __typename {selection(named, depth - 1)} }}")
        elif not hasattr(named, "fields"):  # scalars and enums
            chosen.append(name)
    return " ".join(chosen)


def list_roots() -> dict[str, GraphQLField]:
    """Root Query fields returning a list of entities and needing no arguments."""
    query = build_schema()._schema.query_type
    assert query is not None
    return {
        name: field
        for name, field in query.fields.items()
        if _list_item(field.type) is not None and not _required(field)
    }


def document(n: int) -> str:
    parts = []
    for name, field in list_roots().items():
        item = _list_item(field.type)
        assert item is not None
        parts.append(f"{name}{_size_arguments(field, n)} {{ {selection(item, DEPTH)} }}")
    return "query Everything { " + " ".join(parts) + " }"


# Roots this test fills with n linked items (other list roots run over whatever exists).
SEEDED = ("tasks", "agents", "users", "populations", "systems", "memories")


async def seed(n: int) -> None:
    """n systems, each with an agent running a task; users with sessions; populations with
    individuals and history; memories related to each other."""
    now = utcnow()
    systems = [models.System(name=f"system {i}") for i in range(n)]
    agents = [
        models.Agent(name=f"agent {i}", system_id=systems[i].id, capabilities=["x"])
        for i in range(n)
    ]
    tasks = [
        models.Task(
            name=f"task {i}",
            agent_id=agents[i].id,
            system_id=systems[i].id,
            status=TaskStatus.RUNNING,
            started_at=now,
        )
        for i in range(n)
    ]
    users = [models.User(username=f"user{i}") for i in range(n)]
    sessions = [
        models.LearningSession(user_id=u.id, started_at=now - timedelta(minutes=5)) for u in users
    ]
    populations = [models.Population(name=f"population {i}", size=2) for i in range(n)]
    individuals = [
        models.Individual(population_id=p.id, genome={"lr": 0.1 * k}, fitness=0.5)
        for p in populations
        for k in range(2)
    ]
    history = [
        models.GenerationRecord(
            population_id=p.id, generation=0, best_fitness=0.5, average_fitness=0.5, diversity=0.1
        )
        for p in populations
    ]
    memories = [models.Memory(content=f"memory {i}") for i in range(n)]
    for i, memory in enumerate(memories):
        memory.related_ids = [memories[(i + 1) % n].id]
        memory.owner_user_id = users[i].id
    batches: list[list[Any]] = [
        systems,
        agents,
        tasks,
        users,
        sessions,
        populations,
        individuals,
        history,
        memories,
    ]
    for batch in batches:
        await type(batch[0]).insert_many(batch)


async def measure(
    gql: GraphQLClient, counter: RequestCommands, token: str, n: int
) -> tuple[int, list[str], dict[str, Any]]:
    """The commands of one request, after a first one that warms up what is done once.

    The fewer of two: the caller's token is re-checked once its cached answer is older than
    `token_check_seconds`, which adds one lookup to whichever request comes after that moment
    (a per-request cost, not a per-item one). A loaded machine can make every request of this
    size last longer than that, so a small request just before each measured one renews the
    answer.
    """
    await gql(document(n), token=token)
    measured = []
    for _ in range(2):
        await gql("{ __typename }", token=token)  # the token's answer, fresh
        counter.names.clear()
        body = await gql(document(n), token=token)
        measured.append((len(counter.names), list(counter.names), body))
    return min(measured, key=lambda one: one[0])


async def clear() -> None:
    for model in models.ALL_DOCUMENTS:
        if model is not models.User:
            await model.get_pymongo_collection().delete_many({})
    await models.User.find(models.User.id != "user_admin").delete()


async def test_round_trips_do_not_grow_with_list_length(
    gql: GraphQLClient, request_commands: RequestCommands, admin_token: str
) -> None:
    results: dict[int, tuple[int, list[str], dict[str, Any]]] = {}
    for n in (SMALL, LARGE):
        await clear()
        await seed(n)
        results[n] = await measure(gql, request_commands, admin_token, n)
        body = results[n][2]
        assert "errors" not in body, body["errors"][:3]
        for root in SEEDED:
            assert root in body["data"], f"the schema has no {root} list"
            assert len(body["data"][root]) == n, root
        assert all(t["agent"]["id"] for t in body["data"]["tasks"])
        assert all(len(a["currentTasks"]) == 1 for a in body["data"]["agents"])
        data = body["data"]
        assert all(len(s["agents"]) == 1 for s in data["systems"] if s["kind"] != "axonql")
        assert all(len(u["sessions"]) == 1 for u in data["users"] if u["id"] != "user_admin")
        assert all(len(p["individuals"]) == 2 for p in body["data"]["populations"])
        assert all(len(m["related"]) == 1 for m in body["data"]["memories"])
    small, large = results[SMALL], results[LARGE]
    grown = Counter(large[1]) - Counter(small[1])
    assert small[0] == large[0], (
        f"{small[0]} commands for {SMALL} items, {large[0]} for {LARGE}; the extra ones: {grown}"
    )
