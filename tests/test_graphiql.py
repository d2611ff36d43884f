"""GraphiQL served with no CDN: its files, the page in headless Chromium, and production mode."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest

from axonql import models
from axonql.graphiql import STATIC_PATH
from axonql.graphiql_assets import VENDOR_DIR, AssetError, asset_file, ensure_assets, page_assets
from axonql.stopping import stop_process
from tests.support import GraphQLClient, RunningServer, env_flag, free_port, own_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
RESULT_EDITOR = ".result-window .CodeMirror"
CREATE_TASK = "mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }"


def editor_value(selector: str) -> str:
    """JS returning a CodeMirror editor's text ('' until it exists)."""
    return f"document.querySelector({json.dumps(selector)})?.CodeMirror?.getValue() ?? ''"


def graphiql_url(base: str, query: str, token: str) -> str:
    """The page with its query and headers editors prefilled (`?q=` / `?headers=`)."""
    headers = json.dumps({"Authorization": f"Bearer {token}"})
    return f"{base}/graphql?q={quote(query, safe='')}&headers={quote(headers, safe='')}"


# --- assets over HTTP (no browser needed) ---------------------------------------------------


async def test_page_points_every_asset_at_this_server(http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "unpkg.com" not in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    for asset in page_assets():
        local = f"{STATIC_PATH}/{asset.relative}"
        assert f'"{local}"' in page.text
        assert f'integrity="{asset.integrity}"' in page.text
        served = await http.get(local)
        assert served.status_code == 200, local
        assert asset.matches(served.content), local
        assert "immutable" in served.headers["cache-control"]
    assert (await http.get(f"{STATIC_PATH}/graphiql@3.8.3/package.json")).status_code == 404
    assert (await http.get(f"{STATIC_PATH}/.fetched")).status_code == 404
    assert (await http.get(f"{STATIC_PATH}/%2E%2E/%2E%2E/settings.py")).status_code == 404


def test_fetch_is_idempotent_and_repairs_a_bad_file(tmp_path: Path) -> None:
    vendor = tmp_path / "vendor"
    shutil.copytree(VENDOR_DIR, vendor)
    assert ensure_assets(vendor) == []
    react = next(a for a in page_assets() if a.package == "react")
    asset_file(react, vendor).write_text("tampered")
    assert ensure_assets(vendor) == [react]
    assert react.matches(asset_file(react, vendor).read_bytes())
    assert (vendor / ".fetched").is_file()


def test_fetch_without_npm_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AssetError, match="npm is required"):
        ensure_assets(tmp_path / "empty")


@pytest.fixture
async def production_server(mongo_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """`AXONQL_ENV=production` in its own process (Beanie's model binding is per process)."""
    port = free_port()
    env = {
        **os.environ,
        "AXONQL_ENV": "production",
        "AXONQL_JWT_SECRET": "production-secret-" + "y" * 32,
        "AXONQL_MONGODB_URL": mongo_url,
        "AXONQL_DATABASE": own_database("axonql_test_production"),
        "AXONQL_DATA_DIR": str(tmp_path),
    }
    env.pop("AXONQL_GRAPHIQL", None)
    command = [sys.executable, "-m", "uvicorn", "--factory", "axonql.app:create_app"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            for _ in range(300):
                assert process.poll() is None, "production server exited during startup"
                try:
                    await client.get("/graphql")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        yield url
    finally:
        stop_process(process, 30)


async def test_graphiql_is_off_in_production(production_server: str) -> None:
    async with httpx.AsyncClient(base_url=production_server, timeout=30) as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})
        assert page.status_code == 404
        assert "graphiql" not in page.text.lower()
        asset = page_assets()[0]
        assert (await client.get(f"{STATIC_PATH}/{asset.relative}")).status_code == 404
        api = await client.post("/graphql", json={"query": "{ __typename }"})
        assert api.json() == {"data": {"__typename": "Query"}}


# --- the page in headless Chromium ----------------------------------------------------------


@dataclass
class Traffic:
    """Every request the page attempted, and anything that went wrong in it."""

    blocked: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)
    websockets: list[str] = field(default_factory=list)
    frames_sent: list[str] = field(default_factory=list)
    posts: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():
        if env_flag("AXONQL_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing and AXONQL_REQUIRE_BROWSER is set")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.async_api import async_playwright

    playwright = await async_playwright().start()
    try:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS
        )
        yield launched
        await launched.close()
    finally:
        await playwright.stop()


@pytest.fixture
async def page(browser: Any) -> AsyncIterator[tuple[Any, Traffic]]:
    """A page in a fresh context that may only reach 127.0.0.1; the rest is blocked and noted."""
    traffic = Traffic()
    context = await browser.new_context()

    async def guard(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).hostname == "127.0.0.1":
            traffic.local.append(url)
            if route.request.method == "POST":
                traffic.posts.append(route.request.post_data or "")
            await route.continue_()
        else:
            traffic.blocked.append(url)
            await route.abort()

    await context.route("**/*", guard)
    tab = await context.new_page()

    def on_websocket(ws: Any) -> None:
        traffic.websockets.append(ws.url)
        ws.on("framesent", lambda payload: traffic.frames_sent.append(str(payload)))

    tab.on("websocket", on_websocket)
    tab.on("pageerror", lambda exc: traffic.problems.append(f"page error: {exc}"))
    tab.on(
        "console",
        lambda msg: (
            traffic.problems.append(f"console: {msg.text}") if msg.type == "error" else None
        ),
    )
    try:
        yield tab, traffic
    finally:
        await context.close()


async def run_in_graphiql(tab: Any, url: str, query: str, expect: str) -> dict[str, Any]:
    """Opens GraphiQL prefilled, presses Run, returns the response once it contains `expect`."""
    await tab.goto(url)
    await tab.wait_for_function(f"() => ({editor_value(QUERY_EDITOR)}) === {json.dumps(query)}")
    await tab.click(".graphiql-execute-button")
    await tab.wait_for_function(
        f"() => ({editor_value(RESULT_EDITOR)}).includes({json.dumps(expect)})", timeout=15_000
    )
    result: dict[str, Any] = json.loads(await tab.evaluate(f"() => {editor_value(RESULT_EDITOR)}"))
    return result


async def result_containing(tab: Any, needles: list[str], seconds: float) -> str:
    """The response editor's text once it contains one of `needles`, or '' after `seconds`."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        shown: str = await tab.evaluate(f"() => {editor_value(RESULT_EDITOR)}")
        if any(needle in shown for needle in needles):
            return shown
        if asyncio.get_running_loop().time() > deadline:
            return ""
        await asyncio.sleep(0.05)


async def test_graphiql_runs_a_query_in_chromium_without_a_cdn(
    server: RunningServer,
    admin_token: str,
    page: tuple[Any, Traffic],
) -> None:
    tab, traffic = page
    await models.Task(name="Seen through GraphiQL", type="documentation").insert()

    query = "{ tasks { name } }"
    result = await run_in_graphiql(
        tab, graphiql_url(server.url, query, admin_token), query, "Seen through GraphiQL"
    )

    assert result == {"data": {"tasks": [{"name": "Seen through GraphiQL"}]}}
    assert traffic.blocked == []
    assert traffic.problems == []
    for asset in page_assets():
        assert f"{server.url}{STATIC_PATH}/{asset.relative}" in traffic.local
    assert any(u.startswith(f"{server.url}/graphql") for u in traffic.local)


async def test_graphiql_without_token_shows_the_auth_error(
    server: RunningServer, page: tuple[Any, Traffic]
) -> None:
    tab, traffic = page
    query = "{ tasks { name } }"
    await tab.goto(f"{server.url}/graphql?q={quote(query, safe='')}")
    await tab.wait_for_function(f"() => ({editor_value(QUERY_EDITOR)}) === {json.dumps(query)}")
    await tab.click(".graphiql-execute-button")
    await tab.wait_for_function(f"() => ({editor_value(RESULT_EDITOR)}).includes('errors')")
    result = json.loads(await tab.evaluate(f"() => {editor_value(RESULT_EDITOR)}"))
    assert result["errors"][0]["extensions"]["code"] == "AUTHENTICATION_FAILED"
    assert traffic.blocked == []


async def test_graphiql_subscription_sees_a_mutation_over_websocket(
    server: RunningServer, gql: GraphQLClient, admin_token: str, page: tuple[Any, Traffic]
) -> None:
    tab, traffic = page
    query = "subscription { taskUpdated { type taskId payload } }"
    # Opening with ?q= lets GraphiQL parse the document before Run, so it picks the WebSocket.
    await tab.goto(graphiql_url(server.url, query, admin_token))
    await tab.wait_for_function(f"() => ({editor_value(QUERY_EDITOR)}) === {json.dumps(query)}")
    await tab.click(".graphiql-execute-button")
    for _ in range(200):
        if any('"type":"subscribe"' in frame for frame in traffic.frames_sent):
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail(f"GraphiQL never subscribed over a WebSocket: {traffic.frames_sent}")

    # The server registers the subscription just after that frame arrives: retry until seen.
    created: list[str] = []
    shown = ""
    for attempt in range(20):
        body = await gql(CREATE_TASK, {"input": {"name": f"Live {attempt}"}}, admin_token)
        assert "errors" not in body, body
        created.append(body["data"]["createTask"]["id"])
        shown = await result_containing(tab, created, seconds=0.5)
        if shown:
            break
    assert shown, "no event reached GraphiQL's response editor"
    event = json.loads(shown)["data"]["taskUpdated"]
    assert event["type"] == "TASK_STATE_CHANGED"
    assert event["taskId"] in created
    assert event["payload"]["change"] == "created"

    ws_url = server.ws_url + "/graphql"
    assert traffic.websockets and all(u.startswith(ws_url) for u in traffic.websockets)
    init = json.loads(next(f for f in traffic.frames_sent if "connection_init" in f))
    assert init["payload"] == {"Authorization": f"Bearer {admin_token}"}
    assert not any("taskUpdated" in body for body in traffic.posts)
    assert traffic.blocked == []
    assert traffic.problems == []
