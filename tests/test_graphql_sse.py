"""GraphQL over SSE (graphql-sse): both modes, raw with httpx and with the npm client in Node."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from axonql.scopes import Scope
from axonql.services.events import emit
from axonql.settings import Settings
from tests.support import RunningServer, token_for
from tests.test_subscriptions import wait_for_subscribers
from tests.test_subscriptions_node import NODE_DIR, node_or_skip

LOGS = "subscription { logEntries { id payload } }"
LOGS_AFTER = "subscription($after: ID) { logEntries(after: $after) { id payload } }"
LOGS_NO_ID = "subscription { logEntries { payload } }"
TOKEN = "X-GraphQL-Event-Stream-Token"


@dataclass
class Message:
    event: str
    data: Any
    id: str | None


class Reader:
    """The messages of one raw event stream; keep-alive comments are counted."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.aiter_lines()
        self.comments = 0

    async def next(self, timeout: float = 10) -> Message:
        fields: dict[str, str] = {}
        async with asyncio.timeout(timeout):
            async for line in self.lines:
                if not line:
                    if fields:
                        data = fields.get("data", "")
                        parsed = json.loads(data) if data else None
                        return Message(fields["event"], parsed, fields.get("id"))
                    continue
                if line.startswith(":"):
                    self.comments += 1
                    continue
                name, _, value = line.partition(":")
                fields[name] = value[1:] if value.startswith(" ") else value
        raise EOFError("the stream ended")

    async def end(self, timeout: float = 10) -> None:
        """Until the server ends the stream; no message may come before."""
        try:
            message = await self.next(timeout)
        except EOFError:
            return
        raise AssertionError(f"unexpected {message}")


def headers(token: str | None = None, **extra: str) -> dict[str, str]:
    found = {"Accept": "text/event-stream", **extra}
    if token:
        found["Authorization"] = f"Bearer {token}"
    return found


@contextlib.asynccontextmanager
async def stream(
    http: httpx.AsyncClient,
    query: str,
    token: str | None,
    variables: dict[str, Any] | None = None,
    path: str = "/graphql",
    **extra: str,
) -> AsyncIterator[Reader]:
    """A distinct-connections stream (POST), closed by the client on exit."""
    body = {"query": query, "variables": variables or {}}
    async with http.stream("POST", path, json=body, headers=headers(token, **extra)) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield Reader(response)


async def log(message: str) -> str:
    return (await emit("LOG_ENTRY", {"level": "info", "message": message})).id


async def hub_empties(server: RunningServer, timeout: float = 10) -> None:
    hub = server.app.state.axon.realtime.hub
    async with asyncio.timeout(timeout):
        while len(hub):
            await asyncio.sleep(0.01)


# Distinct connections mode


@pytest.mark.parametrize("path", ["/graphql", "/api/graphql"])
async def test_subscription_streams_next_events_with_event_ids(
    server: RunningServer, http: httpx.AsyncClient, admin_token: str, path: str
) -> None:
    async with stream(http, LOGS_NO_ID, admin_token, path=path) as reader:
        await wait_for_subscribers(server, 1)
        sent = [await log("one"), await log("two")]
        got = [await reader.next(), await reader.next()]
        assert [m.event for m in got] == ["next", "next"]
        # The `id:` line names the event even though the selection has no `id`.
        assert [m.id for m in got] == sent
        assert got[1].data == {
            "data": {"logEntries": {"payload": {"level": "info", "message": "two"}}}
        }
    await hub_empties(server)


async def test_query_over_sse_is_one_next_then_complete(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    async with stream(http, "{ __typename }", admin_token) as reader:
        first = await reader.next()
        assert (first.event, first.data, first.id) == (
            "next",
            {"data": {"__typename": "Query"}},
            None,
        )
        complete = await reader.next()
        assert (complete.event, complete.data) == ("complete", None)
        await reader.end()


async def test_get_runs_queries_but_not_mutations(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    params = {"query": "{ __typename }"}
    async with http.stream("GET", "/graphql", params=params, headers=headers()) as response:
        reader = Reader(response)
        assert (await reader.next()).data == {"data": {"__typename": "Query"}}
        assert (await reader.next()).event == "complete"
    mutation = {"query": 'mutation { writeLogEntry(input: {message: "x"}) { id } }'}
    async with http.stream("GET", "/graphql", params=mutation, headers=headers(admin_token)) as r:
        reader = Reader(r)
        refused = await reader.next()
        assert refused.data["errors"][0]["extensions"]["code"] == "INVALID_REQUEST"
        assert (await reader.next()).event == "complete"


async def test_validation_errors_come_as_a_next_event(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    async with stream(http, "subscription { noSuchField }", admin_token) as reader:
        failed = await reader.next()
        assert failed.event == "next"
        assert failed.data["errors"][0]["extensions"]["code"] == "INVALID_REQUEST"
        assert (await reader.next()).event == "complete"


async def test_a_bad_credential_is_refused_before_the_stream(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json={"query": LOGS}, headers=headers("not-a-token"))
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "AUTHENTICATION_FAILED"


async def test_missing_credentials_and_scopes_are_graphql_errors(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    async with stream(http, LOGS, None) as reader:
        failed = await reader.next()
        assert failed.data["errors"][0]["extensions"]["code"] == "AUTHENTICATION_FAILED"
        assert (await reader.next()).event == "complete"
    reader_token = await token_for(settings, [Scope.TASKS_READ], user_id="user_sse_reader")
    async with stream(http, "subscription { systemAlerts { id } }", reader_token) as reader:
        denied = await reader.next()
        assert denied.data["errors"][0]["extensions"]["code"] == "AUTHORIZATION_DENIED"
        assert (await reader.next()).event == "complete"


@pytest.mark.parametrize("query", [LOGS, LOGS_AFTER, LOGS_NO_ID])
async def test_last_event_id_resumes_without_gap_or_duplicate(
    server: RunningServer, http: httpx.AsyncClient, admin_token: str, query: str
) -> None:
    older = await log("older")
    variables = {"after": older} if "$after" in query else {}
    async with stream(http, query, admin_token, variables) as reader:
        await wait_for_subscribers(server, 1)
        seen = await log("seen")
        first = await reader.next()
        assert first.id == seen
    # The client dropped the stream; these happen while it is away.
    await hub_empties(server)
    missed = [await log("missed1"), await log("missed2")]
    async with stream(http, query, admin_token, variables, **{"Last-Event-ID": first.id}) as r:
        replayed = [await r.next(), await r.next()]
        await wait_for_subscribers(server, 1)
        live = await log("live")
        after = await r.next()
    assert [m.id for m in [*replayed, after]] == [*missed, live]
    messages = [m.data["data"]["logEntries"]["payload"]["message"] for m in [*replayed, after]]
    assert messages == ["missed1", "missed2", "live"]


async def test_a_malformed_last_event_id_is_refused(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    response = await http.post(
        "/graphql",
        json={"query": LOGS},
        headers=headers(admin_token, **{"Last-Event-ID": "yesterday"}),
    )
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "VALIDATION_ERROR"
    assert error["extensions"]["field"] == "Last-Event-ID"


async def test_a_vanished_client_leaves_no_subscriber(
    server: RunningServer, http: httpx.AsyncClient, admin_token: str
) -> None:
    for _ in range(3):
        async with stream(http, LOGS, admin_token):
            await wait_for_subscribers(server, 1)
    # A client that vanishes: its connection closes with the response still open.
    other = httpx.AsyncClient(base_url=server.url, timeout=10)
    request = other.build_request(
        "POST", "/graphql", json={"query": LOGS}, headers=headers(admin_token)
    )
    response = await other.send(request, stream=True)
    assert response.status_code == 200
    await wait_for_subscribers(server, 1)
    await other.aclose()
    await hub_empties(server)


async def test_keep_alive_comments_at_the_configured_interval(
    server: RunningServer, http: httpx.AsyncClient, admin_token: str
) -> None:
    settings = server.app.state.axon.settings
    interval = settings.ws_keep_alive_seconds
    settings.ws_keep_alive_seconds = 0.1
    try:
        async with stream(http, LOGS, admin_token) as reader:
            await wait_for_subscribers(server, 1)
            await asyncio.sleep(0.5)
            event_id = await log("after a pause")
            assert (await reader.next()).id == event_id
            assert reader.comments >= 3  # the first at once, then one per interval
    finally:
        settings.ws_keep_alive_seconds = interval


# Single connection mode


async def reserve(http: httpx.AsyncClient, token: str | None) -> str:
    response = await http.put("/graphql", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201
    return response.text


async def post(
    http: httpx.AsyncClient,
    stream_token: str,
    token: str | None,
    query: str,
    operation_id: str | None,
    **extra: str,
) -> httpx.Response:
    body: dict[str, Any] = {"query": query}
    if operation_id is not None:
        body["extensions"] = {"operationId": operation_id}
    sent = {TOKEN: stream_token, **extra}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    return await http.post("/graphql", json=body, headers=sent)


async def test_single_connection_put_get_post_delete(
    server: RunningServer, http: httpx.AsyncClient, admin_token: str
) -> None:
    stream_token = await reserve(http, admin_token)
    get_headers = {"Accept": "text/event-stream", TOKEN: stream_token}
    async with http.stream("GET", "/graphql", headers=get_headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        reader = Reader(response)
        accepted = await post(http, stream_token, admin_token, LOGS_NO_ID, "logs")
        assert accepted.status_code == 202
        await wait_for_subscribers(server, 1)
        event_id = await log("single")
        got = await reader.next()
        assert (got.event, got.id) == ("next", event_id)
        assert got.data == {
            "id": "logs",
            "payload": {
                "data": {"logEntries": {"payload": {"level": "info", "message": "single"}}}
            },
        }
        again = await post(http, stream_token, admin_token, LOGS_NO_ID, "logs")
        assert again.status_code == 409
        query = await post(http, stream_token, admin_token, "{ __typename }", "q1")
        assert query.status_code == 202
        assert await reader.next() == Message(
            "next", {"id": "q1", "payload": {"data": {"__typename": "Query"}}}, None
        )
        assert await reader.next() == Message("complete", {"id": "q1"}, None)
        stopped = await http.delete(
            "/graphql",
            params={"operationId": "logs"},
            headers={TOKEN: stream_token, "Authorization": f"Bearer {admin_token}"},
        )
        assert stopped.status_code == 200
        await hub_empties(server)  # the stream is still open, the operation is not
        second = await http.get("/graphql", params={"token": stream_token}, headers=get_headers)
        assert second.status_code == 409
    await asyncio.sleep(0)
    reservations = server.app.state.axon.sse_reservations
    async with asyncio.timeout(5):
        while len(reservations):
            await asyncio.sleep(0.01)


async def test_single_connection_refusals(
    http: httpx.AsyncClient, admin_token: str, settings: Settings
) -> None:
    unknown = await http.get(
        "/graphql", params={"token": "nope"}, headers={"Accept": "text/event-stream"}
    )
    assert unknown.status_code == 404
    assert unknown.json()["errors"][0]["extensions"]["code"] == "RESOURCE_NOT_FOUND"
    assert (await post(http, "nope", admin_token, LOGS, "a")).status_code == 404
    assert (await http.delete("/graphql", params={"operationId": "a"})).status_code == 404
    bad_credential = await http.put("/graphql", headers={"Authorization": "Bearer junk"})
    assert bad_credential.status_code == 401

    stream_token = await reserve(http, admin_token)
    missing_id = await post(http, stream_token, admin_token, LOGS, None)
    assert missing_id.status_code == 400
    assert missing_id.json()["errors"][0]["extensions"]["code"] == "INVALID_REQUEST"
    no_operation = await http.delete(
        "/graphql", headers={TOKEN: stream_token, "Authorization": f"Bearer {admin_token}"}
    )
    assert no_operation.status_code == 400
    # Only whoever reserved the stream may run operations on it.
    stranger = await token_for(settings, [Scope.ADMIN_SYSTEM], user_id="user_sse_stranger")
    assert (await post(http, stream_token, stranger, LOGS, "b")).status_code == 404
    assert (await post(http, stream_token, None, LOGS, "b")).status_code == 404


async def test_single_connection_stream_gone_stops_its_operations(
    server: RunningServer, http: httpx.AsyncClient, admin_token: str
) -> None:
    stream_token = await reserve(http, admin_token)
    async with http.stream("GET", "/graphql", params={"token": stream_token}) as response:
        assert response.status_code == 200
        for n in range(3):
            accepted = await post(http, stream_token, admin_token, LOGS, f"op{n}")
            assert accepted.status_code == 202
        await wait_for_subscribers(server, 3)
    await hub_empties(server)
    assert (await post(http, stream_token, admin_token, LOGS, "late")).status_code == 404


async def test_an_unclaimed_reservation_expires_with_its_operations(
    server: RunningServer, http: httpx.AsyncClient, admin_token: str
) -> None:
    reservations = server.app.state.axon.sse_reservations
    ttl, reservations.ttl = reservations.ttl, 0.3
    try:
        stream_token = await reserve(http, admin_token)
    finally:
        reservations.ttl = ttl
    assert (await post(http, stream_token, admin_token, LOGS, "waiting")).status_code == 202
    await wait_for_subscribers(server, 1)
    await hub_empties(server)
    assert reservations.find(stream_token) is None


# The graphql-sse npm client


async def run_client(
    server: RunningServer,
    token: str,
    mode: str,
    count: int,
    query: str,
    variables: dict[str, Any] | None = None,
    last_event_id: str = "",
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        node_or_skip(),
        str(NODE_DIR / "sse.mjs"),
        f"{server.url}/graphql",
        token,
        mode,
        str(count),
        query,
        json.dumps(variables or {}),
        last_event_id,
        stdout=asyncio.subprocess.PIPE,
    )


async def lines(process: asyncio.subprocess.Process) -> list[dict[str, Any]]:
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


def results(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["next"]["data"]["logEntries"] for m in messages if "next" in m]


@pytest.mark.parametrize("mode", ["distinct", "single"])
async def test_graphql_sse_client_receives_and_resumes(
    server: RunningServer, admin_token: str, mode: str
) -> None:
    client = await run_client(server, admin_token, mode, 2, LOGS)
    await wait_for_subscribers(server, 1, timeout=30)
    first = [await log(f"live{n}") for n in (1, 2)]
    received = results(await lines(client))
    assert [r["id"] for r in received] == first
    assert received[0]["payload"]["message"] == "live1"
    # Restarted with the last id it saw, the client gets exactly what it missed.
    await hub_empties(server)
    missed = [await log(f"missed{n}") for n in (1, 2)]
    client = await run_client(server, admin_token, mode, 3, LOGS, last_event_id=first[-1])
    await wait_for_subscribers(server, 1, timeout=30)
    live = await log("live3")
    assert [r["id"] for r in results(await lines(client))] == [*missed, live]
    await hub_empties(server)


@pytest.mark.parametrize("mode", ["distinct", "single"])
async def test_graphql_sse_client_sees_scope_errors(
    server: RunningServer, settings: Settings, mode: str
) -> None:
    reader = await token_for(settings, [Scope.TASKS_READ], user_id="user_sse_node_reader")
    client = await run_client(server, reader, mode, 1, "subscription { systemAlerts { id } }")
    messages = await lines(client)
    errors = [m["next"]["errors"] for m in messages if "next" in m]
    assert errors and errors[0][0]["extensions"]["code"] == "AUTHORIZATION_DENIED"


async def test_a_slow_stream_gets_subscriber_too_slow_then_complete(
    server: RunningServer, http: httpx.AsyncClient, admin_token: str
) -> None:
    """Results wait in the stream's outbox; past it, the subscriber's buffer overflows."""
    settings = server.app.state.axon.settings
    buffer, settings.subscriber_buffer = settings.subscriber_buffer, 2
    try:
        stream_token = await reserve(http, admin_token)
        assert (await post(http, stream_token, admin_token, LOGS, "slow")).status_code == 202
        await wait_for_subscribers(server, 1)
    finally:
        settings.subscriber_buffer = buffer
    sent = [await log(f"e{n}") for n in range(80)]  # nobody reads the stream yet
    async with http.stream("GET", "/graphql", params={"token": stream_token}) as response:
        reader = Reader(response)
        delivered: list[str] = []
        while (result := (message := await reader.next()).data["payload"]).get("data"):
            delivered.append(result["data"]["logEntries"]["id"])
        error = message.data["payload"]["errors"][0]
        assert error["extensions"]["code"] == "SUBSCRIBER_TOO_SLOW"
        assert error["extensions"]["details"]["after"] == delivered[-1]
        assert await reader.next() == Message("complete", {"id": "slow"}, None)
    assert delivered == sent[: len(delivered)]  # in order, no gap, before the overflow
    await hub_empties(server)
