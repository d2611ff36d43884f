"""The auth matrix: every root field of the built schema declares a scope and enforces it.

The fields are walked from `build_schema()`, so fields other areas add are covered without
editing this file. Each guarded field gets a minimal valid operation (required arguments
filled by type) that must be refused without a token (401) and with a token holding every
scope but the one it needs (403), over HTTP or, for subscriptions, over WebSocket — and the
refused request must send no write command to the database (a command listener on the
server's client records what each request sends, apart from background work).
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
import websockets

from axonql import models
from axonql.models.base import utcnow
from axonql.schema.permissions import AUTHENTICATED, PUBLIC
from axonql.schema.root import build_schema
from axonql.scopes import ALL_SCOPES
from axonql.services.auth import create_api_key
from axonql.settings import Settings
from tests.schema_walk import RootField, operation_for, root_fields
from tests.support import GraphQLClient, RequestCommands, RunningServer, error_codes, token_for

PUBLIC_ALLOWLIST = frozenset({"login", "refreshToken", "logout", "health"})

ROOT_FIELDS = root_fields()
GUARDED = [f for f in ROOT_FIELDS if f.scope not in (None, PUBLIC)]
# Fields needing a scope of their own (`authenticated` ones check each item's type instead).
SCOPED = [f for f in GUARDED if f.scope != AUTHENTICATED]


async def run_over_websocket(
    server: RunningServer, query: str, variables: dict[str, Any], token: str | None
) -> list[str]:
    """Subscribe over graphql-transport-ws; the error codes of the refused subscription."""
    protocol = websockets.Subprotocol("graphql-transport-ws")
    async with (
        asyncio.timeout(15),
        websockets.connect(f"{server.ws_url}/graphql", subprotocols=[protocol]) as ws,
    ):
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await ws.recv(decode=True))
        assert ack["type"] == "connection_ack", ack
        message = {"query": query, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": message}))
        while True:
            reply = json.loads(await ws.recv(decode=True))
            if reply["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
                continue
            assert reply["type"] in ("next", "error"), reply
            errors = reply["payload"] if reply["type"] == "error" else reply["payload"]["errors"]
            assert reply["type"] == "error" or not reply["payload"].get("data"), reply
            return [e.get("extensions", {}).get("code") for e in errors]


async def run_over_legacy_websocket(
    server: RunningServer, query: str, variables: dict[str, Any], token: str | None
) -> list[str]:
    """The same over the legacy `graphql-ws` protocol (Apollo's subscriptions-transport-ws)."""
    protocol = websockets.Subprotocol("graphql-ws")
    async with (
        asyncio.timeout(15),
        websockets.connect(f"{server.ws_url}/graphql", subprotocols=[protocol]) as ws,
    ):
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        message = {"query": query, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "start", "payload": message}))
        while True:
            reply = json.loads(await ws.recv(decode=True))
            if reply["type"] in ("connection_ack", "ka"):
                continue
            assert reply["type"] in ("data", "error"), reply
            if reply["type"] == "error":
                return [reply["payload"].get("extensions", {}).get("code")]
            assert not reply["payload"].get("data"), reply
            return [e.get("extensions", {}).get("code") for e in reply["payload"]["errors"]]


async def refused_codes(
    root: RootField, server: RunningServer, gql: GraphQLClient, token: str | None
) -> list[str]:
    query, variables = operation_for(root)
    if root.kind == "subscription":
        return await run_over_websocket(server, query, variables, token)
    body = await gql(query, variables, token)
    assert not (body.get("data") or {}).get(root.name), body
    return error_codes(body)


def test_every_root_field_declares_a_scope() -> None:
    missing = [f.label for f in ROOT_FIELDS if f.scope is None]
    assert not missing, f"root fields without @requires(scope: …): {missing}"
    unknown = [f.label for f in SCOPED if f.scope not in ALL_SCOPES]
    assert not unknown, f"root fields requiring a scope no token can hold: {unknown}"


def test_only_the_allowlisted_fields_are_public() -> None:
    public = {f.name for f in ROOT_FIELDS if f.scope == PUBLIC}
    assert public <= PUBLIC_ALLOWLIST, f"unexpected public fields: {public - PUBLIC_ALLOWLIST}"
    assert {"login", "refreshToken", "logout"} <= public


def test_the_sdl_shows_each_scope() -> None:
    sdl = build_schema().as_str()
    for root in ROOT_FIELDS:
        assert f'@requires(scope: "{root.scope}")' in sdl, root.label


@pytest.mark.parametrize("root", GUARDED, ids=lambda f: f.label)
async def test_refused_without_a_token(
    root: RootField, server: RunningServer, gql: GraphQLClient, request_commands: RequestCommands
) -> None:
    request_commands.names.clear()
    assert await refused_codes(root, server, gql, None) == ["AUTHENTICATION_FAILED"]
    assert request_commands.writes() == []


@pytest.mark.parametrize("root", SCOPED, ids=lambda f: f.label)
async def test_refused_without_the_scope(
    root: RootField,
    server: RunningServer,
    gql: GraphQLClient,
    settings: Settings,
    request_commands: RequestCommands,
) -> None:
    assert root.scope is not None
    token = await token_for(settings, sorted(ALL_SCOPES - {root.scope}), user_id="user_almost")
    request_commands.names.clear()
    assert await refused_codes(root, server, gql, token) == ["AUTHORIZATION_DENIED"]
    assert request_commands.writes() == []


@pytest.mark.parametrize(
    "root", [f for f in SCOPED if f.kind == "subscription"], ids=lambda f: f.label
)
async def test_subscriptions_are_refused_over_the_legacy_protocol(
    root: RootField, server: RunningServer, settings: Settings
) -> None:
    assert root.scope is not None
    query, variables = operation_for(root)
    refused = await run_over_legacy_websocket(server, query, variables, None)
    assert refused == ["AUTHENTICATION_FAILED"]
    token = await token_for(settings, sorted(ALL_SCOPES - {root.scope}), user_id="user_almost")
    denied = await run_over_legacy_websocket(server, query, variables, token)
    assert denied == ["AUTHORIZATION_DENIED"]


async def test_the_second_endpoint_is_guarded_alike(http: httpx.AsyncClient) -> None:
    root = _first_guarded_query()
    query, variables = operation_for(root)
    for path in ("/graphql", "/api/graphql"):
        response = await http.post(path, json={"query": query, "variables": variables})
        assert error_codes(response.json()) == ["AUTHENTICATION_FAILED"], path


def _first_guarded_query() -> RootField:
    return next(f for f in GUARDED if f.kind == "query")


async def test_expired_and_forged_tokens_are_refused(
    gql: GraphQLClient, settings: Settings
) -> None:
    root = _first_guarded_query()
    query, variables = operation_for(root)
    past = utcnow() - timedelta(hours=1)
    claims = {"sub": "user_admin", "scope": sorted(ALL_SCOPES), "exp": int(past.timestamp())}
    expired = jwt.encode(claims, settings.signing_secret(), algorithm="HS256")
    claims["exp"] = int((utcnow() + timedelta(hours=1)).timestamp())
    forged = jwt.encode(claims, "not-the-server-secret-" + "y" * 32, algorithm="HS256")
    unsigned = jwt.encode(claims, key="", algorithm="none")
    for token in (expired, forged, unsigned, "not-a-jwt", "axk.nokey.nosecret"):
        body = await gql(query, variables, token)
        assert error_codes(body) == ["AUTHENTICATION_FAILED"], (token, body)


async def test_revoked_api_key_is_refused(gql: GraphQLClient, settings: Settings) -> None:
    """A key revoked in the database (as another instance would) is refused within
    `token_check_seconds`, as a revoked access token is: accepted keys are remembered that long."""
    root = _first_guarded_query()
    query, variables = operation_for(root)
    agent = models.Agent(name="probe")
    await agent.insert()
    key, plain = await create_api_key(sorted(ALL_SCOPES), agent_id=agent.id, name="probe")
    accepted = await gql(query, variables, plain)
    assert "AUTHENTICATION_FAILED" not in error_codes(accepted), accepted
    assert "AUTHORIZATION_DENIED" not in error_codes(accepted), accepted
    await models.ApiKey.find_one(models.ApiKey.id == key.id).update(
        {"$set": {"revoked_at": utcnow()}}
    )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + settings.token_check_seconds + 1.0
    refused = await gql(query, variables, plain)
    while error_codes(refused) != ["AUTHENTICATION_FAILED"] and loop.time() < deadline:
        await asyncio.sleep(0.1)
        refused = await gql(query, variables, plain)
    assert error_codes(refused) == ["AUTHENTICATION_FAILED"], refused
    wrong_secret = plain.rsplit(".", 1)[0] + ".wrong"
    assert error_codes(await gql(query, variables, wrong_secret)) == ["AUTHENTICATION_FAILED"]


async def test_the_command_listener_sees_writes_of_allowed_requests(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    """The control for the "no write" assertions above: an allowed mutation is seen writing."""
    request_commands.names.clear()
    body = await gql('mutation { createAgent(input: {name: "seen"}) { id } }', token=admin_token)
    assert "errors" not in body, body
    assert "insert agents" in request_commands.writes()


async def test_a_bad_token_in_connection_init_closes_the_websocket(server: RunningServer) -> None:
    protocol = websockets.Subprotocol("graphql-transport-ws")
    async with (
        asyncio.timeout(15),
        websockets.connect(f"{server.ws_url}/graphql", subprotocols=[protocol]) as ws,
    ):
        init = {"type": "connection_init", "payload": {"Authorization": "Bearer not-a-jwt"}}
        await ws.send(json.dumps(init))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
