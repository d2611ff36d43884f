"""Rate-limit headers and 429s per API; OCTOSPINE limit/offset blocks; drift page headers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from axonql import models
from axonql.models.base import utcnow
from axonql.rest_compat.mount import engine_of
from axonql.rest_compat.ratelimit import RateLimiter
from axonql.scopes import ALL_SCOPES
from axonql.services import tallies
from axonql.services.simulation_runs import CAPABILITY
from axonql.settings import Settings
from tests.redis_server import redis_server
from tests.support import RunningServer, token_for


@pytest.fixture(autouse=True)
def fresh_rate_limits(server: RunningServer) -> None:
    engine = engine_of(server.app.routes)
    assert engine is not None
    engine.limiter.reset()


@pytest.fixture
async def tight(server: RunningServer, http: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """Tiny limits on the running engine (the documented ones take minutes to exhaust).

    They go through the same per-group override mechanism as `AXONQL_REST_RATE_LIMITS`.
    """
    engine = engine_of(server.app.routes)
    assert engine is not None
    saved = dict(engine.overrides)
    engine.overrides.update(
        {
            "octospine.default": "3/minute",
            "nexusnet.auth": "2/minute",
            "synapticos.default": "2/hour",
            "lukhas.default": "2/minute",
            "drift.default": "2/minute",
        }
    )
    try:
        yield http
    finally:
        engine.overrides.clear()
        engine.overrides.update(saved)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_documented_limit_headers(http: httpx.AsyncClient, admin_token: str) -> None:
    response = await http.get("/api/tasks", headers=auth(admin_token))
    assert response.headers["X-RateLimit-Limit"] == "1000"
    assert response.headers["X-RateLimit-Remaining"] == "999"
    assert int(response.headers["X-RateLimit-Reset"]) > time.time()
    assert "X-RateLimit-Reset-After" not in response.headers
    again = await http.get("/api/tasks", headers=auth(admin_token))
    assert again.headers["X-RateLimit-Remaining"] == "998"
    nexus = await http.post("/auth/login", json={"username": "u", "password": "p"})
    assert nexus.headers["X-RateLimit-Limit"] == "100"
    synaptic = await http.post("/api/v2/auth/refresh", json={"refresh_token": "x"})
    assert synaptic.headers["X-RateLimit-Limit"] == "1000"


async def test_octospine_429(tight: httpx.AsyncClient, settings: Settings) -> None:
    token = await token_for(settings, sorted(ALL_SCOPES), user_id="user_limits")
    for remaining in ("2", "1", "0"):
        ok = await tight.get("/api/tasks", headers=auth(token))
        assert ok.status_code == 200
        assert ok.headers["X-RateLimit-Remaining"] == remaining
    limited = await tight.get("/api/tasks", headers=auth(token))
    assert limited.status_code == 429
    body = limited.json()
    assert body["success"] is False
    assert body["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    # Counted per caller: someone else still gets through.
    other = await token_for(settings, sorted(ALL_SCOPES), user_id="user_other")
    assert (await tight.get("/api/tasks", headers=auth(other))).status_code == 200


async def test_nexusnet_and_synapticos_429_bodies(tight: httpx.AsyncClient) -> None:
    for _ in range(2):
        await tight.post("/auth/login", json={"username": "u", "password": "password"})
    limited = await tight.post("/auth/login", json={"username": "u", "password": "password"})
    assert limited.status_code == 429
    error = limited.json()["error"]
    assert error["code"] == "RATE_LIMITED"
    assert error["details"]["limit"] == 2
    assert error["details"]["window"] == "1 minute"
    assert error["details"]["retry_after"] > 0

    for _ in range(2):
        await tight.post("/api/v2/auth/refresh", json={"refresh_token": "x"})
    limited = await tight.post("/api/v2/auth/refresh", json={"refresh_token": "x"})
    assert limited.status_code == 429
    error = limited.json()["error"]
    assert error["code"] == "RATE_LIMIT_EXCEEDED"
    assert error["retry_after"] > 60


async def test_lukhas_reset_after_and_drift_429(tight: httpx.AsyncClient) -> None:
    first = await tight.post("/v1/auth/token", json={"username": "u", "password": "password"})
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert 0 < int(first.headers["X-RateLimit-Reset-After"]) <= 60
    await tight.get("/api/v1/health")
    await tight.get("/api/v1/health")
    limited = await tight.get("/api/v1/health")
    assert limited.status_code == 429
    body = limited.json()
    assert body["status_code"] == 429
    assert body["detail"].startswith("RATE_LIMIT_EXCEEDED")


def shared_counters(url: str) -> list[bool]:
    """Two limiters (two instances) on one storage URL count the same requests."""
    one, two = RateLimiter(url), RateLimiter(url)

    async def hits() -> list[bool]:
        key = f"k{time.time_ns()}"
        a = await one.hit("2/minute", "t", key)
        b = await two.hit("2/minute", "t", key)
        c = await one.hit("2/minute", "t", key)
        return [a.allowed, b.allowed, c.allowed]

    return asyncio.run(hits())


def test_limiter_counters_shared_through_mongodb(mongo_url: str) -> None:
    assert shared_counters(mongo_url) == [True, True, False]


def test_limiter_counters_shared_through_redis() -> None:
    with redis_server() as url:
        assert shared_counters(url) == [True, True, False]


def test_limiter_in_memory_is_per_instance() -> None:
    assert shared_counters("memory://") == [True, True, True]


# ---------------------------------------------------------------- pagination


async def test_octospine_limit_offset_block(http: httpx.AsyncClient, admin_token: str) -> None:
    for i in range(5):
        await models.Task(name=f"t{i}").insert()
    await tallies.rebuild()  # inserted directly, not through the services: recount
    page = await http.get("/api/tasks", params={"limit": 2, "offset": 2}, headers=auth(admin_token))
    data = page.json()["data"]
    assert len(data["tasks"]) == 2
    assert data["pagination"] == {"total": 5, "limit": 2, "offset": 2, "has_more": True}
    last = await http.get("/api/tasks", params={"limit": 2, "offset": 4}, headers=auth(admin_token))
    assert last.json()["data"]["pagination"]["has_more"] is False
    assert len(last.json()["data"]["tasks"]) == 1
    too_big = await http.get("/api/tasks", params={"limit": 1000}, headers=auth(admin_token))
    assert too_big.status_code == 400


async def gql(http: httpx.AsyncClient, token: str, query: str, variables: Any = None) -> Any:
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=auth(token)
    )
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]


async def test_drift_page_size_headers(http: httpx.AsyncClient, admin_token: str) -> None:
    await models.Agent(name="w", capabilities=[CAPABILITY], last_heartbeat=utcnow()).insert()
    run = await gql(http, admin_token, "mutation { startSimulation(input: {}) { simulationId } }")
    sim_id = run["startSimulation"]["simulationId"]
    for score in range(7):
        await gql(
            http,
            admin_token,
            "mutation($i: RecordAssessmentInput!) { recordAssessment(input: $i) { id } }",
            {
                "i": {
                    "simulationId": sim_id,
                    "personaId": "persona_001",
                    "assessmentType": "phq9",
                    "score": score,
                }
            },
        )
    response = await http.get(
        "/api/v1/data/assessments", params={"page": 2, "size": 3}, headers=auth(admin_token)
    )
    assert response.status_code == 200, response.text
    assert response.headers["X-Total-Count"] == "7"
    assert response.headers["X-Page-Count"] == "3"
    assert response.headers["X-Current-Page"] == "2"
    assert response.headers["X-Page-Size"] == "3"
    body = response.json()
    assert len(body["assessments"]) == 3
    assert body["total_count"] == 7
    assert set(body["summary"]["phq9"]) == {"mean", "std", "min", "max"}
