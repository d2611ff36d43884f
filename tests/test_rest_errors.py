"""Per API: bad input and not-found in the documented error envelope; never a 500."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from axonql.app import create_app
from axonql.rest_compat.mount import engine_of
from axonql.settings import Settings
from tests.support import DatabaseServer, RunningServer, extra_server


@pytest.fixture(autouse=True)
def fresh_rate_limits(server: RunningServer) -> None:
    engine = engine_of(server.app.routes)
    assert engine is not None
    engine.limiter.reset()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def octospine_error(body: dict[str, Any], code: str) -> None:
    assert set(body) == {"success", "error", "timestamp", "request_id"}
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["request_id"].startswith("req_")


def nested_error(body: dict[str, Any], code: str, keys: set[str]) -> None:
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert keys <= set(body["error"]), body


# ---------------------------------------------------------------- OCTOSPINE


async def test_octospine_bad_input(http: httpx.AsyncClient, admin_token: str) -> None:
    wrong_type = await http.post("/api/tasks", json={"name": 5}, headers=auth(admin_token))
    assert wrong_type.status_code == 400
    octospine_error(wrong_type.json(), "VALIDATION_ERROR")
    assert wrong_type.json()["error"]["details"]["field"] == "name"

    bad_enum = await http.post(
        "/api/tasks", json={"name": "x", "priority": "urgent"}, headers=auth(admin_token)
    )
    assert bad_enum.status_code == 400
    octospine_error(bad_enum.json(), "VALIDATION_ERROR")

    not_json = await http.post(
        "/api/tasks",
        content=b'{"name": ',
        headers={**auth(admin_token), "Content-Type": "application/json"},
    )
    assert not_json.status_code == 400
    octospine_error(not_json.json(), "INVALID_REQUEST")

    bad_limit = await http.get("/api/tasks", params={"limit": "lots"}, headers=auth(admin_token))
    assert bad_limit.status_code == 400
    octospine_error(bad_limit.json(), "VALIDATION_ERROR")


async def test_octospine_not_found(http: httpx.AsyncClient, admin_token: str) -> None:
    response = await http.get("/api/tasks/task_missing", headers=auth(admin_token))
    assert response.status_code == 404
    octospine_error(response.json(), "RESOURCE_NOT_FOUND")
    response = await http.delete("/api/agents/agent_missing", headers=auth(admin_token))
    assert response.status_code in (404, 405)


async def test_octospine_needs_a_token(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/tasks")
    assert response.status_code == 401
    octospine_error(response.json(), "AUTHENTICATION_FAILED")
    response = await http.get("/api/tasks", headers=auth("not-a-token"))
    assert response.status_code == 401


async def test_unknown_fields_are_ignored_and_listed(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    response = await http.post(
        "/api/tasks", json={"name": "x", "colour": "blue", "zz": 1}, headers=auth(admin_token)
    )
    assert response.status_code == 201
    assert response.headers["X-Ignored-Fields"] == "colour, zz"
    assert response.json()["data"]["name"] == "x"


# ---------------------------------------------------------------- SynapticOS


async def test_synapticos_bad_input(http: httpx.AsyncClient, admin_token: str) -> None:
    response = await http.post(
        "/api/v2/users/user123/progress",
        json={"module_id": "m", "progress_percentage": "lots"},
        headers=auth(admin_token),
    )
    assert response.status_code == 400
    nested_error(response.json(), "VALIDATION_ERROR", {"code", "message", "details"})


async def test_synapticos_not_found(http: httpx.AsyncClient, admin_token: str) -> None:
    response = await http.get("/api/v2/users/nobody/context", headers=auth(admin_token))
    assert response.status_code == 404
    nested_error(response.json(), "USER_NOT_FOUND", {"code", "message", "details"})


# ---------------------------------------------------------------- LUKHAS


async def test_lukhas_bad_input(http: httpx.AsyncClient) -> None:
    response = await http.post("/v1/auth/token", json={"username": 5, "password": "x"})
    assert response.status_code == 422
    nested_error(
        response.json(), "VALIDATION_ERROR", {"code", "message", "details", "trace_id", "timestamp"}
    )


async def test_lukhas_wrong_credentials(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/v1/auth/token", json={"username": "nobody", "password": "wrong-password"}
    )
    assert response.status_code == 401
    nested_error(response.json(), "INVALID_TOKEN", {"trace_id", "timestamp"})


# ---------------------------------------------------------------- NexusNet


async def test_nexusnet_bad_input(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/auth/login", content=b"not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    nested_error(
        response.json(), "INVALID_INPUT", {"code", "message", "details", "timestamp", "request_id"}
    )
    missing = await http.post("/auth/login", json={"username": "u"})
    assert missing.status_code == 422
    nested_error(missing.json(), "INVALID_INPUT", {"request_id"})
    assert missing.json()["error"]["details"]["field"] == "password"


# ---------------------------------------------------------------- Drift


def drift_error(body: dict[str, Any], status: int) -> None:
    assert set(body) == {"error", "detail", "status_code", "timestamp"}
    assert body["status_code"] == status


async def test_drift_bad_input(http: httpx.AsyncClient, admin_token: str) -> None:
    response = await http.post(
        "/api/v1/simulation/start", json={"duration_days": "thirty"}, headers=auth(admin_token)
    )
    assert response.status_code == 422
    drift_error(response.json(), 422)
    response = await http.get(
        "/api/v1/data/assessments", params={"size": "1000"}, headers=auth(admin_token)
    )
    assert response.status_code == 422
    drift_error(response.json(), 422)


async def test_drift_not_found(http: httpx.AsyncClient, admin_token: str) -> None:
    response = await http.get("/api/v1/simulation/status", headers=auth(admin_token))
    assert response.status_code == 404
    drift_error(response.json(), 404)
    assert response.json()["detail"].startswith("SIMULATION_NOT_FOUND")


async def test_drift_start_without_agent_is_503(http: httpx.AsyncClient, admin_token: str) -> None:
    response = await http.post(
        "/api/v1/simulation/start",
        json={"experimental_condition": "CONTROL"},
        headers=auth(admin_token),
    )
    assert response.status_code == 503
    drift_error(response.json(), 503)


async def test_agent_work_without_agent_is_503_never_invented(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    process = await http.post(
        "/process", json={"input_data": "What is the capital of France?"}, headers=auth(admin_token)
    )
    assert process.status_code == 503
    # NexusNet's word for 503 (its reference documents SERVICE_UNAVAILABLE)
    nested_error(process.json(), "SERVICE_UNAVAILABLE", {"request_id", "timestamp"})
    assert "output" not in process.text
    matriz = await http.post("/v1/matriz/process", json={"input": "hi"}, headers=auth(admin_token))
    assert matriz.status_code == 503
    nested_error(matriz.json(), "NO_CAPABLE_AGENT", {"trace_id"})


async def test_nexusnet_not_found(http: httpx.AsyncClient, admin_token: str) -> None:
    response = await http.get("/train/task_missing/status", headers=auth(admin_token))
    assert response.status_code == 404
    nested_error(response.json(), "NOT_FOUND", {"code", "message", "details", "request_id"})


async def test_lukhas_not_found(http: httpx.AsyncClient, admin_token: str) -> None:
    response = await http.get("/v1/memory/recall/mem_missing", headers=auth(admin_token))
    assert response.status_code == 404
    nested_error(response.json(), "RESOURCE_NOT_FOUND", {"trace_id", "timestamp"})


async def test_unknown_field_names_never_break_the_header(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    response = await http.post(
        "/api/tasks",
        json={"name": "x", "\x01ünïcode\U0010396d": 1, " lead": 2},
        headers=auth(admin_token),
    )
    assert response.status_code == 201
    header = response.headers["X-Ignored-Fields"]
    assert header.isascii() and header == header.strip()
    assert "\\xfcn\\xefcode" in header


async def test_lukhas_registry_round_trip(http: httpx.AsyncClient, admin_token: str) -> None:
    registered = await http.post(
        "/v1/constellation/registry/nodes",
        json={
            "node_id": "pattern_attention_node",
            "capabilities": ["pattern_recognition"],
            "constellation_metadata": {
                "compatible_pillars": ["🧠"],
                "pipeline_stages": ["attention"],
            },
        },
        headers=auth(admin_token),
    )
    assert registered.status_code == 200
    assert registered.json()["status"] == "registered"
    found = await http.get(
        "/v1/constellation/registry/nodes",
        params={"stage": "attention", "pillar": "consciousness"},
        headers=auth(admin_token),
    )
    body = found.json()
    assert [n["node_id"] for n in body["nodes"]] == ["pattern_attention_node"]
    assert body["total_count"] == 1
    other = await http.get(
        "/v1/constellation/registry/nodes", params={"stage": "risk"}, headers=auth(admin_token)
    )
    assert other.json()["nodes"] == []


async def test_unknown_plugin_is_404_and_not_created(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    created = await http.post(
        "/graphql",
        json={
            "query": 'mutation { createSystem(input: {id: "nexusnet", name: "NexusNet"}) { id } }'
        },
        headers=auth(admin_token),
    )
    assert "errors" not in created.json()
    response = await http.post("/plugins/GhostPlugin/activate", headers=auth(admin_token))
    assert response.status_code == 404
    nested_error(response.json(), "NOT_FOUND", {"request_id"})
    plugins = await http.get("/plugins", headers=auth(admin_token))
    assert plugins.json()["plugins"] == []


async def test_json_mongodb_cannot_store_is_422_not_500(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    huge = await http.post(
        "/v1/constellation/registry/nodes",
        content=b'{"node_id": "n1", "constructor_config": {"x": 123456789012345678901234567890}}',
        headers={**auth(admin_token), "Content-Type": "application/json"},
    )
    assert huge.status_code == 422
    nested_error(huge.json(), "VALIDATION_ERROR", {"trace_id"})
    nan = await http.post(
        "/api/tasks",
        content=b'{"name": "x", "parameters": {"v": NaN}}',
        headers={**auth(admin_token), "Content-Type": "application/json"},
    )
    assert nan.status_code == 400
    deep = await http.post(
        "/api/tasks",
        content=b'{"name": "x", "parameters": ' + b'{"a": ' * 100_000 + b"1" + b"}" * 100_001,
        headers={**auth(admin_token), "Content-Type": "application/json"},
    )
    assert deep.status_code == 400


async def test_health_routes_answer_503_while_the_database_is_down(
    settings: Settings, server: RunningServer
) -> None:
    database = DatabaseServer().start()
    configured = settings.model_copy(
        update={
            "mongodb_url": database.url,
            "database": "health_outage",
            "database_timeout_ms": 1000,
        }
    )
    paths = {
        "/api/health": "octospine",
        "/health": "nexusnet",
        "/v1/health": "lukhas",
        "/api/v1/health": "drift",
    }
    try:
        async with (
            extra_server(create_app(configured), server) as running,
            httpx.AsyncClient(base_url=running.url, timeout=30) as client,
        ):
            for path in paths:
                assert (await client.get(path)).status_code == 200, path
            database.stop()
            for path, api in paths.items():
                response = await client.get(path)
                assert response.status_code == 503, (path, response.text)
                body = response.json()
                text = json.dumps(body)
                assert "unhealthy" in text, (api, body)
    finally:
        database.stop()
