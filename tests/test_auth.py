"""Auth flows over real HTTP: login, JWT claims, refresh rotation and reuse, logout, API keys,
the bootstrap admin."""

from __future__ import annotations

import asyncio
import base64
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import pytest
import websockets
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError as PydanticValidationError

from axonql import models
from axonql.app import create_app
from axonql.models.system import SERVER_SYSTEM_ID
from axonql.scopes import ALL_SCOPES, Scope
from axonql.services.auth import issue_access_token
from axonql.services.bootstrap import ensure_server_system
from axonql.services.users import create_account, ensure_admin
from axonql.settings import Settings
from tests.support import GraphQLClient, RunningServer, error_codes, extra_server

LOGIN = """
mutation($u: String!, $p: String!) {
  login(username: $u, password: $p) { accessToken refreshToken tokenType expiresIn scope }
}"""
REFRESH = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }"
LOGOUT = "mutation($t: String!) { logout(refreshToken: $t) }"
AGENTS = "{ agents { id } }"
PASSWORD = "correct horse battery"


async def make_user(settings: Settings, scopes: list[str] | None = None) -> models.User:
    return await create_account(
        settings,
        username="ada",
        password=PASSWORD,
        scopes=scopes if scopes is not None else [Scope.AGENTS_READ.value],
    )


async def login(gql: GraphQLClient, password: str = PASSWORD) -> dict[str, Any]:
    return await gql(LOGIN, {"u": "ada", "p": password})


async def stored_text(server: RunningServer) -> str:
    """Every stored document of every collection, as one string to search for secrets."""
    db = server.app.state.axon.database.db
    parts = [repr(await db[name].find({}).to_list()) for name in await db.list_collection_names()]
    return "\n".join(parts)


async def test_login_issues_a_jwt_with_sub_scope_and_exp(
    gql: GraphQLClient, settings: Settings
) -> None:
    user = await make_user(settings)
    assert user.password_hash is not None and user.password_hash.startswith("$argon2id$")
    body = await login(gql)
    assert "errors" not in body, body
    payload = body["data"]["login"]
    assert payload["tokenType"] == "Bearer"
    assert payload["scope"] == ["agents:read"]
    claims = jwt.decode(
        payload["accessToken"], settings.signing_secret(), algorithms=[settings.jwt_algorithm]
    )
    assert claims["sub"] == user.id
    assert claims["scope"] == ["agents:read"]
    assert 0 < claims["exp"] - time.time() <= settings.access_token_ttl_seconds + 5
    assert payload["expiresIn"] == settings.access_token_ttl_seconds
    listed = await gql(AGENTS, token=payload["accessToken"])
    assert listed == {"data": {"agents": []}}


async def test_wrong_password_and_unknown_user_are_refused(
    gql: GraphQLClient, settings: Settings
) -> None:
    await make_user(settings)
    wrong = await login(gql, "not the password")
    assert error_codes(wrong) == ["AUTHENTICATION_FAILED"]
    assert wrong["data"] is None
    unknown = await gql(LOGIN, {"u": "nobody", "p": PASSWORD})
    assert error_codes(unknown) == ["AUTHENTICATION_FAILED"]
    assert wrong["errors"][0]["message"] == unknown["errors"][0]["message"]
    assert await models.RefreshToken.count() == 0


async def test_login_by_unique_email_address(gql: GraphQLClient, settings: Settings) -> None:
    user = await create_account(
        settings, username="lin", password=PASSWORD, email="Lin@Example.com", scopes=[]
    )
    assert user.email == "lin@example.com"
    by_email = await gql(LOGIN, {"u": "LIN@example.com", "p": PASSWORD})
    assert "errors" not in by_email, by_email
    await create_account(
        settings, username="lin2", password=PASSWORD, email="lin@example.com", scopes=[]
    )
    shared = await gql(LOGIN, {"u": "lin@example.com", "p": PASSWORD})
    assert error_codes(shared) == ["AUTHENTICATION_FAILED"]


async def test_refresh_rotates_and_reuse_revokes_the_family(
    gql: GraphQLClient, settings: Settings, server: RunningServer
) -> None:
    await make_user(settings)
    first = (await login(gql))["data"]["login"]["refreshToken"]
    assert first not in await stored_text(server), "refresh tokens are stored hashed"

    rotated = await gql(REFRESH, {"t": first})
    assert "errors" not in rotated, rotated
    second = rotated["data"]["refreshToken"]["refreshToken"]
    assert second != first
    assert "errors" not in await gql(AGENTS, token=rotated["data"]["refreshToken"]["accessToken"])

    third = (await gql(REFRESH, {"t": second}))["data"]["refreshToken"]["refreshToken"]

    reused = await gql(REFRESH, {"t": first})
    assert error_codes(reused) == ["AUTHENTICATION_FAILED"]
    # The reuse of a rotated token revoked the whole family, the newest token included.
    assert error_codes(await gql(REFRESH, {"t": third})) == ["AUTHENTICATION_FAILED"]

    # A separate login is a separate family and still works.
    fresh = (await login(gql))["data"]["login"]["refreshToken"]
    assert "errors" not in await gql(REFRESH, {"t": fresh})


async def test_logout_revokes_the_refresh_token(gql: GraphQLClient, settings: Settings) -> None:
    await make_user(settings)
    token = (await login(gql))["data"]["login"]["refreshToken"]
    assert (await gql(LOGOUT, {"t": token}))["data"]["logout"] is True
    assert error_codes(await gql(REFRESH, {"t": token})) == ["AUTHENTICATION_FAILED"]
    assert (await gql(LOGOUT, {"t": "never-issued"}))["data"]["logout"] is False
    assert error_codes(await gql(REFRESH, {"t": "never-issued"})) == ["AUTHENTICATION_FAILED"]


async def test_agent_api_keys_are_stored_hashed_and_work_in_both_headers(
    gql: GraphQLClient, http: httpx.AsyncClient, admin_token: str, server: RunningServer
) -> None:
    agent = await gql(
        'mutation { createAgent(input: {name: "worker-1"}) { id } }', token=admin_token
    )
    agent_id = agent["data"]["createAgent"]["id"]
    issued = await gql(
        "mutation($id: ID!) { createAgentApiKey(agentId: $id) { id key scopes agentId } }",
        {"id": agent_id},
        admin_token,
    )
    assert "errors" not in issued, issued
    key = issued["data"]["createAgentApiKey"]["key"]
    secret = key.rsplit(".", 1)[1]
    text = await stored_text(server)
    assert key not in text and secret not in text

    for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
        response = await http.post("/graphql", json={"query": AGENTS}, headers=headers)
        assert response.status_code == 200
        assert response.json() == {"data": {"agents": [{"id": agent_id}]}}, headers

    # The key carries the agent scopes only: no user management.
    denied = await gql("{ users { id } }", token=key)
    assert error_codes(denied) == ["AUTHORIZATION_DENIED"]

    # Deleting the agent ends its keys.
    deleted = await gql(
        "mutation($id: ID!) { deleteAgent(id: $id) }", {"id": agent_id}, admin_token
    )
    assert deleted["data"]["deleteAgent"] is True
    assert error_codes(await gql(AGENTS, token=key)) == ["AUTHENTICATION_FAILED"]


async def test_unknown_scopes_are_refused_for_api_keys(
    gql: GraphQLClient, admin_token: str
) -> None:
    agent = await gql('mutation { createAgent(input: {name: "w"}) { id } }', token=admin_token)
    body = await gql(
        "mutation($id: ID!) {"
        ' createAgentApiKey(agentId: $id, scopes: ["root:everything"]) { id } }',
        {"id": agent["data"]["createAgent"]["id"]},
        admin_token,
    )
    assert error_codes(body) == ["VALIDATION_ERROR"]
    assert await models.ApiKey.count() == 0


async def test_bootstrap_admin_is_created_once(settings: Settings, server: RunningServer) -> None:
    configured = settings.model_copy(update={"bootstrap_admin": f"root:{PASSWORD}"})
    async with (
        extra_server(create_app(configured), server) as second,
        httpx.AsyncClient(base_url=second.url, timeout=30) as client,
    ):
        body = await GraphQLClient(client)(LOGIN, {"u": "root", "p": PASSWORD})
    assert "errors" not in body, body
    assert sorted(body["data"]["login"]["scope"]) == sorted(ALL_SCOPES)
    admin = await models.User.find_one(models.User.username == "root")
    assert admin is not None

    # Present already: nothing is created or changed, even with another password configured.
    again = settings.model_copy(update={"bootstrap_admin": "root:another-password"})
    async with extra_server(create_app(again), server):
        pass
    assert await models.User.find(models.User.username == "root").count() == 1
    kept = await models.User.get(admin.id)
    assert kept is not None and kept.password_hash == admin.password_hash


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def rsa_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


async def test_rs256_tokens_verify_with_the_public_key_only(
    settings: Settings, server: RunningServer
) -> None:
    private, public = rsa_pair()
    configured = settings.model_copy(
        update={"jwt_algorithm": "RS256", "jwt_private_key": private, "jwt_public_key": public}
    )
    await make_user(settings)
    async with (
        extra_server(create_app(configured), server) as second,
        httpx.AsyncClient(base_url=second.url, timeout=30) as client,
    ):
        rs_gql = GraphQLClient(client)
        token = (await rs_gql(LOGIN, {"u": "ada", "p": PASSWORD}))["data"]["login"]["accessToken"]
        assert jwt.get_unverified_header(token)["alg"] == "RS256"
        assert jwt.decode(token, public, algorithms=["RS256"])["scope"] == ["agents:read"]
        assert "errors" not in await rs_gql(AGENTS, token=token)
        # Algorithm confusion: the public key used as an HS256 secret must not be accepted.
        # (PyJWT refuses to sign that way, so the token is put together by hand.)
        _, body, _ = token.split(".")
        header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        signature = hmac.new(public.encode(), f"{header}.{body}".encode(), "sha256").digest()
        forged = f"{header}.{body}.{b64url(signature)}"
        assert error_codes(await rs_gql(AGENTS, token=forged)) == ["AUTHENTICATION_FAILED"]


def test_rs256_without_keys_is_a_configuration_error() -> None:
    with pytest.raises(PydanticValidationError, match="AXONQL_JWT_PRIVATE_KEY"):
        Settings(jwt_algorithm="RS256")


async def test_a_websocket_cannot_start_operations_after_its_token_expired(
    settings: Settings, server: RunningServer
) -> None:
    user = await make_user(settings, [Scope.TASKS_READ.value])
    short = settings.model_copy(update={"access_token_ttl_seconds": 2})
    token = issue_access_token(short, user)
    protocol = websockets.Subprotocol("graphql-transport-ws")
    subscribe = {"query": "subscription { taskUpdated { id } }"}
    async with (
        asyncio.timeout(30),
        websockets.connect(f"{server.ws_url}/graphql", subprotocols=[protocol]) as ws,
    ):
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv(decode=True))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
        await asyncio.sleep(3.2)
        await ws.send(json.dumps({"id": "2", "type": "subscribe", "payload": subscribe}))
        while True:
            reply = json.loads(await ws.recv(decode=True))
            if reply.get("id") == "2":
                break
        assert reply["type"] == "error", reply
        assert reply["payload"][0]["extensions"]["code"] == "AUTHENTICATION_FAILED"
        assert "expired" in reply["payload"][0]["message"]


async def test_instances_starting_together_create_the_server_system_and_admin_once(
    settings: Settings, server: RunningServer
) -> None:
    state = server.app.state.axon
    await models.System.find_all().delete()
    systems = await asyncio.gather(*(ensure_server_system(state) for _ in range(4)))
    assert {s.id for s in systems} == {SERVER_SYSTEM_ID}
    assert await models.System.count() == 1
    spec = f"root:{PASSWORD}"
    admins = await asyncio.gather(*(ensure_admin(settings, spec) for _ in range(4)))
    assert len({a.id for a in admins if a is not None}) == 1
    assert await models.User.find(models.User.username == "root").count() == 1
