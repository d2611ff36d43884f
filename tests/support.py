"""Helpers the tests share: a real database server, a real HTTP server, a GraphQL client."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from beanie import init_beanie
from starlette.applications import Starlette

from axonql import models
from axonql.models.base import utcnow
from axonql.services.auth import issue_access_token


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
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


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
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"
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
