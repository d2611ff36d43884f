"""The `graphql-ws` npm client (what browser frontends use) against AxonQL, in Node."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from axonql.scopes import Scope
from axonql.services.events import emit
from axonql.settings import Settings
from tests.support import (
    GraphQLClient,
    RunningServer,
    env_flag,
    server_in_both_modes,  # noqa: F401  (every test: both modes)
    token_for,
)
from tests.test_subscriptions import wait_for_subscribers

NODE_DIR = Path(__file__).parent / "node"


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "graphql-ws").is_dir():
        if env_flag("AXONQL_REQUIRE_NODE"):
            pytest.fail("node and `npm ci --prefix tests/node` are required (make install)")
        pytest.skip("node or tests/node/node_modules missing (run `make install`)")
    return node


async def run_client(
    server: RunningServer, token: str, count: int, query: str, variables: dict[str, Any]
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        node_or_skip(),
        str(NODE_DIR / "subscribe.mjs"),
        f"{server.ws_url}/graphql",
        token,
        str(count),
        query,
        json.dumps(variables),
        stdout=asyncio.subprocess.PIPE,
    )


async def lines(process: asyncio.subprocess.Process) -> list[dict[str, Any]]:
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


async def test_graphql_ws_client_receives_and_resumes(
    server: RunningServer, admin_token: str
) -> None:
    query = "subscription($after: ID) { logEntries(after: $after) { id payload } }"
    earlier = await emit("LOG_ENTRY", {"level": "info", "message": "before"})
    missed = await emit("LOG_ENTRY", {"level": "info", "message": "missed"})
    client = await run_client(server, admin_token, 3, query, {"after": earlier.id})
    await wait_for_subscribers(server, 1, timeout=30)
    live = [await emit("LOG_ENTRY", {"level": "warning", "message": f"live{n}"}) for n in (1, 2)]
    messages = await lines(client)
    results = [m["next"]["data"]["logEntries"] for m in messages if "next" in m]
    assert [r["id"] for r in results] == [missed.id, live[0].id, live[1].id]
    assert results[1]["payload"]["message"] == "live1"
    assert {"connected": True} in messages


async def test_graphql_ws_client_is_refused_without_scope(
    server: RunningServer, settings: Settings
) -> None:
    reader = await token_for(settings, [Scope.TASKS_READ], user_id="user_node_reader")
    client = await run_client(server, reader, 1, "subscription { systemAlerts { id } }", {})
    messages = await lines(client)
    errors = [m["error"] for m in messages if "error" in m]
    assert errors and errors[0][0]["extensions"]["code"] == "AUTHORIZATION_DENIED"


async def test_graphql_ws_client_with_bad_token_is_closed(server: RunningServer) -> None:
    client = await run_client(server, "not-a-token", 1, "subscription { events { id } }", {})
    messages = await lines(client)
    closed = [m["closed"] for m in messages if "closed" in m]
    assert closed and closed[0]["code"] == 4403  # graphql-transport-ws: Forbidden


async def test_apollo_client_cache_is_updated_by_a_subscription(
    server: RunningServer, gql: GraphQLClient, admin_token: str
) -> None:
    """Apollo Client 4 caches a Task, the task changes over plain HTTP, and the Task in its
    normalised cache is the new one, delivered by `taskUpdated` with no refetch."""
    node = node_or_skip()
    created = await gql(
        'mutation { createTask(input: {name: "before", priority: LOW}) { id } }', None, admin_token
    )
    task_id = created["data"]["createTask"]["id"]
    client = await asyncio.create_subprocess_exec(
        node,
        str(NODE_DIR / "apollo_cache.mjs"),
        f"{server.url}/graphql",
        f"{server.ws_url}/graphql",
        admin_token,
        task_id,
        stdout=asyncio.subprocess.PIPE,
    )
    await wait_for_subscribers(server, 1, timeout=30)
    async with httpx.AsyncClient(base_url=server.url) as http:  # plain HTTP, no client cache
        changed = await http.post(
            "/graphql",
            json={
                "query": 'mutation($id: ID!) { updateTask(id: $id, input: {name: "after", '
                "priority: CRITICAL}) { id } }",
                "variables": {"id": task_id},
            },
            headers={"Authorization": f"Bearer {admin_token}"},
        )
    assert changed.status_code == 200 and "errors" not in changed.json(), changed.text
    messages = {key: value for m in await lines(client) for key, value in m.items()}
    assert messages["cached"] == {
        "__typename": "Task", "id": task_id, "name": "before", "status": "CREATED",
        "priority": "LOW",
    }  # fmt: skip
    assert messages["event"]["taskUpdated"]["task"]["name"] == "after"
    assert messages["fromCache"] == {**messages["cached"], "name": "after", "priority": "CRITICAL"}
    assert messages["httpRequests"] == 1  # the first query; nothing refetched
