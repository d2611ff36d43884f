"""Response headers that keep browsers and caches from misusing answers; tokens kept out of logs."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import WebSocketException
from websockets.sync.client import connect as ws_connect

from axonql.log_redaction import RedactSecrets, redact
from axonql.rest_compat.mount import engine_of
from axonql.services.users import create_account
from axonql.settings import Settings
from tests.processes import serving
from tests.support import RunningServer, own_database

ROOT = Path(__file__).resolve().parent.parent
LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }"


@pytest.fixture(autouse=True)
def fresh_rate_limits(server: RunningServer) -> None:
    engine = engine_of(server.app.routes)
    assert engine is not None
    engine.limiter.reset()


async def test_nosniff_on_rest_graphql_and_health_responses(
    http: httpx.AsyncClient, admin_token: str
) -> None:
    bearer = {"Authorization": f"Bearer {admin_token}"}
    responses = {
        "rest": await http.get("/api/tasks", headers=bearer),
        "rest error": await http.get("/api/tasks/task_missing", headers=bearer),
        "graphql": await http.post("/graphql", json={"query": "{ __typename }"}),
        "health": await http.get("/health"),
        "lukhas health": await http.get("/v1/health"),
        "unrouted": await http.get("/no/such/path"),
    }
    assert {name: r.status_code for name, r in responses.items()} == {
        "rest": 200,
        "rest error": 404,
        "graphql": 200,
        "health": 200,
        "lukhas health": 200,
        "unrouted": 404,
    }
    for name, response in responses.items():
        assert response.headers.get("x-content-type-options") == "nosniff", name
        assert response.headers.get("cache-control") == "no-store", name


async def test_login_responses_are_never_stored(
    http: httpx.AsyncClient, settings: Settings
) -> None:
    await create_account(settings, username="cacheless", password="cacheless-password")
    credentials = {"username": "cacheless", "password": "cacheless-password"}
    rest = await http.post("/auth/login", json=credentials)
    lukhas = await http.post("/v1/auth/token", json={**credentials, "biometric_data": "aGk="})
    graphql = await http.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"u": "cacheless", "p": "cacheless-password"}},
    )
    assert rest.status_code == 200 and rest.json()["access_token"]
    assert lukhas.status_code == 200 and lukhas.json()["access_token"]
    assert graphql.status_code == 200 and graphql.json()["data"]["login"]["accessToken"]
    for response in (rest, lukhas, graphql):
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"


def test_redaction_keeps_the_access_log_record_shape() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/ws?x=1&TOKEN=abc.def&api_key=k-1;access_token=t#f", "1.1", 101),
        None,
    )
    assert RedactSecrets().filter(record) is True
    assert record.getMessage() == (
        '127.0.0.1:5000 - "GET /ws?x=1&TOKEN=[REDACTED]&api_key=[REDACTED];'
        'access_token=[REDACTED]#f HTTP/1.1" 101'
    )
    assert redact("/v1/tasks?mytoken=kept&page=2") == "/v1/tasks?mytoken=kept&page=2"


def test_tokens_in_query_strings_never_reach_the_log(mongo_url: str, tmp_path: Path) -> None:
    """A real `axonql serve`: its access log and WebSocket handshake lines, read from stderr."""
    database = own_database("axonql_log_redaction_test")
    log_path = tmp_path / "serve.log"
    with (
        log_path.open("wb") as log,
        serving(mongo_url, tmp_path, database, stdout=log, stderr=subprocess.STDOUT) as base,
    ):
        httpx.get(f"{base}/health?token=secret-http-token&verbose=1", timeout=10)
        httpx.get(f"{base}/api/tasks?access_token=secret-access&api_key=secret-key", timeout=10)
        try:
            with ws_connect(
                base.replace("http", "ws", 1) + "/v1/stream/consciousness?token=secret-ws-token",
                open_timeout=10,
            ) as websocket:
                websocket.close()
        except (WebSocketException, OSError):
            pass  # refused or closed: the handshake line is logged either way
    output = log_path.read_text(errors="replace")
    assert "secret-" not in output, output
    assert "GET /health?token=[REDACTED]&verbose=1" in output, output
    assert "access_token=[REDACTED]&api_key=[REDACTED]" in output, output
    assert "/v1/stream/consciousness?token=[REDACTED]" in output, output
