"""The legacy auth flows map onto `login`/`refreshToken`; tokens and API keys work on REST."""

from __future__ import annotations

import httpx
import pytest

from axonql.rest_compat.mount import engine_of
from axonql.services import auth
from axonql.services.users import create_account
from axonql.settings import Settings
from tests.support import RunningServer, password_login


@pytest.fixture(autouse=True)
def fresh_rate_limits(server: RunningServer) -> None:
    engine = engine_of(server.app.routes)
    assert engine is not None
    engine.limiter.reset()


@pytest.fixture
async def reader(settings: Settings) -> tuple[str, str]:
    await create_account(
        settings, username="reader", password="reader-password", scopes=["tasks:read"]
    )
    return "reader", "reader-password"


async def test_nexusnet_login_token_reads_octospine_tasks(
    http: httpx.AsyncClient, reader: tuple[str, str]
) -> None:
    response = await http.post("/auth/login", json={"username": reader[0], "password": reader[1]})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] > 0
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await http.get("/api/tasks", headers=headers)).status_code == 200
    # The scope is enforced by the schema: no agents:read, so 403 in the API's envelope.
    denied = await http.get("/api/agents", headers=headers)
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "AUTHORIZATION_DENIED"


async def test_nexusnet_wrong_password(http: httpx.AsyncClient, reader: tuple[str, str]) -> None:
    response = await http.post("/auth/login", json={"username": reader[0], "password": "nope-nope"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


async def test_lukhas_token_then_refresh_rotates(
    http: httpx.AsyncClient, reader: tuple[str, str]
) -> None:
    token = await http.post(
        "/v1/auth/token",
        json={"username": reader[0], "password": reader[1], "biometric_data": "aGk="},
    )
    assert token.status_code == 200
    first = token.json()
    assert first["token_type"] == "bearer"
    refreshed = await http.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["access_token"] and second["expires_in"] > 0
    # The old refresh token was rotated away; reusing it is refused in LUKHAS's words.
    reused = await http.post("/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "INVALID_TOKEN"
    # The reuse revoked the whole session: the access token rotated into it ends too.
    headers = {"Authorization": f"Bearer {second['access_token']}"}
    assert (await http.get("/api/tasks", headers=headers)).status_code == 401


async def test_synapticos_refresh(
    http: httpx.AsyncClient, settings: Settings, reader: tuple[str, str]
) -> None:
    pair = await password_login(settings, *reader)
    response = await http.post("/api/v2/auth/refresh", json={"refresh_token": pair.refresh_token})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert {"access_token", "expires_in", "refresh_token"} <= set(body)
    bad = await http.post("/api/v2/auth/refresh", json={"refresh_token": "garbage"})
    assert bad.status_code == 401
    assert set(bad.json()) == {"error"}


async def test_constellation_identity_authenticate(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    await create_account(
        settings, username="LAMBDA-2025-0002", password="enrolled-secret", scopes=["tasks:read"]
    )
    response = await http.post(
        "/v1/constellation/identity/authenticate",
        json={"lambda_id": "LAMBDA-2025-0002", "biometric_data": "enrolled-secret"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["authentication_result"]["status"] == "authenticated"
    assert body["authentication_result"]["biometric_match"] is None  # none is compared
    assert body["access_permissions"]["scopes"] == ["tasks:read"]
    headers = {"Authorization": f"Bearer {body['constellation_token']}"}
    assert (await http.get("/api/tasks", headers=headers)).status_code == 200
    wrong = await http.post(
        "/v1/constellation/identity/authenticate",
        json={"lambda_id": "LAMBDA-2025-0002", "biometric_data": "someone-else"},
    )
    assert wrong.status_code == 401


async def test_api_key_in_x_api_key_and_bearer(http: httpx.AsyncClient, settings: Settings) -> None:
    _, key = await auth.create_api_key(["agents:read"], name="legacy client")
    for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
        response = await http.get("/api/agents", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["success"] is True


async def test_health_checks_answer_without_a_token(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    """The documented `curl /health` has no token: the public part answers, the rest is null."""
    anonymous = await http.get("/health")
    assert anonymous.status_code == 200
    assert anonymous.json()["status"] == "healthy"
    assert anonymous.json()["system_info"] is None
    signed = await http.get("/health", headers={"Authorization": f"Bearer {admin_token}"})
    assert set(signed.json()["system_info"]) == {
        "cpu_count",
        "memory_total",
        "gpu_available",
        "gpu_count",
        "cpu_usage",
        "memory_usage",
        "disk_usage",
    }
    lukhas = await http.get("/v1/health")
    assert lukhas.status_code == 200
    assert lukhas.json()["modules"] == {}  # only callers who may read them see modules
    assert (await http.get("/api/health")).status_code == 200
    assert (await http.get("/api/v1/health")).status_code == 200
