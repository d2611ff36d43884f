"""A SecantusDB process and `axonql serve` on it, both children of a benchmark."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from axonql.stopping import stop_process

SECRET = "bench-secret-" + "z" * 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    """The database (in memory, or on disk with `--sync-on-commit` when `durable`) and the
    server, configured by `AXONQL_*` variables; `extra_env` adds or overrides settings."""

    def __init__(
        self,
        home: Path,
        database: str,
        *,
        durable: bool = False,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.db_port, self.port = free_port(), free_port()
        self.mongo_url = f"mongodb://127.0.0.1:{self.db_port}/?directConnection=true"
        self.base = f"http://127.0.0.1:{self.port}"
        self.url = f"{self.base}/graphql"
        binary = Path(sys.executable).parent / "secantusd-py"
        # `:memory:` holds everything in WiredTiger's cache: the growth benchmark's 100,000
        # stage overflowed the default 1G (WT_CACHE_FULL on an insert), so it gets 4G
        storage = ("--storage-path", str(home / "db"), "--sync-on-commit") if durable else (
            "--storage-path", ":memory:", "--cache-size", "4G"
        )  # fmt: skip
        self.db = subprocess.Popen(
            [
                *(str(binary), "--host", "127.0.0.1", "--port", str(self.db_port)),
                *storage,
                *("--log-level", "ERROR"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        env = {
            **os.environ,
            "AXONQL_MONGODB_URL": self.mongo_url,
            "AXONQL_DATABASE": database,
            "AXONQL_JWT_SECRET": SECRET,
            "AXONQL_ENV": "test",
            "AXONQL_DATA_DIR": str(home),
            **(extra_env or {}),
        }
        self.server = subprocess.Popen(
            [sys.executable, "-m", "axonql.cli", "serve", "--port", str(self.port)],
            env=env,
            stdout=(home / "serve.log").open("ab"),
            stderr=subprocess.STDOUT,
        )

    async def ready(self) -> None:
        """Wait until the server answers GraphQL (it may first build indexes and tallies)."""
        deadline = time.monotonic() + 120
        async with httpx.AsyncClient() as http:
            while time.monotonic() < deadline:
                if self.server.poll() is not None:
                    raise RuntimeError("axonql serve exited during startup")
                try:
                    reply = await http.post(self.url, json={"query": "{__typename}"})
                    if reply.status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError("axonql serve did not start")

    def stop(self) -> None:
        for process in (self.server, self.db):
            stop_process(process, 20)


async def timed(read: Callable[[], Awaitable[Any]]) -> float:
    """How long one `read()` took, in ms."""
    began = time.perf_counter()
    await read()
    return (time.perf_counter() - began) * 1000


async def calm(read: Callable[[], Awaitable[Any]], quiet_ms: float) -> None:
    """Wait (at most two minutes) until five reads in a row take less than twice `quiet_ms`,
    what they took before: after a large fill the database stays busy for a while (its change
    streams catch up), and samples taken then measure that."""
    deadline = time.monotonic() + 120
    in_a_row = 0
    while in_a_row < 5 and time.monotonic() < deadline:
        in_a_row = in_a_row + 1 if await timed(read) < 2 * quiet_ms else 0
        await asyncio.sleep(0.2)


async def settle(http: httpx.AsyncClient, base: str) -> None:
    """Wait until the server answers at full speed again after a bulk insert: the database and
    the server's change streams catch up first (events inserted reach the server, which
    handles each)."""
    quiet = 0
    while quiet < 3:
        began = time.perf_counter()
        await http.post(f"{base}/graphql", json={"query": "{ __typename }"})
        quiet = quiet + 1 if time.perf_counter() - began < 0.02 else 0
        await asyncio.sleep(0.5)
