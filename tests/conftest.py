"""Session fixtures: one database server, one AxonQL server; a clean database per test."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from axonql import models
from axonql.scopes import ALL_SCOPES
from axonql.services.bootstrap import ensure_server_system
from axonql.settings import Settings
from tests.support import (
    DatabaseServer,
    GraphQLClient,
    RequestCommands,
    RunningServer,
    observed_app,
    own_database,
    token_for,
)

# A test that runs over pytest-timeout's limit fails with every thread's and task's stack
# instead of hanging the run (see hang_dump for why the default signal method could not).
pytest_plugins = ["tests.hang_dump"]


@pytest.fixture(scope="session")
def mongo_url() -> Iterator[str]:
    """`AXONQL_MONGODB_URL` when set, else a fresh SecantusDB server for this session."""
    external = os.environ.get("AXONQL_MONGODB_URL")
    if external:
        yield external
        return
    server = DatabaseServer().start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def settings(mongo_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        mongodb_url=mongo_url,
        database=own_database("axonql_test"),
        data_dir=Path(tmp_path_factory.mktemp("axonql-data")),
        env="test",
        jwt_secret="test-secret-" + "x" * 32,
        broadcast_url="memory://",
        metrics_interval_seconds=0,  # no background samples; tests run their own samplers
        immune_scan_interval_seconds=0,  # no background scans; tests run their own
        # No background reaping either: tests that plant expired leases or silent agents
        # reap themselves, and a reaper running beside them would race their assertions.
        lease_check_seconds=24 * 3600,
    )


@pytest.fixture(scope="session")
def request_commands() -> RequestCommands:
    """The database commands the session server sends for requests (clear it before use)."""
    return RequestCommands()


@pytest.fixture(scope="session")
async def server(
    settings: Settings, request_commands: RequestCommands
) -> AsyncIterator[RunningServer]:
    running = await RunningServer.start(observed_app(settings, request_commands))
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture(autouse=True)
async def clean_database(server: RunningServer) -> AsyncIterator[None]:
    """Every test starts from an empty database (plus the server's own System)...

    ...and with no subscription left from the test before: its client may have just closed,
    and a stale subscriber would let `wait_for_subscribers` return before the new one exists.
    """
    hub = server.app.state.axon.realtime.hub
    async with asyncio.timeout(10):
        while len(hub):
            await asyncio.sleep(0.01)
    for model in models.ALL_DOCUMENTS:
        await model.get_pymongo_collection().delete_many({})
    server.app.state.axon.value_samples.taken.clear()  # samples of the data just deleted
    await ensure_server_system(server.app.state.axon)
    yield


@pytest.fixture
async def http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture
def gql(http: httpx.AsyncClient) -> GraphQLClient:
    return GraphQLClient(http)


@pytest.fixture
async def admin_token(settings: Settings) -> str:
    return await token_for(settings, sorted(ALL_SCOPES), user_id="user_admin")
