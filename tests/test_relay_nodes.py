"""Relay object identification: `node(id:)` / `nodes(ids:)` over AxonQL's own ids, with each
type's read scope, nulls for what cannot be returned, a bounded list and batched reads."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from axonql import models
from axonql.models.base import utcnow
from axonql.schema.cost import CostLimits, operation_costs
from axonql.schema.root import build_schema
from axonql.scopes import Scope
from axonql.services.nodes import KINDS, MAX_NODE_IDS
from axonql.settings import Settings
from tests.support import GraphQLClient, RequestCommands, error_codes, token_for

NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Task { name }
  ... on Automation { name }
  ... on Agent { name }
  ... on System { name }
  ... on User { username }
  ... on Population { name }
  ... on Memory { content }
} }"""
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Task { name } } }"


async def created(gql: GraphQLClient, token: str, mutation: str, data: dict[str, Any]) -> str:
    """Create over GraphQL; the new object's id."""
    name = mutation.split("(", 1)[0]
    kind = name[0].upper() + name[1:] + "Input"  # createTask → CreateTaskInput
    body = await gql(
        f"mutation($input: {kind}!) {{ {name}(input: $input) {{ id }} }}", {"input": data}, token
    )
    assert "errors" not in body, body
    return str(body["data"][name]["id"])


async def test_node_returns_each_entity_type_with_its_fields(
    gql: GraphQLClient, admin_token: str
) -> None:
    ids = {
        "Task": await created(gql, admin_token, "createTask", {"name": "relay task"}),
        "Agent": await created(gql, admin_token, "createAgent", {"name": "relay agent"}),
        "System": await created(gql, admin_token, "createSystem", {"name": "relay system"}),
        "User": await created(gql, admin_token, "createUser", {"username": "relayuser"}),
        "Population": await created(gql, admin_token, "createPopulation", {"name": "relay pop"}),
        "Memory": await created(gql, admin_token, "createMemory", {"content": "relay memory"}),
        "Automation": await created(
            gql,
            admin_token,
            "createAutomation",
            {
                "name": "relay automation",
                "triggers": [{"type": "EVENT", "value": "x.updated"}],
                "steps": [{"name": "one", "type": "extract"}],
            },
        ),
    }
    expected = {
        "Task": {"name": "relay task"},
        "Automation": {"name": "relay automation"},
        "Agent": {"name": "relay agent"},
        "System": {"name": "relay system"},
        "User": {"username": "relayuser"},
        "Population": {"name": "relay pop"},
        "Memory": {"content": "relay memory"},
    }
    for typename, node_id in ids.items():
        body = await gql(NODE, {"id": node_id}, admin_token)
        assert "errors" not in body, body
        assert body["data"]["node"] == {"__typename": typename, "id": node_id, **expected[typename]}


async def test_node_covers_the_other_stored_types(gql: GraphQLClient, admin_token: str) -> None:
    at = utcnow()
    population = models.Population(name="p")
    await population.insert()
    docs: dict[str, Any] = {
        "Individual": models.Individual(population_id=population.id, genome={"a": 1.0}),
        "GenerationRecord": models.GenerationRecord(
            population_id=population.id,
            generation=1,
            best_fitness=0.5,
            average_fitness=0.4,
            diversity=0.1,
        ),
        "Threat": models.Threat(
            type="orphan",
            check="orphans",
            severity="low",
            description="d",
            location="tasks",
            subject_id="task_x",
            scan_id="scan_x",
            last_seen=at,
        ),
        "UserSession": models.LearningSession(user_id="user_admin", started_at=at),
        "SecurityScenario": models.SecurityScenario(
            user_id="user_admin",
            scenario_type="phishing",
            difficulty="easy",
            title="t",
            description="d",
            time_limit_seconds=60,
            expires_at=at,
            seed=1,
        ),
        "PersonaEvent": models.SimulationEvent(
            simulation_id="sim_x", persona_id="p1", event_type="stress", title="t"
        ),
        "ClinicalAssessment": models.SimulationAssessment(
            simulation_id="sim_x", persona_id="p1", assessment_type="PHQ-9", score=3, severity="low"
        ),
        "MechanisticData": models.MechanisticRecord(
            simulation_id="sim_x", persona_id="p1", data_type="attention"
        ),
    }
    for doc in docs.values():
        await doc.insert()
    body = await gql(NODES, {"ids": [d.id for d in docs.values()]}, admin_token)
    assert "errors" not in body, body
    found = [(n["__typename"], n["id"]) for n in body["data"]["nodes"]]
    assert found == [(name, doc.id) for name, doc in docs.items()]


async def test_nodes_keeps_order_with_nulls_for_unknown_and_forbidden(
    gql: GraphQLClient, admin_token: str, settings: Settings
) -> None:
    task = await created(gql, admin_token, "createTask", {"name": "mine"})
    agent = await created(gql, admin_token, "createAgent", {"name": "theirs"})
    ids = [agent, task, "task_doesnotexist", "nope_123", "axonql", task, "garbage"]
    everything = await gql(NODES, {"ids": ids}, admin_token)
    assert "errors" not in everything, everything
    assert [n and n["__typename"] for n in everything["data"]["nodes"]] == [
        "Agent",
        "Task",
        None,
        None,
        "System",  # the server's own system: an id without a prefix, found where such ids live
        "Task",
        None,
    ]
    tasks_only = await token_for(settings, [Scope.TASKS_READ], user_id="user_tasks")
    limited = await gql(NODES, {"ids": ids}, tasks_only)
    assert "errors" not in limited, limited
    assert limited["data"]["nodes"] == [
        None,
        {"__typename": "Task", "id": task, "name": "mine"},
        None,
        None,
        None,
        {"__typename": "Task", "id": task, "name": "mine"},
        None,
    ]


async def test_each_type_needs_the_scope_of_its_own_query_field(
    gql: GraphQLClient, admin_token: str, settings: Settings
) -> None:
    cases = (
        ("task", Scope.TASKS_READ, await created(gql, admin_token, "createTask", {"name": "t"})),
        (
            "user",
            Scope.USER_MANAGE,
            await created(gql, admin_token, "createUser", {"username": "u"}),
        ),
        (
            "memory",
            Scope.MEMORIES_READ,
            await created(gql, admin_token, "createMemory", {"content": "m"}),
        ),
        ("system", Scope.CONSCIOUSNESS_READ, "axonql"),
    )
    everything = {s.value for s in Scope}
    for field, scope, node_id in cases:
        without = await token_for(settings, sorted(everything - {scope}), f"user_without_{field}")
        assert await gql(NODE, {"id": node_id}, without) == {"data": {"node": None}}, field
        own = f"query($id: ID!) {{ {field}(id: $id) {{ id }} }}"
        assert error_codes(await gql(own, {"id": node_id}, without)) == ["AUTHORIZATION_DENIED"]
        only = await token_for(settings, [scope], f"user_only_{field}")
        assert (await gql(NODE, {"id": node_id}, only))["data"]["node"]["id"] == node_id, field


async def test_node_needs_a_token(gql: GraphQLClient) -> None:
    body = await gql(NODE, {"id": "axonql"})
    assert error_codes(body) == ["AUTHENTICATION_FAILED"]
    assert (body.get("data") or {}).get("node") is None


async def test_node_of_unknown_ids_is_null(gql: GraphQLClient, admin_token: str) -> None:
    for node_id in ("task_missing", "zzz_abc", "", "x" * 10_000, "../$where"):
        assert await gql(NODE, {"id": node_id}, admin_token) == {"data": {"node": None}}


async def test_more_ids_than_the_limit_is_a_coded_error(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    request_commands.names.clear()
    body = await gql(NODES, {"ids": [f"task_{i}" for i in range(MAX_NODE_IDS + 1)]}, admin_token)
    assert error_codes(body) == ["VALIDATION_ERROR"]
    assert body["errors"][0]["extensions"]["field"] == "ids"
    assert body["errors"][0]["extensions"]["details"] == {
        "max": MAX_NODE_IDS,
        "count": MAX_NODE_IDS + 1,
    }
    assert body.get("data") is None
    assert not [n for n in request_commands.names if n == "find tasks"]
    at_limit = await gql(NODES, {"ids": [f"task_{i}" for i in range(MAX_NODE_IDS)]}, admin_token)
    assert at_limit == {"data": {"nodes": [None] * MAX_NODE_IDS}}


async def test_nodes_of_many_tasks_is_one_query(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    tasks = [models.Task(name=f"batch {i}") for i in range(50)]
    agents = [models.Agent(name=f"agent {i}") for i in range(10)]
    await models.Task.insert_many(tasks)
    await models.Agent.insert_many(agents)
    ids = [t.id for t in tasks] + [a.id for a in agents]
    request_commands.names.clear()
    body = await gql(NODES, {"ids": ids}, admin_token)
    assert "errors" not in body, body
    assert [n["id"] for n in body["data"]["nodes"]] == ids
    assert request_commands.names.count("find tasks") == 1, request_commands.names
    assert request_commands.names.count("find agents") == 1, request_commands.names
    assert len(request_commands.names) <= 5, request_commands.names


@pytest.mark.parametrize("count", [1, 40, MAX_NODE_IDS])
def test_the_cost_of_nodes_counts_each_id(count: int) -> None:
    schema = build_schema()._schema
    limits = CostLimits()
    literal = ", ".join(f'"task_{i}"' for i in range(count))
    inline = f"{{ nodes(ids: [{literal}]) {{ id ... on Task {{ agent {{ id }} }} }} }}"
    by_variable = "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Task { agent { id } } } }"
    variables = {"ids": [f"task_{i}" for i in range(count)]}
    assert operation_costs(schema, parse(inline), None, limits) == {None: count * 2}
    assert operation_costs(schema, parse(by_variable), variables, limits) == {None: count * 2}
    assert operation_costs(schema, parse('{ node(id: "x") { id } }'), None, limits) == {None: 1}


def test_every_prefix_is_a_type_implementing_node() -> None:
    schema = build_schema()._schema
    node = schema.get_type("Node")
    implementing = {t.name for t in schema.get_possible_types(node)}  # type: ignore[arg-type]
    assert {
        "Task",
        "Automation",
        "Agent",
        "System",
        "User",
        "Population",
        "Memory",
    } <= implementing
    assert len(KINDS) == len(implementing) - 1  # `task_` serves Task and Automation
