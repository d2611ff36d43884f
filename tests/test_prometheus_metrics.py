"""Prometheus `/metrics`: real traffic moves every family; access needs the token or a network."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from ipaddress import ip_network
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from starlette.requests import Request

from axonql.app import create_app
from axonql.observability.metrics_endpoint import refusal
from axonql.rest_compat.mount import engine_of
from axonql.scopes import ALL_SCOPES
from axonql.services.request_stats import RequestStats
from axonql.settings import Settings
from tests.agents_support import COMPLETE, claim, queued_task, register
from tests.support import GraphQLClient, RunningServer, extra_server, token_for
from tests.ws_client import RawSubscription

FAMILIES = {
    "axonql_http_requests": "counter",
    "axonql_http_request_duration_seconds": "histogram",
    "axonql_graphql_operations": "counter",
    "axonql_subscriptions_open": "gauge",
    "axonql_realtime_events_dispatched": "counter",
    "axonql_realtime_slow_consumers_closed": "counter",
    "axonql_websocket_connections": "gauge",
    "axonql_queue_tasks": "gauge",
    "axonql_task_duration_seconds": "histogram",
    "axonql_database_command_duration_seconds": "histogram",
    "axonql_rate_limit_refusals": "counter",
}
LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }"


class Scrape:
    """One parsed `/metrics` answer."""

    def __init__(self, text: str) -> None:
        families = list(text_string_to_metric_families(text))
        self.types = {f.name: f.type for f in families}
        self.samples: list[Sample] = [s for f in families for s in f.samples]

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples called `name` whose labels include `labels`."""
        return sum(
            s.value
            for s in self.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )

    def labels(self, name: str, label: str) -> set[str]:
        return {s.labels[label] for s in self.samples if s.name == name and label in s.labels}


async def scrape(http: httpx.AsyncClient) -> Scrape:
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return Scrape(response.text)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def fresh_queue_counts(server: RunningServer) -> Iterator[None]:
    """Queue depth counted at every scrape here (it is cached for seconds otherwise)."""
    depth = server.app.state.axon.metrics.queue_depth
    saved, depth.ttl = depth.ttl, 0.0
    yield
    depth.ttl = saved


@pytest.fixture
def fresh_limits(server: RunningServer) -> Iterator[None]:
    """Rate-limit and login counters are per server: start and leave with none."""
    engine = engine_of(server.app.routes)
    assert engine is not None
    saved = dict(engine.overrides)
    state = server.app.state.axon
    engine.limiter.reset()
    state.login_throttle.reset()
    yield
    engine.overrides.clear()
    engine.overrides.update(saved)
    engine.limiter.reset()
    state.login_throttle.reset()


async def wait_until(check: Callable[[], bool], timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


async def test_traffic_moves_every_family(
    server: RunningServer,
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    admin_token: str,
    settings: Settings,
    fresh_queue_counts: None,
    fresh_limits: None,
) -> None:
    stats = server.app.state.axon.request_stats
    assert isinstance(stats, RequestStats)
    stats.drain()
    before = await scrape(http)
    assert {name: before.types.get(name) for name in FAMILIES} == FAMILIES

    # GraphQL: one fine operation, one failing with a coded error.
    fine = await http.post("/graphql", json={"query": "query Health { health { status } }"})
    assert fine.status_code == 200 and "errors" not in fine.json()
    missing = await gql('query MissingTask { task(id: "task_none") { id } }', token=admin_token)
    code = missing["errors"][0]["extensions"]["code"]
    status = str(missing["errors"][0]["extensions"]["status"])
    assert code != "ok" and status.startswith("4")

    # REST: a plain route, a templated one, then a rate-limit refusal; and an unrouted path.
    assert (await http.get("/api/tasks", headers=auth(admin_token))).status_code == 200
    assert (await http.get("/api/tasks/task_none", headers=auth(admin_token))).status_code == 404
    engine = engine_of(server.app.routes)
    assert engine is not None
    engine.overrides["octospine.default"] = "1/minute"
    limited_user = await token_for(settings, sorted(ALL_SCOPES), user_id="user_limited")
    assert (await http.get("/api/tasks", headers=auth(limited_user))).status_code == 200
    assert (await http.get("/api/tasks", headers=auth(limited_user))).status_code == 429
    assert (await http.get("/no/such/path")).status_code == 404

    # Login throttling: the account's failures run out, then the check itself is refused.
    for _ in range(20):
        body = await gql(LOGIN, {"u": "metrics-nobody", "p": "wrong"})
        if body["errors"][0]["extensions"]["code"] == "RATE_LIMIT_EXCEEDED":
            break
    else:
        raise AssertionError("login was never throttled")

    # A subscription over WebSocket, and an event delivered to it.
    subscription = await RawSubscription.open(
        f"{server.ws_url}/graphql", admin_token, "subscription Events { events { type } }"
    )
    hub = server.app.state.axon.realtime.hub
    await wait_until(lambda: len(hub) >= 1)

    # The queue: a task that stays queued; another claimed, completed, and delivered above.
    _, key = await register(gql, admin_token, "metrics-agent", [])
    waiting = await queued_task(gql, admin_token, name="waiting", priority="LOW")
    await queued_task(gql, admin_token, name="done", priority="HIGH")
    task = await claim(gql, key)
    assert task is not None and task["id"] != waiting
    await asyncio.sleep(0.05)  # a measurable run time
    done = await gql(COMPLETE, {"id": task["id"], "r": {"ok": True}}, key)
    assert done["data"]["completeTask"]["status"] == "COMPLETED"
    assert (await subscription.next_data())["events"]["type"]

    during = await scrape(http)
    assert during.value("axonql_subscriptions_open") >= 1
    assert during.value("axonql_websocket_connections", api="graphql") >= 1
    events = "axonql_realtime_events_dispatched_total"
    assert during.value(events) > before.value(events)
    assert during.types["axonql_realtime_slow_consumers_closed"] == "counter"
    assert during.value("axonql_queue_tasks", status="queued") == 1
    assert during.value("axonql_queue_tasks", status="running") == 0
    assert during.labels("axonql_queue_tasks", "status") == {
        "created",
        "queued",
        "running",
        "paused",
    }
    await subscription.close()
    await wait_until(lambda: len(hub) == 0)
    for _ in range(100):  # a subscription counts once its stream has closed
        after = await scrape(http)
        if after.value("axonql_graphql_operations_total", operation_name="Events"):
            break
        await asyncio.sleep(0.05)

    def moved(name: str, **labels: str) -> float:
        return after.value(name, **labels) - before.value(name, **labels)

    requests = "axonql_http_requests_total"
    assert moved(requests, api="graphql", route="/graphql", method="POST", status="200") >= 1
    assert moved(requests, api="graphql", route="/graphql", status=status) == 1
    assert moved(requests, api="octospine", route="/api/tasks", method="GET", status="200") == 2
    assert moved(requests, api="octospine", route="/api/tasks", status="429") == 1
    assert moved(requests, api="octospine", route="/api/tasks/{task_id}", status="404") == 1
    assert moved(requests, api="none", route="<unmatched>", status="404") == 1
    assert not any("task_none" in route for route in after.labels(requests, "route"))
    latency = "axonql_http_request_duration_seconds"
    rest = {"api": "octospine", "route": "/api/tasks", "method": "GET"}
    assert moved(f"{latency}_count", **rest) == 3
    assert moved(f"{latency}_bucket", le="+Inf", **rest) == 3
    assert moved(f"{latency}_sum", **rest) > 0

    operations = "axonql_graphql_operations_total"
    assert moved(operations, api="graphql", operation_name="Health", outcome="ok") == 1
    assert (
        moved(operations, operation_name="MissingTask", operation_type="query", outcome=code) == 1
    )
    # Each REST call that got past its rate limit ran a GraphQL operation, counted as its API's.
    assert moved(operations, api="octospine") >= 3
    assert moved(operations, operation_type="subscription", operation_name="Events") == 1
    assert moved(operations, operation_name="<anonymous>", operation_type="mutation") >= 1

    tasks = "axonql_task_duration_seconds"
    assert moved(f"{tasks}_count", outcome="completed") == 1
    assert moved(f"{tasks}_sum", outcome="completed") >= 0.05

    commands = "axonql_database_command_duration_seconds"
    assert moved(f"{commands}_count", command="find", outcome="ok") > 0
    assert moved(f"{commands}_count", command="insert", outcome="ok") > 0

    refusals = "axonql_rate_limit_refusals_total"
    assert moved(refusals, limiter="rest", group="octospine.default") == 1
    assert moved(refusals, limiter="login", group="account") == 1

    # One source: the legacy request series counted exactly what Prometheus counted.
    window = stats.drain()
    for app in ("octospine", "graphql"):
        assert window.apps[app].requests == moved(requests, api=app), app


async def test_operation_names_are_bounded(server: RunningServer) -> None:
    metrics = server.app.state.axon.metrics
    assert metrics.operation_name(None) == "<anonymous>"
    assert metrics.operation_name("x" * 500) == "x" * 100


async def test_a_token_is_required_once_configured(
    settings: Settings, server: RunningServer
) -> None:
    configured = settings.model_copy(update={"metrics_token": "scrape-me"})
    async with (
        extra_server(create_app(configured), server) as running,
        httpx.AsyncClient(base_url=running.url, timeout=30) as client,
    ):
        missing = await client.get("/metrics")
        assert missing.status_code == 401
        assert missing.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await client.get("/metrics", headers=auth("wrong"))).status_code == 401
        assert (
            await client.get("/metrics", headers={"Authorization": "scrape-me"})
        ).status_code == 401
        good = await client.get("/metrics", headers=auth("scrape-me"))
        assert good.status_code == 200
        assert Scrape(good.text).types["axonql_http_requests"] == "counter"
        # Its own registry: the refused scrapes above are this app's, not the session server's.
        unauthorized = Scrape(good.text).value(
            "axonql_http_requests_total", route="/metrics", status="401"
        )
        assert unauthorized == 3


def scrape_request(host: str, authorization: str | None = None) -> Request:
    headers = [(b"authorization", authorization.encode())] if authorization else []
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/metrics",
            "headers": headers,
            "client": (host, 40000),
        }
    )


def test_without_a_token_only_allowed_networks_are_served(settings: Settings) -> None:
    default = Settings(jwt_secret="x")
    for host in ("127.0.0.1", "::1", "10.1.2.3", "192.168.0.9", "::ffff:172.16.5.5"):
        assert refusal(scrape_request(host), default) is None, host
    for host in ("8.8.8.8", "2001:db8::1", "not-an-address"):
        refused = refusal(scrape_request(host), default)
        assert refused is not None and refused.status_code == 403, host
    narrow = default.model_copy(update={"metrics_allow": [ip_network("10.0.0.0/8")]})
    refused = refusal(scrape_request("127.0.0.1"), narrow)
    assert refused is not None and refused.status_code == 403
    # With a token the network no longer matters, the token does.
    tokened = default.model_copy(update={"metrics_token": "t"})
    assert refusal(scrape_request("8.8.8.8", "Bearer t"), tokened) is None
    refused = refusal(scrape_request("127.0.0.1"), tokened)
    assert refused is not None and refused.status_code == 401


def test_metrics_can_be_switched_off(settings: Settings) -> None:
    routes = create_app(settings.model_copy(update={"metrics_enabled": False})).routes
    assert "/metrics" not in {getattr(r, "path", None) for r in routes}
    assert "/metrics" in {getattr(r, "path", None) for r in create_app(settings).routes}


MULTIPROCESS_WORKER = """
from axonql.observability.metrics import Metrics
metrics = Metrics()
metrics.http_requests.labels("graphql", "/graphql", "POST", "200").inc({n})
"""

MULTIPROCESS_SCRAPE = """
from prometheus_client import generate_latest
from axonql.observability.metrics import Metrics
from axonql.observability.metrics_endpoint import exposition_registry
print(generate_latest(exposition_registry(Metrics())).decode())
"""


def test_multiprocess_mode_sums_every_worker(tmp_path: Path) -> None:
    """Two worker processes count; a third answers the scrape with the sum of both."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}

    def run(code: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout

    run(MULTIPROCESS_WORKER.format(n=2))
    run(MULTIPROCESS_WORKER.format(n=3))
    scraped = Scrape(run(MULTIPROCESS_SCRAPE))
    assert scraped.value("axonql_http_requests_total", api="graphql", status="200") == 5
