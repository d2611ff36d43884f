"""Credentials never outgrow their issuer, logins are throttled, and revoked tokens end.

Each test here reproduces one finding of the hostile-client review: an agent's key minting an
admin key, unthrottled password guessing, access tokens outliving logout and deactivation,
a user manager editing an administrator's account, and REST answering validation or
existence questions before permission ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from axonql import models
from axonql.scopes import ALL_SCOPES, Scope
from axonql.services.login_throttle import LoginThrottle
from axonql.services.users import create_account
from axonql.settings import Settings
from tests.agents_support import register
from tests.support import GraphQLClient, RunningServer, error_codes, token_for

CREATE_KEY = """
mutation($agent: ID!, $scopes: [String!]) {
  createAgentApiKey(agentId: $agent, scopes: $scopes) { key scopes }
}"""
LOGIN = """
mutation($u: String!, $p: String!) {
  login(username: $u, password: $p) { accessToken refreshToken }
}"""
USERS = "{ users { id } }"
ME_TASKS = "{ tasks(filter: {limit: 1}) { id } }"


@pytest.fixture(autouse=True)
def fresh_throttle(server: RunningServer) -> Iterator[None]:
    """Login counters are per server: start and leave each test with none."""
    state = server.app.state.axon
    state.login_throttle.reset()
    yield
    state.login_throttle.reset()


# --- scopes never grow ------------------------------------------------------------------


async def test_agent_key_cannot_mint_a_key_with_more_scopes(
    gql: GraphQLClient, admin_token: str
) -> None:
    agent_id, agent_key = await register(gql, admin_token, "escalator", ["text"])
    escalate = await gql(CREATE_KEY, {"agent": agent_id, "scopes": ["admin:system"]}, agent_key)
    assert error_codes(escalate) == ["AUTHORIZATION_DENIED"]
    assert escalate["errors"][0]["extensions"]["details"]["missing_scopes"] == ["admin:system"]
    mixed = await gql(
        CREATE_KEY, {"agent": agent_id, "scopes": ["tasks:read", "user:manage"]}, agent_key
    )
    assert error_codes(mixed) == ["AUTHORIZATION_DENIED"]
    assert (
        await models.ApiKey.find({"scopes": {"$in": ["admin:system", "user:manage"]}}).count() == 0
    )
    # Within its own scopes the agent may still issue keys, and an admin may grant anything.
    own = await gql(CREATE_KEY, {"agent": agent_id, "scopes": ["tasks:read"]}, agent_key)
    assert own["data"]["createAgentApiKey"]["scopes"] == ["tasks:read"]
    granted = await gql(CREATE_KEY, {"agent": agent_id, "scopes": ["user:manage"]}, admin_token)
    admin_key = granted["data"]["createAgentApiKey"]["key"]
    assert "errors" not in await gql(USERS, token=admin_key)
    assert error_codes(await gql(USERS, token=agent_key)) == ["AUTHORIZATION_DENIED"]


async def test_registering_an_agent_needs_the_scopes_its_key_gets(
    gql: GraphQLClient, settings: Settings
) -> None:
    only_agents = await token_for(settings, [Scope.AGENTS_WRITE], user_id="agent_admin")
    body = await gql('mutation { registerAgent(input: {name: "w"}) { apiKey } }', token=only_agents)
    assert error_codes(body) == ["AUTHORIZATION_DENIED"]
    assert set(body["errors"][0]["extensions"]["details"]["missing_scopes"]) == {
        "agents:read",
        "tasks:read",
        "tasks:write",
    }
    assert await models.Agent.find({"name": "w"}).count() == 0


async def test_tokens_carry_the_users_own_scopes(gql: GraphQLClient, settings: Settings) -> None:
    await create_account(settings, username="narrow", password="narrow password", scopes=[])
    login = await gql(LOGIN, {"u": "narrow", "p": "narrow password"})
    access = login["data"]["login"]["accessToken"]
    assert error_codes(await gql(USERS, token=access)) == ["AUTHORIZATION_DENIED"]
    refreshed = await gql(
        "mutation($t: String!) { refreshToken(refreshToken: $t) { scope accessToken } }",
        {"t": login["data"]["login"]["refreshToken"]},
    )
    assert refreshed["data"]["refreshToken"]["scope"] == []


async def test_user_manager_cannot_change_an_account_holding_scopes_it_lacks(
    gql: GraphQLClient, settings: Settings
) -> None:
    manager = await token_for(settings, [Scope.USER_MANAGE], user_id="manager")
    await token_for(settings, sorted(ALL_SCOPES), user_id="root")
    update = """
    mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { email } }
    """
    for change in ({"email": "attacker@example.com"}, {"username": "renamed"}, {"tags": ["x"]}):
        body = await gql(update, {"id": "root", "input": change}, manager)
        assert error_codes(body) == ["AUTHORIZATION_DENIED"], change
    stored = await models.User.get("root")
    assert stored is not None and stored.email is None and stored.username == "root"
    # Accounts within the manager's own scopes stay manageable.
    await token_for(settings, [Scope.USER_MANAGE], user_id="peer")
    body = await gql(update, {"id": "peer", "input": {"email": "peer@example.com"}}, manager)
    assert body["data"]["updateUser"]["email"] == "peer@example.com"


# --- throttled logins -------------------------------------------------------------------


async def _guess(gql: GraphQLClient, username: str, n: int) -> list[str]:
    codes: list[str] = []
    for i in range(n):
        body = await gql(LOGIN, {"u": username, "p": f"wrong-{i}"})
        codes.extend(error_codes(body))
    return codes


async def test_graphql_login_is_throttled_per_account(
    gql: GraphQLClient, http: httpx.AsyncClient, settings: Settings
) -> None:
    await create_account(settings, username="victim", password="the real password")
    codes = await _guess(gql, "victim", 15)
    assert codes[:10] == ["AUTHENTICATION_FAILED"] * 10
    assert set(codes[10:]) == {"RATE_LIMIT_EXCEEDED"}
    # While throttled even the right password is refused, with the time to wait.
    response = await http.post(
        "/graphql", json={"query": LOGIN, "variables": {"u": "victim", "p": "the real password"}}
    )
    body = response.json()
    assert error_codes(body) == ["RATE_LIMIT_EXCEEDED"]
    assert body["errors"][0]["extensions"]["status"] == 429
    assert int(response.headers["Retry-After"]) > 0
    # An unknown account is answered exactly the same way: nothing says which exist.
    assert await _guess(gql, "nobody-here", 15) == codes
    # Another account is not affected.
    await create_account(settings, username="bystander", password="bystander password")
    assert "errors" not in await gql(LOGIN, {"u": "bystander", "p": "bystander password"})


async def test_success_clears_the_accounts_failures(gql: GraphQLClient, settings: Settings) -> None:
    await create_account(settings, username="typo", password="typo password")
    for _ in range(2):
        assert await _guess(gql, "typo", 9) == ["AUTHENTICATION_FAILED"] * 9
        assert "errors" not in await gql(LOGIN, {"u": "typo", "p": "typo password"})


async def test_login_is_throttled_per_client_address(
    gql: GraphQLClient, server: RunningServer, settings: Settings
) -> None:
    """Password spraying: one guess each at many names, from one address."""
    state = server.app.state.axon
    default = state.login_throttle
    state.login_throttle = LoginThrottle(
        "memory://", per_account="10/minute", per_address="20/minute"
    )
    try:
        codes: list[str] = []
        for i in range(25):
            codes.extend(error_codes(await gql(LOGIN, {"u": f"spray-{i}", "p": "Winter2026!"})))
    finally:
        state.login_throttle = default
    assert codes[:20] == ["AUTHENTICATION_FAILED"] * 20
    assert set(codes[20:]) == {"RATE_LIMIT_EXCEEDED"}
    assert settings.login_attempts_per_address == "100/15 minutes"  # the shipped default


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/auth/token", {"username": "victim", "password": "guess", "biometric_data": "aGk="}),
        ("/v1/constellation/identity/authenticate", {"lambda_id": "victim", "biometric_data": "g"}),
        ("/auth/login", {"username": "victim", "password": "guess"}),
    ],
)
async def test_legacy_auth_routes_are_throttled(
    http: httpx.AsyncClient, settings: Settings, path: str, body: dict[str, Any]
) -> None:
    await create_account(settings, username="victim", password="the real password")
    statuses = [(await http.post(path, json=body)).status_code for _ in range(10)]
    assert statuses == [401] * 10
    limited = await http.post(path, json=body)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert "RATE_LIMIT" in limited.text


# --- access tokens end ------------------------------------------------------------------


async def _session(gql: GraphQLClient, settings: Settings, scopes: list[str]) -> dict[str, str]:
    await create_account(settings, username="sess", password="session password", scopes=scopes)
    login = await gql(LOGIN, {"u": "sess", "p": "session password"})
    tokens: dict[str, str] = login["data"]["login"]
    assert "errors" not in await gql(ME_TASKS, token=tokens["accessToken"])
    return tokens


async def test_logout_ends_the_access_token(gql: GraphQLClient, settings: Settings) -> None:
    tokens = await _session(gql, settings, [Scope.TASKS_READ])
    out = await gql(
        "mutation($t: String!) { logout(refreshToken: $t) }", {"t": tokens["refreshToken"]}
    )
    assert out["data"]["logout"] is True
    assert error_codes(await gql(ME_TASKS, token=tokens["accessToken"])) == [
        "AUTHENTICATION_FAILED"
    ]


async def test_family_revocation_ends_its_access_tokens(
    gql: GraphQLClient, settings: Settings
) -> None:
    tokens = await _session(gql, settings, [Scope.TASKS_READ])
    rotate = "mutation($t: String!) { refreshToken(refreshToken: $t) { accessToken } }"
    second = (await gql(rotate, {"t": tokens["refreshToken"]}))["data"]["refreshToken"]
    assert "errors" not in await gql(ME_TASKS, token=second["accessToken"])
    reuse = await gql(rotate, {"t": tokens["refreshToken"]})  # a stolen token replayed
    assert error_codes(reuse) == ["AUTHENTICATION_FAILED"]
    for access in (tokens["accessToken"], second["accessToken"]):
        assert error_codes(await gql(ME_TASKS, token=access)) == ["AUTHENTICATION_FAILED"]


@pytest.mark.parametrize(
    "change", [{"isActive": False}, {"password": "a brand new password"}, {"scopes": []}]
)
async def test_account_changes_end_access_tokens(
    gql: GraphQLClient, settings: Settings, admin_token: str, change: dict[str, Any]
) -> None:
    tokens = await _session(gql, settings, [Scope.TASKS_READ])
    user = await models.User.find_one({"username": "sess"})
    assert user is not None
    body = await gql(
        """
        mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }
        """,
        {"id": user.id, "input": change},
        admin_token,
    )
    assert "errors" not in body, body
    assert error_codes(await gql(ME_TASKS, token=tokens["accessToken"])) == [
        "AUTHENTICATION_FAILED"
    ]


async def test_a_revocation_made_elsewhere_is_seen_within_seconds(
    gql: GraphQLClient, settings: Settings
) -> None:
    """Another instance deactivates the user (here: straight in the shared database)."""
    tokens = await _session(gql, settings, [Scope.TASKS_READ])
    await models.User.get_pymongo_collection().update_one(
        {"username": "sess"}, {"$set": {"is_active": False}, "$inc": {"token_version": 1}}
    )
    deadline = asyncio.get_running_loop().time() + settings.token_check_seconds + 5
    while "errors" not in await gql(ME_TASKS, token=tokens["accessToken"]):
        assert asyncio.get_running_loop().time() < deadline, "revocation never took effect"
        await asyncio.sleep(0.2)


async def test_deleting_a_user_ends_its_access_tokens(
    gql: GraphQLClient, settings: Settings, admin_token: str
) -> None:
    tokens = await _session(gql, settings, [Scope.TASKS_READ])
    user = await models.User.find_one({"username": "sess"})
    assert user is not None
    await gql(f'mutation {{ deleteUser(id: "{user.id}") }}', token=admin_token)
    refused = await gql("{ health { status } }", token=tokens["accessToken"])
    assert error_codes(refused) in ([], ["AUTHENTICATION_FAILED"])  # health is public
    assert error_codes(await gql(ME_TASKS, token=tokens["accessToken"])) == [
        "AUTHENTICATION_FAILED"
    ]


# --- REST: permission before validation and existence -----------------------------------


async def test_rest_checks_permission_before_the_body(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    reader = await token_for(settings, [Scope.TASKS_READ], user_id="reader")
    headers = {"Authorization": f"Bearer {reader}"}
    malformed = await http.post("/api/tasks", json={"name": 5, "type": []}, headers=headers)
    assert malformed.status_code == 403, malformed.text
    assert malformed.json()["error"]["code"] == "AUTHORIZATION_DENIED"
    anonymous = await http.post("/api/tasks", json={"name": 5})
    assert anonymous.status_code == 401
    assert await models.Task.find_all().count() == 0


async def test_rest_checks_permission_before_existence(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    reader = await token_for(settings, [Scope.TASKS_READ], user_id="reader")
    headers = {"Authorization": f"Bearer {reader}"}
    missing = await http.put("/api/tasks/task_nope", json={"status": "paused"}, headers=headers)
    assert missing.status_code == 403, missing.text
    nobody = await http.get("/api/agents/agent_nope", headers=headers)
    assert nobody.status_code == 403, nobody.text
