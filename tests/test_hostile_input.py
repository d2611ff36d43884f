"""Hostile JSON at every door: lone surrogates, NUL and `$`/`.` keys, deep nesting.

Each is refused where it enters (GraphQL over HTTP and WebSocket, every REST API, every
legacy stream) as a VALIDATION_ERROR naming the field, in that door's own error format:
never a 500, never a plain-text traceback, and nothing stored changes.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from axonql import models
from tests.support import RunningServer

SURROGATE = "\\ud800"  # a JSON escape: Python's json turns it into a lone surrogate
DEPTH = 3000  # deeper than Python's recursion limit lets `json` parse
CREATE_TASK = 'mutation($p: JSON){ createTask(input: {name: \\"x\\", parameters: $p}) { id } }'


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def error_of(body: dict[str, Any]) -> tuple[str, str | None]:
    """The code and field of an error in any of AxonQL's formats (GraphQL or an envelope)."""
    if "errors" in body:
        ext = body["errors"][0]["extensions"]
        return ext["code"], ext.get("field")
    error = body["error"]
    return error["code"], (error.get("details") or {}).get("field")


async def counts() -> dict[str, int]:
    return {
        "tasks": await models.Task.find_all().count(),
        "memories": await models.Memory.find_all().count(),
        "agents": await models.Agent.find_all().count(),
    }


async def post_raw(
    http: httpx.AsyncClient, path: str, body: str, token: str | None = None
) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await http.post(path, content=body.encode(), headers=headers)


def refused(response: httpx.Response, code: str, field: str) -> None:
    """A 4xx JSON answer with `code` whose field starts with `field`."""
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    found_code, found_field = error_of(response.json())
    assert found_code == code, response.text
    assert found_field is not None and found_field.startswith(field), response.text


SURROGATE_CASES = [
    # (path, raw JSON body, expected code in that API's words, field)
    ("/auth/login", f'{{"username":"{SURROGATE}","password":"x"}}', "INVALID_INPUT", "username"),
    ("/v1/auth/refresh", f'{{"refresh_token":"{SURROGATE}"}}', "VALIDATION_ERROR", "refresh_"),
    ("/api/tasks", f'{{"name":"{SURROGATE}"}}', "VALIDATION_ERROR", "name"),
    ("/api/tasks", f'{{"name":"x","parameters":{{"{SURROGATE}":1}}}}', "VALIDATION_ERROR", "par"),
    (
        "/v1/memory/store",
        f'{{"content":{{"type":"episodic","data":"{SURROGATE}"}}}}',
        "VALIDATION_ERROR",
        "content",
    ),
    (
        "/graphql",
        '{"query":"mutation($u: String!){ login(username: $u, password: \\"x\\") '
        f'{{ accessToken }} }}","variables":{{"u":"{SURROGATE}"}}}}',
        "VALIDATION_ERROR",
        "u",
    ),
    (
        "/graphql",
        '{"query":"query($i: ID!){ task(id: $i) { id } }",'
        f'"variables":{{"i":"{SURROGATE}"}}}}',
        "VALIDATION_ERROR",
        "i",
    ),
    (
        "/api/graphql",
        f'{{"query":"{CREATE_TASK}","variables":{{"p":{{"k":["{SURROGATE}"]}}}}}}',
        "VALIDATION_ERROR",
        "p.k[0]",
    ),
    (  # a search is cut into pieces: a lone surrogate never reaches the query
        "/graphql",
        '{"query":"query($s: String){ tasks(filter: {search: $s, status: COMPLETED}) { id } }",'
        f'"variables":{{"s":"ab{SURROGATE}cd"}}}}',
        "VALIDATION_ERROR",
        "s",
    ),
]


PUBLIC = ("/auth/login", "/v1/auth/refresh")


@pytest.mark.parametrize(("path", "body", "code", "field"), SURROGATE_CASES)
async def test_lone_surrogates_are_a_validation_error_not_a_500(
    http: httpx.AsyncClient, admin_token: str, path: str, body: str, code: str, field: str
) -> None:
    """Finding 1: a lone surrogate anywhere in the JSON (login and refresh need no token)."""
    before = await counts()
    public = path in PUBLIC or "login(" in body
    response = await post_raw(http, path, body, None if public else admin_token)
    refused(response, code, field)
    assert await counts() == before


NUL_KEY = '{"k\\u0000":1}'


@pytest.mark.parametrize(
    ("path", "body", "code", "field"),
    [
        ("/api/tasks", f'{{"name":"x","parameters":{NUL_KEY}}}', "VALIDATION_ERROR", "parameters"),
        (
            "/v1/memory/store",
            f'{{"content":{{"type":"episodic","data":"x","context":{NUL_KEY}}}}}',
            "VALIDATION_ERROR",
            "content",
        ),
        (
            "/graphql",
            f'{{"query":"{CREATE_TASK}","variables":{{"p":{NUL_KEY}}}}}',
            "VALIDATION_ERROR",
            "p",
        ),
        (
            "/graphql",
            '{"query":"mutation($c: JSON){ createMemory(input: {type: \\"episodic\\", '
            f'content: \\"x\\", context: $c}}) {{ id }} }}","variables":{{"c":{NUL_KEY}}}}}',
            "VALIDATION_ERROR",
            "c",
        ),
        (
            "/graphql",
            '{"query":"mutation($m: JSON){ createAgent(input: {name: \\"a\\", metadata: $m}) '
            f'{{ id }} }}","variables":{{"m":{NUL_KEY}}}}}',
            "VALIDATION_ERROR",
            "m",
        ),
    ],
)
async def test_nul_in_object_keys_is_a_validation_error_not_a_500(
    http: httpx.AsyncClient, admin_token: str, path: str, body: str, code: str, field: str
) -> None:
    """Finding 2: a NUL byte in a key (BSON cannot hold it) is refused before the database."""
    before = await counts()
    response = await post_raw(http, path, body, admin_token)
    refused(response, code, field)
    assert "BSON" not in response.text and "NULL byte" not in response.text
    assert await counts() == before


@pytest.mark.parametrize(
    ("key", "variables", "field"),
    [
        ("$where", {"p": {"$where": 1}}, "parameters"),
        ("a.b", {"p": {"nested": {"a.b": 1}}}, "parameters"),
    ],
)
async def test_operator_and_dotted_keys_never_reach_a_stored_document(
    http: httpx.AsyncClient, admin_token: str, key: str, variables: dict[str, Any], field: str
) -> None:
    """`$…` and dotted keys in task parameters, system config and REST bodies are refused."""
    before = await counts()
    query = CREATE_TASK.replace('\\"', '"')
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert error_of(response.json()) == ("VALIDATION_ERROR", field), response.text
    rest = await http.post(
        "/api/tasks",
        json={"name": "x", "parameters": variables["p"]},
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    refused(rest, "VALIDATION_ERROR", "parameters")
    system = await models.System.find_one()
    assert system is not None
    config_before = dict(system.config)
    update = await http.post(
        "/graphql",
        json={
            "query": "mutation($id: ID!, $c: JSON){ updateSystem(id: $id, input: {config: $c})"
            " { id } }",
            "variables": {"id": system.id, "c": {"features": {key: True}}},
        },
        headers={"Authorization": f"Bearer {admin_token}"},
    )
    assert error_of(update.json()) == ("VALIDATION_ERROR", "config"), update.text
    stored = await models.System.get(system.id)
    assert stored is not None and stored.config == config_before
    assert await counts() == before


@pytest.mark.parametrize("path", ["/graphql", "/api/graphql"])
@pytest.mark.parametrize("depth", [65, DEPTH])
async def test_deep_json_over_http_is_a_json_validation_error(
    http: httpx.AsyncClient, path: str, depth: int
) -> None:
    """Finding 3 (HTTP): nesting past `max_json_depth` is refused naming the variable."""
    body = f'{{"query":"{{health{{status}}}}","variables":{{"p":{nested(depth)}}}}}'
    response = await post_raw(http, path, body)
    refused(response, "VALIDATION_ERROR", "p[0]")
    assert response.json()["errors"][0]["extensions"]["status"] == 422
    fine = await post_raw(
        http, path, f'{{"query":"{{health{{status}}}}","variables":{{"p":{nested(64)}}}}}'
    )
    assert fine.json() == {"data": {"health": {"status": "healthy"}}}


async def test_unparseable_graphql_bodies_are_json_400s(http: httpx.AsyncClient) -> None:
    """The request body itself: a JSON 400 with a code, never Strawberry's text/plain."""
    for content in (b'{"query": "{health{status}}"', b"\xff\xfe{", b'{"query": NaN}'):
        response = await http.post(
            "/graphql", content=content, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/json")
        assert error_of(response.json())[0] == "INVALID_REQUEST"


@pytest.fixture
async def sockets(server: RunningServer) -> AsyncIterator[Any]:
    """`await sockets(path, protocol=…)` opens a WebSocket; all are closed after the test."""
    opened: list[ClientConnection] = []

    async def open_socket(
        path: str, protocol: str | None = None, token: str | None = None
    ) -> ClientConnection:
        url = server.ws_url + path + (f"?token={token}" if token else "")
        protocols: Any = [protocol] if protocol else None
        connection = await connect(url, subprotocols=protocols, open_timeout=10, max_size=None)
        opened.append(connection)
        return connection

    yield open_socket
    for connection in opened:
        await connection.close()


async def recv(socket: ClientConnection, timeout: float = 10.0) -> dict[str, Any]:
    """The next message that is not a keep-alive."""
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), timeout))
        if message.get("type") not in ("ka", "ping", "pong"):
            return message


async def initialised(
    sockets: Any, protocol: str, token: str, path: str = "/graphql"
) -> ClientConnection:
    socket: ClientConnection = await sockets(path, protocol)
    init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
    await socket.send(json.dumps(init))
    assert (await recv(socket))["type"] == "connection_ack"
    return socket


async def close_code(socket: ClientConnection, timeout: float = 10.0) -> int | None:
    try:
        while True:
            await asyncio.wait_for(socket.recv(), timeout)
    except ConnectionClosed as exc:
        return exc.rcvd.code if exc.rcvd else None


HOSTILE_VARIABLES = {
    "deep": ('{"p":' + nested(DEPTH) + "}", "p[0]"),
    "surrogate": (f'{{"p":{{"k":"{SURROGATE}"}}}}', "p.k"),
    "nul-key": (f'{{"p":{NUL_KEY}}}', "p.k"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_VARIABLES))
@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_hostile_json_over_graphql_websockets_is_an_error_for_that_operation(
    sockets: Any, admin_token: str, protocol: str, case: str
) -> None:
    """Finding 3 (WebSocket): an `error` message naming the field; the socket stays usable."""
    variables, field = HOSTILE_VARIABLES[case]
    socket = await initialised(sockets, protocol, admin_token)
    start = "subscribe" if protocol == "graphql-transport-ws" else "start"
    query = "subscription { taskUpdated { id } }"
    await socket.send(
        f'{{"id":"1","type":"{start}","payload":{{"query":"{query}","variables":{variables}}}}}'
    )
    error = await recv(socket)
    assert error["type"] == "error" and error["id"] == "1", error
    payload = error["payload"][0] if isinstance(error["payload"], list) else error["payload"]
    assert payload["extensions"]["code"] == "VALIDATION_ERROR"
    assert payload["extensions"]["field"].startswith(field)
    # The socket keeps serving: the next operation gets its own answer.
    await socket.send(
        f'{{"id":"2","type":"{start}","payload":{{"query":"{query}","variables":{variables}}}}}'
    )
    assert (await recv(socket))["id"] == "2"
    if protocol == "graphql-transport-ws":  # queries run over this protocol too
        query_ok = {"id": "3", "type": start, "payload": {"query": "{ health { status } }"}}
        await socket.send(json.dumps(query_ok))
        data = await recv(socket)
        assert data["id"] == "3" and data["payload"]["data"] == {"health": {"status": "healthy"}}


@pytest.mark.parametrize("protocol", ["graphql-transport-ws", "graphql-ws"])
async def test_an_operation_name_that_is_not_a_string_is_refused_over_websockets(
    sockets: Any, admin_token: str, protocol: str
) -> None:
    """As over HTTP (400 INVALID_REQUEST): an `error` for that operation, never a 500."""
    socket = await initialised(sockets, protocol, admin_token)
    start = "subscribe" if protocol == "graphql-transport-ws" else "start"
    payload = {"query": "subscription { taskUpdated { id } }", "operationName": {"obj": 1}}
    await socket.send(json.dumps({"id": "1", "type": start, "payload": payload}))
    error = await recv(socket)
    assert error["type"] == "error" and error["id"] == "1", error
    body = error["payload"][0] if isinstance(error["payload"], list) else error["payload"]
    assert body["extensions"]["code"] == "INVALID_REQUEST"
    assert body["extensions"]["field"] == "operationName"


BRIDGES = {
    "octospine /ws": ("/ws", "VALIDATION_ERROR"),
    "lukhas consciousness": ("/v1/stream/consciousness", "VALIDATION_ERROR"),
    "lukhas memory drift": ("/v1/stream/memory-drift", "VALIDATION_ERROR"),
    "synapticos": ("/api/v2/ws", "VALIDATION_ERROR"),
    "drift simulation": ("/api/v1/ws/simulation", None),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_VARIABLES))
@pytest.mark.parametrize("bridge", sorted(BRIDGES))
async def test_hostile_json_on_legacy_streams_is_answered_in_their_format(
    sockets: Any, admin_token: str, bridge: str, case: str
) -> None:
    """Finding 3 (legacy streams): an error message in the API's format, not a dropped socket."""
    path, code = BRIDGES[bridge]
    variables, _ = HOSTILE_VARIABLES[case]
    socket = await sockets(path, token=admin_token)
    await socket.send(f'{{"action":"subscribe","events":["alert.new"],"filters":{variables}}}')
    while True:
        message = await recv(socket)
        if message.get("type") == "error":
            break
    if code is None:  # the drift simulation: {"type": "error", "data": {error, details, timestamp}}
        assert message["data"]["details"].startswith("VALIDATION_ERROR")
    else:
        assert message["error"]["code"] == code
        assert message["error"]["details"]["field"].startswith("filters.p")
    await socket.send("not json")  # the stream is still reading and answering
    while (message := await recv(socket)).get("type") != "error":
        pass
    if code is None:
        assert message["data"]["details"].startswith("INVALID_REQUEST")
    else:
        assert message["error"]["code"] == "INVALID_REQUEST"
