"""Query cost: the estimator, refusal before execution (HTTP and WebSocket), the route tables'
documents under the ceiling, and the loop staying responsive under an accepted heavy query."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import Any

import httpx
import pytest
from graphql import GraphQLSchema, parse

from axonql.app import create_app
from axonql.errors import ValidationError
from axonql.rest_compat import legacy_pagination as pagination
from axonql.rest_compat.inputs import variables
from axonql.rest_compat.route import Inputs, Route
from axonql.rest_compat.tables import APIS
from axonql.schema.cost import CostLimits, operation_costs
from axonql.schema.root import build_schema
from axonql.services.loaders import Pacer
from axonql.settings import Settings
from tests.support import GraphQLClient, RequestCommands, RunningServer, error_codes, extra_server
from tests.ws_client import LEGACY_WS, TRANSPORT_WS, RawSubscription

CREATE = "mutation($i: CreateMemoryInput!) { createMemory(input: $i) { id } }"
LINK = "mutation($id: ID!, $ids: [ID!]!) { linkMemories(id: $id, relatedIds: $ids) { id } }"
LIMITS = CostLimits(max_cost=200_000, default_list_size=10, max_page_size=500, default_page_size=50)


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema()._schema


def cost(schema: GraphQLSchema, document: str, variables: dict[str, Any] | None = None) -> int:
    (only,) = operation_costs(schema, parse(document), variables, LIMITS).values()
    return only


def related_chain(depth: int, tag: str, limit: int | None = None) -> str:
    size = f", limit: {limit}" if limit else ""
    inner = "related { " * depth + "id" + " }" * depth
    return f'memories(filter: {{tags: ["{tag}"]{size}}}) {{ {inner} }}'


async def linked_memories(gql: GraphQLClient, token: str, tag: str, count: int) -> list[str]:
    """`count` memories tagged `tag`, each linked to every other."""
    ids = []
    for i in range(count):
        body = await gql(CREATE, {"i": {"content": f"{tag} {i}", "tags": [tag]}}, token)
        ids.append(body["data"]["createMemory"]["id"])
    for one in ids:
        body = await gql(LINK, {"id": one, "ids": [i for i in ids if i != one]}, token)
        assert "errors" not in body, body
    return ids


def test_lists_multiply_by_their_page_size(schema: GraphQLSchema) -> None:
    assert cost(schema, "{ memories(filter: {limit: 20}) { id title } }") == 20
    assert cost(schema, "{ memories { id } }") == 50  # the resolvers' default page
    assert cost(schema, "{ memories(filter: {limit: 20}) { related { id } } }") == 20 * (1 + 10)
    assert cost(schema, "{ memories(filter: {limit: 100000}) { id } }") == 500  # max page size
    # A connection's `first` sizes its edges and nodes; scalars and introspection are free.
    connection = "{ memoriesConnection(first: 5) { totalCount edges { node { related { id } } } } }"
    assert cost(schema, connection) == 1 + 5 * (1 + 1 + 10)
    assert cost(schema, "{ __schema { types { fields { name } } } health { status } }") == 1


def test_aliases_fragments_and_variables(schema: GraphQLSchema) -> None:
    two = "{ a: memories(filter: {limit: 5}) { id } b: memories(filter: {limit: 5}) { id } }"
    assert cost(schema, two) == 10
    fragments = """
      fragment M on Memory { id related { id } }
      { memories(filter: {limit: 2}) { ...M ... on Memory { related { id } } } }"""
    assert cost(schema, fragments) == 2 * (1 + 10 + 10)
    cycle = """
      fragment A on Memory { related { ...B } }
      fragment B on Memory { related { ...A } }
      { memories(filter: {limit: 1}) { ...A } }"""
    assert cost(schema, cycle) == 1 * (1 + 10 * (1 + 10))  # the closing spread counts 0
    sized = "query($n: Int = 3) { memories(filter: {limit: $n}) { id } }"
    assert cost(schema, sized, {"n": 7}) == 7
    assert cost(schema, sized) == 3
    whole = "query($f: MemoryFilter) { memories(filter: $f) { id } }"
    assert cost(schema, whole, {"f": {"limit": 4}}) == 4
    assert cost(schema, whole, {"f": {"limit": "many"}}) == 50


def test_fragments_are_costed_once_each(schema: GraphQLSchema) -> None:
    """Each fragment spreads the next twice: expanded, 2**40 spreads; memoised, 41 walks."""
    chain = [f"fragment F{i} on Memory {{ ...F{i + 1} ...F{i + 1} }}" for i in range(40)]
    chain.append("fragment F40 on Memory { related { id } }")
    document = "{ memories(filter: {limit: 1}) { ...F0 } } " + " ".join(chain)
    started = time.perf_counter()
    assert cost(schema, document) == 1 + 2**40 * 10
    assert time.perf_counter() - started < 1


def worst_case_inputs(route: Route, size: int) -> tuple[Inputs, pagination.Window | None]:
    """Every documented integer at `size`, the largest page the route allows."""
    query = {f.name: str(size) for f in route.params if f.type == "integer"}
    body = {f.name: size for f in route.body if f.type == "integer"}
    window = None
    if route.pagination is not None:
        window = pagination.Window(limit=route.pagination.max_size, offset=0)
    return Inputs(path={}, query=query, body=body), window


def test_every_route_document_is_under_the_ceiling(schema: GraphQLSchema) -> None:
    settings = Settings()
    limits = CostLimits.from_settings(settings)
    costs: dict[str, int] = {}
    for api in APIS:
        for route in api.routes:
            inputs, window = worst_case_inputs(route, settings.max_page_size)
            try:
                bound = variables(route, inputs, window)
            except ValidationError:
                bound = {}
            found = operation_costs(schema, parse(route.operation), bound, limits)
            costs[f"{route.method} {api.full_path(route)}"] = max(found.values())
    assert len(costs) > 50
    over = {path: c for path, c in costs.items() if c > settings.max_query_cost}
    assert over == {}
    assert max(costs.values()) > 100  # the walk sees real lists, not only scalars


async def test_the_related_bomb_is_refused_before_execution(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands, settings: Settings
) -> None:
    await linked_memories(gql, admin_token, "k4", 4)
    bomb = "{ " + related_chain(9, "k4") + " }"
    two = "{ a: " + related_chain(9, "k4") + " b: " + related_chain(9, "k4") + " }"
    for document in (bomb, two):
        request_commands.names.clear()
        started = time.perf_counter()
        body = await gql(document, token=admin_token)
        elapsed = time.perf_counter() - started
        assert body.get("data") is None
        assert error_codes(body) == ["QUERY_TOO_COSTLY"]
        extensions = body["errors"][0]["extensions"]
        assert extensions["status"] == 400
        assert extensions["maxCost"] == settings.max_query_cost
        assert extensions["cost"] > settings.max_query_cost
        assert [n for n in request_commands.names if "memor" in n.lower()] == []
        assert elapsed < 1.0  # it took 3.7 s (one) and over 8 s (two) when it ran
    # The same question within the ceiling is answered.
    fine = await gql("{ " + related_chain(2, "k4") + " }", token=admin_token)
    assert "errors" not in fine
    assert len(fine["data"]["memories"]) == 4


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_subscription_over_the_ceiling_is_refused(
    protocol: str, settings: Settings, server: RunningServer, admin_token: str
) -> None:
    """Event has scalar fields only, so a subscription costs 1: the ceiling is lowered to 0."""
    strict = settings.model_copy(update={"max_query_cost": 0})
    async with extra_server(create_app(strict), server) as second:
        url = f"{second.ws_url}/graphql"
        subscription = await RawSubscription.open(
            url, admin_token, "subscription { events { id } }", protocol=protocol
        )
        try:
            message = await asyncio.wait_for(subscription.next_message(), 10)
        finally:
            await subscription.close()
        hub = second.app.state.axon.realtime.hub
        assert len(hub) == 0
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    if isinstance(errors, dict):
        errors = errors.get("errors", [errors])
    assert [e["extensions"]["code"] for e in errors] == ["QUERY_TOO_COSTLY"]
    assert errors[0]["extensions"]["maxCost"] == 0


async def test_pacer_gives_the_loop_turns_between_batches() -> None:
    """Past its budget a request's loads wait for later loop turns, so others get theirs."""
    pacer = Pacer(budget=10)
    turns = 0
    running = True

    async def ticker() -> None:
        nonlocal turns
        while running:
            turns += 1
            await asyncio.sleep(0)

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before = turns
    await asyncio.gather(*(pacer.checkpoint(1) for _ in range(100)))
    running = False
    await tick
    assert turns - before >= 9  # 100 loads, 10 per turn


async def test_health_answers_while_an_accepted_heavy_query_runs(
    gql: GraphQLClient, http: httpx.AsyncClient, admin_token: str
) -> None:
    await linked_memories(gql, admin_token, "h", 11)  # ten related each: the estimate is exact
    heavy = "{ " + related_chain(4, "h", limit=11) + " }"
    estimate = cost(build_schema()._schema, heavy)
    assert LIMITS.max_cost / 2 < estimate <= LIMITS.max_cost  # 122,221, and as many resolved
    payload = json.dumps({"query": heavy}).encode()
    headers = {"Authorization": f"Bearer {admin_token}", "Content-Type": "application/json"}

    async def run_heavy() -> int:
        # The body is kept raw: decoding it here would hold the loop the server shares.
        response = await http.post("/graphql", content=payload, headers=headers)
        assert response.status_code == 200 and b'"errors"' not in response.content
        return len(response.content)

    heavy_task = asyncio.create_task(run_heavy())
    latencies: list[float] = []
    # GraphQL `health` (GET /health runs the same field but counts against a REST rate limit).
    probe = GraphQLClient(http)
    while not heavy_task.done():
        started = time.perf_counter()
        assert (await probe("{ health { status } }"))["data"]["health"]["status"]
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.02)
    assert await heavy_task > 1_000_000  # 122,221 memories in the answer
    # Unpaced, the loop answered about one probe per second of the heavy query (~3 in 3 s).
    assert len(latencies) >= 10, latencies
    assert statistics.median(latencies) < 0.25, latencies
