"""Tasks over real HTTP against a real database: CRUD, filters, pagination, bad input."""

from __future__ import annotations

from typing import Any

from axonql import models
from tests.support import GraphQLClient, error_codes

CREATE = """
mutation CreateTask($input: CreateTaskInput!) {
  createTask(input: $input) { id name status priority createdAt nextRun schedule { type value } }
}
"""

SEED_INPUT: dict[str, Any] = {
    "name": "Data Processing Task",
    "description": "Process incoming data from external sources",
    "type": "data_processing",
    "priority": "HIGH",
    "parameters": {
        "source": "api",
        "destination": "database",
        "transformations": ["clean", "validate", "enrich"],
    },
    "schedule": {"type": "INTERVAL", "value": "300"},
}


async def test_create_read_update_delete(gql: GraphQLClient, admin_token: str) -> None:
    created = await gql(CREATE, {"input": SEED_INPUT}, admin_token)
    assert "errors" not in created, created
    task = created["data"]["createTask"]
    assert task["id"].startswith("task_")
    assert task["status"] == "CREATED"
    assert task["schedule"] == {"type": "interval", "value": "300"}
    assert task["nextRun"] is not None

    fetched = await gql(
        "query($id: ID!) { task(id: $id) { name parameters priority } }",
        {"id": task["id"]},
        admin_token,
    )
    assert fetched["data"]["task"]["parameters"]["transformations"] == [
        "clean",
        "validate",
        "enrich",
    ]

    updated = await gql(
        'mutation($id: ID!) { updateTask(id: $id, input: {name: "Updated", priority: MEDIUM})'
        " { name priority } }",
        {"id": task["id"]},
        admin_token,
    )
    assert updated["data"]["updateTask"] == {"name": "Updated", "priority": "MEDIUM"}

    deleted = await gql(
        "mutation($id: ID!) { deleteTask(id: $id) }", {"id": task["id"]}, admin_token
    )
    assert deleted["data"]["deleteTask"] is True
    assert await models.Task.get(task["id"]) is None


async def test_octospine_get_tasks_with_filtering(gql: GraphQLClient, admin_token: str) -> None:
    for i in range(3):
        await gql(CREATE, {"input": {"name": f"t{i}"}}, admin_token)
    await models.Task.find(models.Task.name == "t1").update({"$set": {"status": "running"}})
    query = """
    query GetTasks($status: TaskStatus, $limit: Int) {
      tasks(filter: { status: $status, limit: $limit }) {
        id name type status progress createdAt lastRun
      }
    }"""
    body = await gql(query, {"status": "RUNNING", "limit": 10}, admin_token)
    assert [t["name"] for t in body["data"]["tasks"]] == ["t1"]
    body = await gql(query, {"limit": 2}, admin_token)
    assert len(body["data"]["tasks"]) == 2


async def test_connection_pages_through_everything(gql: GraphQLClient, admin_token: str) -> None:
    for i in range(7):
        await gql(CREATE, {"input": {"name": f"page{i}", "priority": "LOW"}}, admin_token)
    query = """
    query($after: String) {
      tasksConnection(first: 3, after: $after, sort: {field: NAME, direction: ASC}) {
        totalCount edges { node { name } cursor } pageInfo { hasNextPage endCursor }
      }
    }"""
    names: list[str] = []
    after = None
    while True:
        page = (await gql(query, {"after": after}, admin_token))["data"]["tasksConnection"]
        assert page["totalCount"] == 7
        names += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert names == [f"page{i}" for i in range(7)]


async def test_bad_input_is_refused_and_nothing_changes(
    gql: GraphQLClient, admin_token: str
) -> None:
    created = await gql(CREATE, {"input": {"name": "keep me"}}, admin_token)
    task_id = created["data"]["createTask"]["id"]
    cases: list[tuple[dict[str, Any], str]] = [
        ({"input": {"name": "x" * 10_000}}, "name"),
        ({"input": {"name": "   "}}, "name"),
        (
            {"input": {"name": "s", "schedule": {"type": "INTERVAL", "value": "-5"}}},
            "schedule.value",
        ),
        (
            {"input": {"name": "s", "schedule": {"type": "CRON", "value": "not cron"}}},
            "schedule.value",
        ),
        ({"input": {"name": "p", "parameters": [1, 2]}}, "parameters"),
        ({"input": {"name": "p", "parameters": {"big": [2**64]}}}, "parameters"),
    ]
    for variables, field in cases:
        body = await gql(CREATE, variables, admin_token)
        assert error_codes(body) == ["VALIDATION_ERROR"], body
        assert body["errors"][0]["extensions"]["field"] == field
        assert body["errors"][0]["extensions"]["status"] == 422
    wrong_type = await gql(CREATE, {"input": {"name": 5}}, admin_token)
    assert error_codes(wrong_type) == ["INVALID_REQUEST"]
    unknown = await gql(
        'mutation { updateTask(id: "task_nope", input: {name: "x"}) { id } }', token=admin_token
    )
    assert error_codes(unknown) == ["RESOURCE_NOT_FOUND"]
    bad_update = await gql(
        'mutation($id: ID!) { updateTask(id: $id, input: {name: ""}) { id } }',
        {"id": task_id},
        admin_token,
    )
    assert error_codes(bad_update) == ["VALIDATION_ERROR"]
    assert await models.Task.find_all().count() == 1
    stored = await models.Task.get(task_id)
    assert stored is not None and stored.name == "keep me"
