"""Events carry their subjects as they stood at commit, typed, over real WebSockets."""

from __future__ import annotations

import asyncio
from typing import Any

from axonql import models
from axonql.scopes import Scope
from axonql.services.events import emit
from axonql.settings import Settings
from tests.support import (
    GraphQLClient,
    RunningServer,
    server_in_both_modes,  # noqa: F401  (every test: both modes)
    token_for,
)
from tests.test_subscriptions import collect, wait_for_subscribers
from tests.ws_client import RawSubscription

CREATE = "mutation($n: String!) { createTask(input: {name: $n, priority: LOW}) { id } }"
UPDATE = """
mutation($id: ID!, $n: String!, $p: TaskPriority!) {
  updateTask(id: $id, input: {name: $n, priority: $p}) { id }
}"""
WATCH = """
subscription($id: ID!, $after: ID!) {
  taskUpdated(id: $id, after: $after) {
    id type taskId
    task { id name priority status agent { name } }
  }
}"""


async def _task_changes(gql: GraphQLClient, token: str) -> tuple[str, str]:
    """A marker event, then a task created as A and renamed B, C; (marker id, task id)."""
    marker = await emit("LOG_ENTRY", {"level": "info", "message": "before"})
    created = await gql(CREATE, {"n": "A"}, token)
    task_id = created["data"]["createTask"]["id"]
    await gql(UPDATE, {"id": task_id, "n": "B", "p": "HIGH"}, token)
    await gql(UPDATE, {"id": task_id, "n": "C", "p": "CRITICAL"}, token)
    return marker.id, task_id


async def _replayed(
    server: RunningServer, token: str, variables: dict[str, Any], count: int
) -> list[Any]:
    subscription = await RawSubscription.open(f"{server.ws_url}/graphql", token, WATCH, variables)
    try:
        return [(await subscription.next_data())["taskUpdated"] for _ in range(count)]
    finally:
        await subscription.close()


async def test_a_replay_shows_each_state_in_turn(
    server: RunningServer, gql: GraphQLClient, admin_token: str
) -> None:
    marker, task_id = await _task_changes(gql, admin_token)
    # Gone from its collection now: whatever the replay shows was stored with the events.
    await gql("mutation($id: ID!) { deleteTask(id: $id) }", {"id": task_id}, admin_token)
    got = await _replayed(server, admin_token, {"id": task_id, "after": marker}, 4)
    states = [(e["task"]["name"], e["task"]["priority"]) if e["task"] else None for e in got]
    assert states == [("A", "LOW"), ("B", "HIGH"), ("C", "CRITICAL"), None]
    assert {e["task"]["id"] for e in got[:3]} == {task_id}
    assert got[0]["task"]["status"] == "CREATED" and got[0]["task"]["agent"] is None


async def test_the_snapshot_is_stored_once_with_the_event(
    gql: GraphQLClient, admin_token: str
) -> None:
    _marker, task_id = await _task_changes(gql, admin_token)
    stored = await models.Event.find({"task_id": task_id}).sort("+seq").to_list()
    assert [e.snapshots["task"]["name"] for e in stored] == ["A", "B", "C"]


async def test_relations_resolve_through_the_loaders_and_secrets_stay_out(
    server: RunningServer, gql: GraphQLClient, admin_token: str
) -> None:
    agent = await gql('mutation { createAgent(input: {name: "worker"}) { id } }', None, admin_token)
    agent_id = agent["data"]["createAgent"]["id"]
    marker = await emit("LOG_ENTRY", {"level": "info", "message": "before"})
    task = models.Task(name="assigned", agent_id=agent_id)
    await task.insert()
    await emit("TASK_PROGRESS", {"progress": 5}, task_id=task.id, agent_id=agent_id)
    (got,) = await _replayed(server, admin_token, {"id": task.id, "after": marker.id}, 1)
    assert got["task"]["agent"] == {"name": "worker"}
    user = models.User(id="user_secret", username="secret", password_hash="argon2-hash")
    await user.insert()
    event = await emit("USER_UPDATED", {"change": "updated"}, user_id=user.id)
    stored = await models.Event.get(event.id)
    assert stored is not None and stored.snapshots["user"]["username"] == "secret"
    assert "password_hash" not in stored.snapshots["user"]


async def test_a_subject_the_caller_may_not_read_is_null(
    server: RunningServer, settings: Settings
) -> None:
    """`logEntries` needs consciousness:read; the task on such an event needs tasks:read."""
    token = await token_for(settings, [Scope.CONSCIOUSNESS_READ], user_id="user_logs")
    task = models.Task(name="private")
    await task.insert()
    marker = await emit("LOG_ENTRY", {"level": "info", "message": "before"})
    await emit("LOG_ENTRY", {"level": "info", "message": "about"}, task_id=task.id)
    query = """subscription($after: ID) { logEntries(after: $after) { taskId task { name } } }"""
    subscription = await RawSubscription.open(
        f"{server.ws_url}/graphql", token, query, {"after": marker.id}
    )
    try:
        got = (await subscription.next_data())["logEntries"]
    finally:
        await subscription.close()
    assert got == {"taskId": task.id, "task": None}


# --- typed details ----------------------------------------------------------------------------

HISTORY = """
query($first: Int!, $after: ID, $order: EventOrder!, $types: [EventType!]) {
  events(first: $first, after: $after, order: $order, types: $types) {
    edges { cursor node { id type details { __typename ...Details } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
fragment Details on EventDetails {
  ... on TaskStateChanged { change from to attempts fields }
  ... on TaskProgress { progress message }
  ... on ConsciousnessChanged { previous level awarenessState }
  ... on MemoryDrifted { driftScore previous repairRecommended }
  ... on LogEntryWritten { logLevel message }
  ... on OtherEvent { type }
}"""


def test_every_details_field_can_be_selected_without_aliases() -> None:
    """One field name, one type across the union: fragments on every kind merge."""
    from graphql import GraphQLUnionType, get_named_type, is_leaf_type, parse, validate

    from axonql.schema.root import build_schema

    schema = build_schema()._schema
    union = schema.get_type("EventDetails")
    assert isinstance(union, GraphQLUnionType) and len(union.types) >= 10
    fragments = []
    for member in union.types:
        leaves = [n for n, f in member.fields.items() if is_leaf_type(get_named_type(f.type))]
        fragments.append(f"... on {member.name} {{ {' '.join(leaves)} }}")
    document = parse(f"subscription {{ events {{ details {{ {' '.join(fragments)} }} }} }}")
    assert validate(schema, document) == []


async def test_each_kind_of_event_has_its_typed_details(
    gql: GraphQLClient, admin_token: str
) -> None:
    created = await gql(CREATE, {"n": "typed"}, admin_token)
    task_id = created["data"]["createTask"]["id"]
    queued = await gql(
        "mutation($id: ID!) { queueTask(id: $id) { id } }", {"id": task_id}, admin_token
    )
    assert not queued.get("errors"), queued
    await emit(
        "TASK_PROGRESS", {"progress": 40, "status": "running", "message": "half"}, task_id=task_id
    )
    level = await gql(
        "mutation { updateConsciousness(level: 0.7) { consciousnessLevel } }", None, admin_token
    )
    assert not level.get("errors"), level
    await emit("MEMORY_DRIFT", {"drift_level": 0.55, "previous": 0.45, "repair_recommended": True})
    await emit("LOG_ENTRY", {"level": "warning", "message": "careful"})
    await emit("SIMULATION_STATUS", {"simulation_id": "sim_1"})
    body = await gql(HISTORY, {"first": 7, "order": "OLDEST_FIRST"}, admin_token)
    assert not body.get("errors"), body
    details = [edge["node"]["details"] for edge in body["data"]["events"]["edges"]]
    assert details == [
        {"__typename": "TaskStateChanged", "change": "created", "from": None, "to": "CREATED",
         "attempts": None, "fields": []},
        {"__typename": "TaskStateChanged", "change": "queued", "from": "CREATED", "to": "QUEUED",
         "attempts": 0, "fields": []},
        {"__typename": "TaskProgress", "progress": 40, "message": "half"},
        {"__typename": "ConsciousnessChanged", "previous": details[3]["previous"], "level": 0.7,
         "awarenessState": details[3]["awarenessState"]},
        {"__typename": "MemoryDrifted", "driftScore": 0.55, "previous": 0.45,
         "repairRecommended": True},
        {"__typename": "LogEntryWritten", "logLevel": "warning", "message": "careful"},
        {"__typename": "OtherEvent", "type": "SIMULATION_STATUS"},
    ]  # fmt: skip


# --- history as a query -------------------------------------------------------------------


def _ids(body: dict[str, Any]) -> list[str]:
    assert not body.get("errors"), body
    return [edge["node"]["id"] for edge in body["data"]["events"]["edges"]]


async def test_the_log_pages_newest_or_oldest_first_and_a_cursor_resumes_a_stream(
    server: RunningServer, gql: GraphQLClient, admin_token: str
) -> None:
    logged = [(await emit("LOG_ENTRY", {"level": "info", "n": n})).id for n in range(7)]
    await emit("AGENT_STATUS", {"status": "idle"})  # filtered out by type below
    types = ["LOG_ENTRY"]
    newest = await gql(HISTORY, {"first": 3, "order": "NEWEST_FIRST", "types": types}, admin_token)
    assert _ids(newest) == logged[::-1][:3]
    info = newest["data"]["events"]["pageInfo"]
    assert info["hasNextPage"] and not info["hasPreviousPage"]
    older = await gql(
        HISTORY,
        {"first": 10, "order": "NEWEST_FIRST", "types": types, "after": info["endCursor"]},
        admin_token,
    )
    assert _ids(older) == logged[::-1][3:]
    assert not older["data"]["events"]["pageInfo"]["hasNextPage"]
    oldest = await gql(HISTORY, {"first": 4, "order": "OLDEST_FIRST", "types": types}, admin_token)
    assert _ids(oldest) == logged[:4]
    # the last cursor read is where a subscription continues, with nothing missed
    cursor = oldest["data"]["events"]["pageInfo"]["endCursor"]
    stream = await RawSubscription.open(
        f"{server.ws_url}/graphql",
        admin_token,
        "subscription($after: ID) { events(types: [LOG_ENTRY], after: $after) { id } }",
        {"after": cursor},
    )
    try:
        rest = [(await stream.next_data())["events"]["id"] for _ in logged[4:]]
    finally:
        await stream.close()
    assert rest == logged[4:]


ENTITY = """
query($id: ID!, $first: Int!, $after: ID) {
  task(id: $id) {
    events(first: $first, after: $after) {
      edges { cursor node { id type task { name } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""


async def test_each_entity_pages_its_own_stream(
    gql: GraphQLClient, admin_token: str, settings: Settings
) -> None:
    _marker, task_id = await _task_changes(gql, admin_token)
    await gql(CREATE, {"n": "another"}, admin_token)
    await emit("LOG_ENTRY", {"level": "info"}, task_id=task_id)  # not on the task's stream
    body = await gql(ENTITY, {"id": task_id, "first": 2}, admin_token)
    assert not body.get("errors"), body
    page = body["data"]["task"]["events"]
    assert [e["node"]["task"]["name"] for e in page["edges"]] == ["C", "B"]
    assert page["pageInfo"]["hasNextPage"]
    rest = await gql(
        ENTITY, {"id": task_id, "first": 2, "after": page["pageInfo"]["endCursor"]}, admin_token
    )
    assert [e["node"]["task"]["name"] for e in rest["data"]["task"]["events"]["edges"]] == ["A"]
    # authorised like the subscriptions: the log needs admin:system, an agent's events
    # agents:read even where the agent is reached through a task
    reader = await token_for(settings, [Scope.TASKS_READ], user_id="user_tasks_only")
    denied = await gql("{ events(first: 1) { edges { cursor } } }", None, reader)
    assert denied["errors"][0]["extensions"]["code"] == "AUTHORIZATION_DENIED"
    own = await gql(ENTITY, {"id": task_id, "first": 1}, reader)
    assert not own.get("errors"), own
    agent = models.Agent(name="worker")
    await agent.insert()
    assigned = models.Task(name="assigned", agent_id=agent.id)
    await assigned.insert()
    through = await gql(
        "query($id: ID!) { task(id: $id) { agent { events(first: 1) { edges { cursor } } } } }",
        {"id": assigned.id},
        reader,
    )
    assert through["errors"][0]["extensions"]["code"] == "AUTHORIZATION_DENIED"
    allowed = await gql(
        "query($id: ID!) { agent(id: $id) { events(first: 1) { edges { cursor } } } }",
        {"id": agent.id},
        admin_token,
    )
    assert allowed["data"]["agent"]["events"]["edges"] == []  # inserted without an event


async def test_the_gql_client_receives_the_changed_task(
    server: RunningServer, gql: GraphQLClient, admin_token: str
) -> None:
    """What the Apollo test (tests/test_subscriptions_node.py) shows, with Python's `gql`."""
    created = await gql(CREATE, {"n": "before"}, admin_token)
    task_id = created["data"]["createTask"]["id"]
    query = "subscription($id: ID) { taskUpdated(id: $id) { id task { id name priority } } }"
    listening = asyncio.create_task(collect(server, admin_token, query, {"id": task_id}, 1))
    await wait_for_subscribers(server, 1)
    await gql(UPDATE, {"id": task_id, "n": "after", "p": "CRITICAL"}, admin_token)
    (got,) = await asyncio.wait_for(listening, 10)
    assert got["taskUpdated"]["task"] == {"id": task_id, "name": "after", "priority": "CRITICAL"}


async def test_a_snapshot_survives_the_broadcast_channels_json(gql: GraphQLClient) -> None:
    """Redis carries events as JSON (`feeds.BroadcastFeed`): the subject still types."""
    from axonql.schema import subject_types

    task = models.Task(name="carried", progress=30)
    await task.insert()
    event = await emit("TASK_PROGRESS", {"progress": 30}, task_id=task.id)
    carried = models.Event.model_validate_json(event.model_dump_json())
    typed = subject_types.typed("task", carried.snapshots["task"])
    assert (typed.id, typed.name, typed.progress) == (task.id, "carried", 30)
    assert typed.created_at == subject_types.typed("task", event.snapshots["task"]).created_at


async def test_relations_are_read_fresh_for_each_event(
    server: RunningServer, gql: GraphQLClient, admin_token: str
) -> None:
    """A subscription's loaders must not keep a relation from one event to the next."""
    agent = await gql('mutation { createAgent(input: {name: "first"}) { id } }', None, admin_token)
    agent_id = agent["data"]["createAgent"]["id"]
    task = models.Task(name="watched", agent_id=agent_id)
    await task.insert()
    query = "subscription($id: ID) { taskUpdated(id: $id) { task { name agent { name } } } }"
    subscription = await RawSubscription.open(
        f"{server.ws_url}/graphql", admin_token, query, {"id": task.id}
    )
    try:
        await wait_for_subscribers(server, 1)
        await emit("TASK_PROGRESS", {"progress": 1}, task_id=task.id)
        first = (await subscription.next_data())["taskUpdated"]["task"]
        rename = 'mutation($id: ID!) { updateAgent(id: $id, input: {name: "second"}) { id } }'
        await gql(rename, {"id": agent_id}, admin_token)
        await emit("TASK_PROGRESS", {"progress": 2}, task_id=task.id)
        second = (await subscription.next_data())["taskUpdated"]["task"]
    finally:
        await subscription.close()
    assert (first["agent"], second["agent"]) == ({"name": "first"}, {"name": "second"})


async def test_two_callers_of_one_operation_each_get_their_own_answer(
    server: RunningServer, settings: Settings, admin_token: str
) -> None:
    """Same operation, same event, different scopes: the shared execution keeps them apart."""
    limited = await token_for(settings, [Scope.CONSCIOUSNESS_READ], user_id="user_limited")
    task = models.Task(name="seen by one")
    await task.insert()
    query = "subscription { logEntries { taskId task { name } } }"
    url = f"{server.ws_url}/graphql"
    admin = await RawSubscription.open(url, admin_token, query)
    other = await RawSubscription.open(url, limited, query)
    try:
        await wait_for_subscribers(server, 2)
        await emit("LOG_ENTRY", {"level": "info"}, task_id=task.id)
        seen = (await admin.next_data())["logEntries"], (await other.next_data())["logEntries"]
    finally:
        await admin.close()
        await other.close()
    assert seen == (
        {"taskId": task.id, "task": {"name": "seen by one"}},
        {"taskId": task.id, "task": None},
    )
