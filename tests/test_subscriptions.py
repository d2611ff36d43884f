"""Subscriptions over real WebSockets with the `gql` client: both protocols, filters, scopes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from gql import Client, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from axonql.app import create_app
from axonql.scopes import Scope
from axonql.services.events import emit
from axonql.settings import Settings
from tests.support import (
    GraphQLClient,
    RunningServer,
    error_codes,
    extra_server,
    server_in_both_modes,  # noqa: F401  (every test: both modes)
    token_for,
)
from tests.ws_client import LEGACY_WS, TRANSPORT_WS, RawSubscription

PROTOCOLS = [WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, WebsocketsTransport.APOLLO_SUBPROTOCOL]

CREATE_TASK = "mutation($name: String!) { createTask(input: {name: $name}) { id } }"
TASK_UPDATED = """
subscription($id: ID, $after: ID) {
  taskUpdated(id: $id, after: $after) { id type taskId payload createdAt }
}"""


def transport(server: RunningServer, token: str | None, protocol: str) -> WebsocketsTransport:
    payload = {"Authorization": f"Bearer {token}"} if token else {}
    return WebsocketsTransport(
        url=f"{server.ws_url}/graphql", init_payload=payload, subprotocols=[protocol]
    )


async def collect(
    server: RunningServer,
    token: str | None,
    query: str,
    variables: dict[str, Any],
    count: int,
    protocol: str = PROTOCOLS[0],
) -> list[dict[str, Any]]:
    """Subscribe and return the first `count` results."""
    received: list[dict[str, Any]] = []
    async with Client(transport=transport(server, token, protocol)) as session:
        async for result in session.subscribe(gql(query), variable_values=variables):
            received.append(result)
            if len(received) == count:
                break
    return received


async def wait_for_subscribers(server: RunningServer, count: int, timeout: float = 10) -> None:
    """Until this instance's hub holds at least `count` live subscribers: each has read where
    it starts, so an event committed from now on reaches it (one only registered may still
    count an event committed now as before its start)."""
    hub = server.app.state.axon.realtime.hub
    async with asyncio.timeout(timeout):
        while hub.live() < count:
            await asyncio.sleep(0.01)


@pytest.fixture
async def reader(settings: Settings) -> str:
    return await token_for(settings, [Scope.TASKS_READ], user_id="user_reader")


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_task_updated_over_both_protocols(
    server: RunningServer, gql: GraphQLClient, admin_token: str, protocol: str
) -> None:
    listening = asyncio.create_task(
        collect(server, admin_token, TASK_UPDATED, {}, 2, protocol=protocol)
    )
    await wait_for_subscribers(server, 1)
    created = await gql(CREATE_TASK, {"name": "watched"}, admin_token)
    task_id = created["data"]["createTask"]["id"]
    await gql(
        'mutation($id: ID!) { updateTask(id: $id, input: {name: "renamed"}) { id } }',
        {"id": task_id},
        admin_token,
    )
    events = [r["taskUpdated"] for r in await asyncio.wait_for(listening, 10)]
    assert [e["payload"]["change"] for e in events] == ["created", "updated"]
    assert {e["taskId"] for e in events} == {task_id}
    assert events[0]["id"] < events[1]["id"]
    assert events[1]["payload"]["name"] == "renamed"


async def test_entity_stream_filters_by_subject(
    server: RunningServer, gql: GraphQLClient, admin_token: str, reader: str
) -> None:
    first = (await gql(CREATE_TASK, {"name": "a"}, admin_token))["data"]["createTask"]["id"]
    # The creation's event may still be on its way to the hub when the subscription registers;
    # committed before it, it is not streamed (tests/test_subscriptions_start.py).
    listening = asyncio.create_task(collect(server, reader, TASK_UPDATED, {"id": first}, 1))
    await wait_for_subscribers(server, 1)
    await gql(CREATE_TASK, {"name": "other"}, admin_token)
    await gql("mutation($id: ID!) { deleteTask(id: $id) }", {"id": first}, admin_token)
    (only,) = await asyncio.wait_for(listening, 10)
    assert only["taskUpdated"]["taskId"] == first
    deleted = only["taskUpdated"]["payload"]
    # Beside the change, a task event carries what the tallies count (services/tallies.py).
    assert deleted["change"] == "deleted"
    assert deleted["status"] == "created"


async def test_events_stream_filters_by_type(
    server: RunningServer, gql: GraphQLClient, admin_token: str
) -> None:
    query = "subscription($t: [EventType!]) { events(types: $t) { type payload } }"
    listening = asyncio.create_task(
        collect(server, admin_token, query, {"t": ["AGENT_STATUS", "LOG_ENTRY"]}, 2)
    )
    await wait_for_subscribers(server, 1)
    await gql(CREATE_TASK, {"name": "ignored"}, admin_token)
    await gql('mutation { createAgent(input: {name: "worker"}) { id } }', None, admin_token)
    await gql('mutation { writeLogEntry(input: {message: "hello"}) { id } }', None, admin_token)
    got = [r["events"] for r in await asyncio.wait_for(listening, 10)]
    assert [e["type"] for e in got] == ["AGENT_STATUS", "LOG_ENTRY"]
    assert got[1]["payload"]["message"] == "hello"


async def test_system_alerts_min_severity_and_log_levels(
    server: RunningServer, gql: GraphQLClient, admin_token: str
) -> None:
    alerts = asyncio.create_task(
        collect(
            server,
            admin_token,
            "subscription { systemAlerts(minSeverity: HIGH) { payload } }",
            {},
            1,
        )
    )
    logs = asyncio.create_task(
        collect(
            server,
            admin_token,
            "subscription($t: ID) { logEntries(level: WARNING, taskId: $t) { payload taskId } }",
            {"t": "task_x"},
            1,
        )
    )
    await wait_for_subscribers(server, 2)
    raise_alert = (
        "mutation($s: AlertSeverity!)"
        ' { raiseSystemAlert(input: {message: "m", severity: $s}) { id } }'
    )
    for severity in ("LOW", "CRITICAL"):
        body = await gql(raise_alert, {"s": severity}, admin_token)
        assert "errors" not in body, body
    write = (
        "mutation($l: LogLevel!, $t: ID)"
        ' { writeLogEntry(input: {message: "x", level: $l, taskId: $t}) { id } }'
    )
    await gql(write, {"l": "ERROR", "t": "task_other"}, admin_token)
    await gql(write, {"l": "INFO", "t": "task_x"}, admin_token)
    await gql(write, {"l": "ERROR", "t": "task_x"}, admin_token)
    (alert,) = await asyncio.wait_for(alerts, 10)
    assert alert["systemAlerts"]["payload"]["severity"] == "critical"
    (entry,) = await asyncio.wait_for(logs, 10)
    assert entry["logEntries"]["payload"]["level"] == "error"
    assert entry["logEntries"]["taskId"] == "task_x"


async def test_subscription_without_scope_is_refused(
    server: RunningServer, reader: str, settings: Settings
) -> None:
    for query in (
        "subscription { events { id } }",
        "subscription { agentUpdated { id } }",
        "subscription { systemAlerts { id } }",
    ):
        with pytest.raises(TransportQueryError) as refused:
            await collect(server, reader, query, {}, 1)
        assert refused.value.errors is not None
        assert refused.value.errors[0]["extensions"]["code"] == "AUTHORIZATION_DENIED"
    with pytest.raises(TransportQueryError) as anonymous:
        await collect(server, None, TASK_UPDATED, {}, 1)
    assert anonymous.value.errors is not None
    assert anonymous.value.errors[0]["extensions"]["code"] == "AUTHENTICATION_FAILED"
    assert len(server.app.state.axon.realtime.hub) == 0


async def test_bad_after_and_bad_input_are_validation_errors(
    server: RunningServer, gql: GraphQLClient, admin_token: str
) -> None:
    for after in ("nope", "evt_12x", "task_1"):
        with pytest.raises(TransportQueryError) as bad:
            await collect(server, admin_token, TASK_UPDATED, {"after": after}, 1)
        assert bad.value.errors is not None
        assert bad.value.errors[0]["extensions"]["code"] == "VALIDATION_ERROR"
    with pytest.raises(TransportQueryError) as bad_level:
        await collect(
            server, admin_token, "subscription { memoryDrift(minLevel: 2) { id } }", {}, 1
        )
    assert bad_level.value.errors is not None
    assert bad_level.value.errors[0]["extensions"]["code"] == "VALIDATION_ERROR"
    body = await gql('mutation { writeLogEntry(input: {message: "  "}) { id } }', None, admin_token)
    assert error_codes(body) == ["VALIDATION_ERROR"]


async def test_keep_alives_per_protocol(
    server: RunningServer, settings: Settings, admin_token: str
) -> None:
    fast_ka = settings.model_copy(update={"ws_keep_alive_seconds": 0.2})
    async with extra_server(create_app(fast_ka), server) as running:
        url = f"{running.ws_url}/graphql"
        query = "subscription { logEntries { id } }"
        legacy = await RawSubscription.open(url, admin_token, query, protocol=LEGACY_WS)
        kinds = [json.loads(await legacy.socket.recv())["type"] for _ in range(3)]
        assert kinds == ["ka", "ka", "ka"]  # graphql-ws: the server's periodic keep-alive
        await legacy.close()
        modern = await RawSubscription.open(url, admin_token, query, protocol=TRANSPORT_WS)
        await modern.socket.send(json.dumps({"type": "ping"}))
        assert json.loads(await modern.socket.recv())["type"] == "pong"  # graphql-transport-ws
        await modern.close()


async def test_shared_execution_keeps_each_operations_shape(
    server: RunningServer, admin_token: str
) -> None:
    """Events are executed once per distinct operation+variables, never mixed between them."""
    url = f"{server.ws_url}/graphql"
    narrow = "subscription { logEntries { id } }"
    wide = "subscription($l: LogLevel) { logEntries(level: $l) { id type payload } }"
    clients = [
        await RawSubscription.open(url, admin_token, narrow),
        await RawSubscription.open(url, admin_token, narrow, protocol=LEGACY_WS),
        await RawSubscription.open(url, admin_token, wide, {"l": "INFO"}),
        await RawSubscription.open(url, admin_token, wide, {"l": "ERROR"}),
    ]
    await wait_for_subscribers(server, 4)
    info = await emit("LOG_ENTRY", {"level": "info", "message": "i"})
    error = await emit("LOG_ENTRY", {"level": "error", "message": "e"})
    assert (await clients[0].next_data())["logEntries"] == {"id": info.id}
    assert (await clients[1].next_data())["logEntries"] == {"id": info.id}
    got_info = (await clients[2].next_data())["logEntries"]
    assert got_info["id"] == info.id and got_info["payload"]["message"] == "i"
    assert (await clients[3].next_data())["logEntries"]["id"] == error.id  # level filter held
    for client in clients:
        await client.close()


async def test_a_running_subscription_ends_when_its_token_expires(
    server: RunningServer, settings: Settings
) -> None:
    from axonql import models
    from axonql.services.auth import issue_access_token

    await token_for(settings, [Scope.TASKS_READ], user_id="user_brief")
    user = await models.User.get("user_brief")
    assert user is not None
    short = settings.model_copy(update={"access_token_ttl_seconds": 2})
    token = issue_access_token(short, user, [Scope.TASKS_READ])
    stream = await RawSubscription.open(
        f"{server.ws_url}/graphql", token, "subscription { taskUpdated { id taskId } }"
    )
    try:
        await wait_for_subscribers(server, 1)
        first = await emit("TASK_PROGRESS", {"progress": 1}, task_id="task_a")
        assert (await stream.next_data())["taskUpdated"]["id"] == first.id
        await asyncio.sleep(2.5)
        await emit("TASK_PROGRESS", {"progress": 2}, task_id="task_a")
        message = await asyncio.wait_for(stream.next_message(), 10)
        assert message["type"] in ("error", "next"), message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "AUTHENTICATION_FAILED"
        assert first.id in errors[0]["message"]
    finally:
        await stream.close()
