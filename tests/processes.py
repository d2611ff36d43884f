"""Real processes for the work-queue tests: `axonql serve` instances and `axonql agent` workers."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
import jwt
from pymongo import AsyncMongoClient, MongoClient

from axonql.scopes import ALL_SCOPES
from axonql.stopping import stop_process
from tests.support import free_port

REPO = Path(__file__).resolve().parent.parent
JWT_SECRET = "process-test-secret-" + "y" * 32

FAST = {
    "AXONQL_TASK_LEASE_SECONDS": "3",
    "AXONQL_LEASE_CHECK_SECONDS": "0.2",
    "AXONQL_CLAIM_POLL_SECONDS": "0.2",
    "AXONQL_REPLY_POLL_SECONDS": "0.1",
    "AXONQL_SCHEDULER_TICK_SECONDS": "0.1",
    "AXONQL_SCHEDULER_LOCK_SECONDS": "1.5",
    "AXONQL_AGENT_OFFLINE_AFTER_SECONDS": "5",
}


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "axonql.cli", *args]


@contextmanager
def serving(
    mongo_url: str,
    home: Path,
    database: str,
    *,
    stdout: IO[bytes],
    stderr: IO[bytes] | int,
    **env: str,
) -> Iterator[str]:
    """`axonql serve` with only the given `AXONQL_` settings, answering `/health`: its base URL.

    Stopped with SIGTERM afterwards, and its database dropped. For tests that read what the
    process itself writes (logs, start-up output).
    """
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AXONQL_", "OTEL_"))}
    clean |= {
        "AXONQL_MONGODB_URL": mongo_url,
        "AXONQL_DATABASE": database,
        "AXONQL_DATA_DIR": str(home / "data"),
        "AXONQL_JWT_SECRET": "serving-secret-" + "x" * 32,
        "AXONQL_METRICS_INTERVAL_SECONDS": "0",
        "AXONQL_IMMUNE_SCAN_INTERVAL_SECONDS": "0",
        **env,
    }
    process = subprocess.Popen(
        _command("serve", "--port", str(port)), cwd=REPO, env=clean, stdout=stdout, stderr=stderr
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"axonql serve exited with {process.returncode}"
            try:
                if httpx.get(f"{base}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "axonql serve did not answer /health in 60 s"
            time.sleep(0.1)
        yield base
    finally:
        stop_process(process, timeout=30)
        client: MongoClient[dict[str, Any]] = MongoClient(mongo_url)
        with client:
            client.drop_database(database)


class ServerProcess:
    """`axonql serve` on its own port, on a shared database."""

    def __init__(
        self, mongo_url: str, database: str, home: Path, *, demo: bool = False, **env: str
    ) -> None:
        self.port = free_port()
        self.home = home
        self.demo = demo
        self.env = {
            **os.environ,
            **FAST,
            "AXONQL_MONGODB_URL": mongo_url,
            "AXONQL_DATABASE": database,
            "AXONQL_JWT_SECRET": JWT_SECRET,
            "AXONQL_ENV": "test",
            "AXONQL_DATA_DIR": str(home),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/graphql"

    @property
    def log_path(self) -> Path:
        return self.home / f"serve-{self.port}.log"

    async def start(self) -> ServerProcess:
        self.home.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        demo = ["--demo"] if self.demo else []
        self.process = subprocess.Popen(
            _command("serve", "--port", str(self.port), *demo),
            env=self.env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited; see {self.home}")
                try:
                    r = await http.post(self.url, json={"query": "{ __typename }"})
                    if r.status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class AgentProcess:
    """`axonql agent` with fast lease renewal and heartbeats."""

    def __init__(
        self, url: str, api_key: str, capabilities: list[str], log_dir: Path, *extra: str
    ) -> None:
        self.args = _command(
            "agent",
            "--url",
            url,
            "--api-key",
            api_key,
            "--capabilities",
            ",".join(capabilities),
            "--renew-seconds",
            "0.3",
            "--claim-wait",
            "1",
            "--heartbeat-seconds",
            "1",
            *extra,
        )
        self.log_path = log_dir / f"agent-{secrets.token_hex(3)}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> AgentProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            self.args, cwd=REPO, stdout=self.log_path.open("ab"), stderr=subprocess.STDOUT
        )
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)


class Api:
    """An admin talking GraphQL to one server process."""

    def __init__(self, http: httpx.AsyncClient, url: str, token: str) -> None:
        self.http = http
        self.url = url
        self.token = token

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        r = await self.http.post(
            self.url,
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token or self.token}"},
        )
        assert r.status_code < 500, r.text
        body: dict[str, Any] = r.json()
        return body

    async def ok(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self(query, variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def register(
        self, name: str, capabilities: list[str], concurrency: int = 4, timeout: int = 300
    ) -> str:
        data = await self.ok(
            "mutation($i: CreateAgentInput!) { registerAgent(input: $i) { apiKey agent { id } } }",
            {
                "i": {
                    "name": name,
                    "capabilities": capabilities,
                    "configuration": {"maxConcurrentTasks": concurrency, "timeout": timeout},
                }
            },
        )
        key: str = data["registerAgent"]["apiKey"]
        return key

    async def submit(self, **task: Any) -> str:
        data = await self.ok(
            "mutation($i: CreateTaskInput!) { submitTask(input: $i, waitSeconds: 0) { id } }",
            {"i": {"name": "t", **task}},
        )
        task_id: str = data["submitTask"]["id"]
        return task_id

    async def queue(self, **task: Any) -> str:
        """createTask + queueTask: queued even while no agent is online."""
        data = await self.ok(
            "mutation($i: CreateTaskInput!) { createTask(input: $i) { id } }",
            {"i": {"name": "t", **task}},
        )
        task_id: str = data["createTask"]["id"]
        await self.ok("mutation($id: ID!) { queueTask(id: $id) { id } }", {"id": task_id})
        return task_id

    async def wait_online(self, count: int, timeout: float = 60) -> None:
        async def online() -> bool:
            data = await self.ok("{ agentStatistics { online } }")
            return int(data["agentStatistics"]["online"]) >= count

        await wait_for(online, timeout=timeout, interval=0.2)

    async def task(self, task_id: str) -> dict[str, Any]:
        data = await self.ok(
            "query($id: ID!) { task(id: $id) { id status progress attempts agentId result error"
            " startedAt completedAt } }",
            {"id": task_id},
        )
        task: dict[str, Any] = data["task"]
        return task


async def wait_for(check: Any, timeout: float, interval: float = 0.1) -> Any:
    """Poll an async predicate until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s (last: {value!r})")
        await asyncio.sleep(interval)


def database_client(url: str) -> AsyncMongoClient[Any]:
    return AsyncMongoClient(url, tz_aware=True)


async def admin_token(database: Any) -> str:
    """A signed admin access token the server processes accept (they share JWT_SECRET); its
    user is stored in their database, where each request checks that it still stands."""
    await database["users"].update_one(
        {"_id": "user_proc_admin"},
        {
            "$setOnInsert": {
                "username": "user_proc_admin",
                "scopes": sorted(ALL_SCOPES),
                "is_active": True,
                "token_version": 0,
            }
        },
        upsert=True,
    )
    now = int(time.time())
    claims = {
        "sub": "user_proc_admin",
        "iat": now,
        "exp": now + 3600,
        "scope": sorted(ALL_SCOPES),
        "typ": "access",
    }
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")
