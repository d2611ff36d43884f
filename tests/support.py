"""Helpers the tests share: a real database server, a real HTTP server, a GraphQL client."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pymongo
import pytest
import uvicorn
from beanie import Document, init_beanie
from pymongo import monitoring
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from axonql import models
from axonql.models.base import utcnow
from axonql.services.auth import TokenPair, issue_access_token, login
from axonql.services.events import rebuild_kept
from axonql.services.login_throttle import LoginThrottle
from axonql.stopping import stop_process


async def imported(*docs: Document) -> None:
    """Documents inserted directly, as a bulk import would (one by one, so each keeps its own
    model), then what the services keep beside the documents they write rebuilt: the tallies
    and the words searches read."""
    for doc in docs:
        await doc.insert()
    await rebuild_kept()


def own_database(name: str) -> str:
    """`name` for this pytest worker: workers share an external AXONQL_MONGODB_URL server."""
    return f"{name}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def secantus_binary() -> str:
    return str(Path(sys.executable).parent / "secantusd-py")


class DatabaseServer:
    """A SecantusDB server process (ephemeral unless given a storage path)."""

    def __init__(self, storage: str = ":memory:", port: int | None = None) -> None:
        self.port = port or free_port()
        self.storage = storage
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self) -> DatabaseServer:
        self.process = subprocess.Popen(
            [
                secantus_binary(),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--storage-path",
                self.storage,
                "--log-level",
                "ERROR",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError("SecantusDB did not start")

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


@dataclass
class RunningServer:
    """An AxonQL app served by uvicorn on a real socket, in the test event loop."""

    app: Starlette
    port: int
    server: uvicorn.Server
    task: asyncio.Task[None]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @classmethod
    async def start(cls, app: Starlette) -> RunningServer:
        port = free_port()
        # A bounded graceful shutdown: a connection the app never closes must not hang the
        # session's teardown (seen at the end of full runs; the cause is still open).
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=10,
        )
        server = uvicorn.Server(config)
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("server exited during startup")
            await asyncio.sleep(0.02)
        return cls(app=app, port=port, server=server, task=task)

    async def stop(self) -> None:
        self.server.should_exit = True
        await self.task


class _Request:
    """One request in flight; tasks it spawns inherit it but stop counting once it is done."""

    done = False


IN_REQUEST: ContextVar[_Request | None] = ContextVar("axonql_test_in_request", default=None)

WRITE_COMMANDS = frozenset(
    {"insert", "update", "delete", "findAndModify", "create", "drop", "createIndexes"}
)
UNCOUNTED_COMMANDS = frozenset({"hello", "ismaster", "isMaster", "ping", "endSessions"})


class MarkRequests:
    """ASGI middleware marking each request's context, to tell its commands from background work."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request = _Request()
        token = IN_REQUEST.set(request)
        try:
            await self.app(scope, receive, send)
        finally:
            request.done = True
            IN_REQUEST.reset(token)


class RequestCommands(monitoring.CommandListener):
    """Database commands sent for requests (PyMongo calls listeners in the caller's task)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.keep = False  # also keep each command whole in `commands` (tests that read them)
        self.commands: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        request = IN_REQUEST.get()
        if request and not request.done and event.command_name not in UNCOUNTED_COMMANDS:
            target = event.command.get(event.command_name)
            where = target if isinstance(target, str) else ""
            self.names.append(f"{event.command_name} {where}".strip())
            if self.keep:
                self.commands.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    @contextlib.contextmanager
    def kept(self) -> Iterator[list[dict[str, Any]]]:
        """Keep whole the commands sent meanwhile (and only those): `with commands.kept() as
        sent: ...`."""
        self.commands.clear()
        self.keep = True
        try:
            yield self.commands
        finally:
            self.keep = False

    def writes(self) -> list[str]:
        return [n for n in self.names if n.split(" ", 1)[0] in WRITE_COMMANDS]


def observed_app(settings: Any, commands: RequestCommands) -> Starlette:
    """An app whose requests' database commands are recorded in `commands`."""
    from axonql.app import create_app

    app = create_app(settings, client_kwargs={"event_listeners": [commands]})
    app.add_middleware(MarkRequests)
    return app


@contextlib.asynccontextmanager
async def extra_server(app: Starlette, home: RunningServer) -> AsyncIterator[RunningServer]:
    """Serve a second app in this process, then bind the models back to `home`'s database.

    Beanie binds the models globally: the second app's lifespan rebinds them to its own
    client and closes that client on shutdown.
    """
    try:
        running = await RunningServer.start(app)
        try:
            yield running
        finally:
            await running.stop()
    finally:
        database = home.app.state.axon.database
        await init_beanie(database=database.db, document_models=models.ALL_DOCUMENTS)


async def token_for(settings: Any, scopes: list[str], user_id: str = "user_test") -> str:
    """A signed access token for a user with exactly these scopes (the user is stored)."""
    user = await models.User.get(user_id)
    if user is None:
        user = models.User(id=user_id, username=user_id, scopes=scopes)
        await user.insert()
    return issue_access_token(settings, user, scopes)


async def copy_user(user_id: str, url: str, database: str) -> None:
    """Store a session user in another database, so its tokens stand on a server there."""
    user = await models.User.get_pymongo_collection().find_one({"_id": user_id})
    assert user is not None, f"no user {user_id}"
    direct: pymongo.MongoClient[dict[str, Any]]
    with pymongo.MongoClient(url) as direct:
        direct[database]["users"].insert_one(user)


async def password_login(settings: Any, username: str, password: str) -> TokenPair:
    """Tokens as the `login` mutation issues them, past a throttle of its own."""
    throttle = LoginThrottle("memory://", per_account="100/minute", per_address="100/minute")
    return await login(settings, username, password, throttle=throttle, address="tests")


class GraphQLClient:
    """POSTs GraphQL over real HTTP; returns the decoded body."""

    def __init__(self, http: httpx.AsyncClient, path: str = "/graphql") -> None:
        self.http = http
        self.path = path

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            self.path, json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code < 500, response.text
        body: dict[str, Any] = response.json()
        return body


def error_codes(body: dict[str, Any]) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


def now() -> Any:
    return utcnow()


def env_flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false")


@pytest.fixture(scope="module", params=["direct", "standard"], name="server")
async def server_in_both_modes(
    request: pytest.FixtureRequest,
    server: RunningServer,
    settings: Any,
    request_commands: RequestCommands,
) -> AsyncIterator[RunningServer]:
    """The session server (direct delivery), then one on Strawberry's standard path.

    A test module that imports this runs every test in both modes; module scope starts the
    standard-path server once per module.
    """
    if request.param == "direct":
        yield server
        return
    standard = settings.model_copy(update={"direct_delivery": False})
    async with extra_server(observed_app(standard, request_commands), server) as running:
        yield running
