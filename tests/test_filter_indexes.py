"""Each equality filter a list offers is read newest first from an index holding only its
matches: `(filter, created_at)` (tasks: `(is_automation, filter, created_at)`).

A filter without one is read in windows of the `created_at` index checking the filter on every
document, so one that matches a few documents reads the collection. Each query a list sends
here is `explain`ed (see `tests/test_filtered_orders.assert_covered`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from beanie import Document

from axonql import models
from axonql.models.base import utcnow
from axonql.services.events import rebuild_kept
from tests.support import GraphQLClient, RequestCommands
from tests.test_filtered_orders import assert_covered

Case = tuple[str, str, type[Document], dict[str, Any], dict[str, Any], dict[str, Any]]
"""(list field, filter input type, model, the filter, what the few matching documents hold,
what every document needs)."""

CASES: list[Case] = [
    ("tasks", "TaskFilter", models.Task, {"agentId": "x"}, {"agent_id": "x"}, {"name": "t"}),
    ("tasks", "TaskFilter", models.Task, {"systemId": "x"}, {"system_id": "x"}, {"name": "t"}),
    ("tasks", "TaskFilter", models.Task, {"parentId": "x"}, {"parent_id": "x"}, {"name": "t"}),
    ("tasks", "TaskFilter", models.Task, {"tags": ["x"]}, {"tags": ["x"]}, {"name": "t"}),
    (
        "tasks",
        "TaskFilter",
        models.Task,
        {"capability": "x"},
        {"required_capabilities": ["x"]},
        {"name": "t"},
    ),
    ("memories", "MemoryFilter", models.Memory, {"tags": ["x"]}, {"tags": ["x"]}, {"content": "m"}),
    ("memories", "MemoryFilter", models.Memory, {"types": ["x"]}, {"type": "x"}, {"content": "m"}),
    (
        "memories",
        "MemoryFilter",
        models.Memory,
        {"ownerUserId": "x"},
        {"owner_user_id": "x"},
        {"content": "m"},
    ),
    (
        "memories",
        "MemoryFilter",
        models.Memory,
        {"ownerSystemId": "x"},
        {"owner_system_id": "x"},
        {"content": "m"},
    ),
    ("agents", "AgentFilter", models.Agent, {"type": "x"}, {"type": "x"}, {"name": "a"}),
    ("agents", "AgentFilter", models.Agent, {"status": "BUSY"}, {"status": "busy"}, {"name": "a"}),
    (
        "agents",
        "AgentFilter",
        models.Agent,
        {"capability": "x"},
        {"capabilities": ["x"]},
        {"name": "a"},
    ),
    ("agents", "AgentFilter", models.Agent, {"systemId": "x"}, {"system_id": "x"}, {"name": "a"}),
    ("agents", "AgentFilter", models.Agent, {"tags": ["x"]}, {"tags": ["x"]}, {"name": "a"}),
    ("systems", "SystemFilter", models.System, {"kind": "x"}, {"kind": "x"}, {}),
    ("systems", "SystemFilter", models.System, {"tags": ["x"]}, {"tags": ["x"]}, {}),
    (
        "populations",
        "PopulationFilter",
        models.Population,
        {"specialization": "x"},
        {"specialization": "x"},
        {},
    ),
    ("populations", "PopulationFilter", models.Population, {"tags": ["x"]}, {"tags": ["x"]}, {}),
    ("users", "UserFilter", models.User, {"scope": "x"}, {"scopes": ["x"]}, {}),
    ("users", "UserFilter", models.User, {"tag": "x"}, {"tags": ["x"]}, {}),
]


@pytest.mark.parametrize(
    ("field", "input_type", "model", "where", "holds", "needs"),
    CASES,
    ids=[f"{c[0]}.{next(iter(c[3]))}" for c in CASES],
)
async def test_a_filter_of_few_matches_is_read_from_an_index_holding_only_them(
    gql: GraphQLClient,
    admin_token: str,
    request_commands: RequestCommands,
    field: str,
    input_type: str,
    model: type[Document],
    where: dict[str, Any],
    holds: dict[str, Any],
    needs: dict[str, Any],
) -> None:
    now = utcnow()
    docs = [
        model(
            **(needs | ({"name": f"n{i}"} if "name" in model.model_fields else {}))
            | ({"username": f"u{i}"} if model is models.User else {})
            | (holds if i % 40 == 3 else {})
            | {"created_at": now - timedelta(minutes=i)}
        )
        for i in range(200)
    ]
    await model.insert_many(docs)
    await rebuild_kept()
    collection = model.get_pymongo_collection().name
    query = f"query($f: {input_type}) {{ {field}(filter: $f) {{ id }} }}"
    with request_commands.kept():
        body = await gql(query, {"f": where}, admin_token)
    assert not body.get("errors"), body
    assert len(body["data"][field]) == 5, body
    asked = [c["filter"] for c in request_commands.commands if c.get("find") == collection]
    assert asked, request_commands.commands
    for sent in asked:
        await assert_covered(sent, model)
