"""The database: an embedded SecantusDB child process, or any MongoDB by URL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import psutil
from beanie import init_beanie
from pymongo import AsyncMongoClient

from axonql.embedded_auth import (
    PRIVATE_UMASK,
    Credentials,
    load_or_create,
    lock_down,
    provision,
    write_private,
)
from axonql.models import ALL_DOCUMENTS
from axonql.settings import Settings
from axonql.stopping import stop_process

log = logging.getLogger(__name__)

_STATE_FILE = "embedded.json"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_binary() -> str:
    local = Path(sys.executable).parent / "secantusd-py"
    return str(local) if local.exists() else (shutil.which("secantusd-py") or "secantusd-py")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _serves(pid: int, storage: Path) -> bool:
    """Whether `pid` is a live SecantusDB server on `storage` (pids get reused after a crash)."""
    try:
        return _running(pid) and str(storage) in psutil.Process(pid).cmdline()
    except psutil.Error:
        return False


def _running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie lingers where nothing reaps it)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _running(pid)


def _stop_pid(pid: int) -> None:
    """SIGTERM a process that is not our child, SIGKILL it if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not _wait_gone(pid, 15):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _started_with(pid: int, flag: str) -> bool:
    """Whether the server `pid` was started with `flag` (older AxonQLs started it without
    `--auth` or `--sync-on-commit`)."""
    try:
        return flag in psutil.Process(pid).cmdline()
    except psutil.Error:
        return False


@dataclass
class EmbeddedServer:
    """A SecantusDB server process whose data lives in `data_dir/db`.

    A data directory can be open in one process only, so a second AxonQL instance on the same
    data dir reuses the running server (found through `embedded.json`) instead of starting one.
    A server whose owner died without stopping it (SIGKILL) is adopted: the new owner stops it.
    It runs with `--auth` and its files are private to this user (see `embedded_auth`).
    """

    data_dir: Path
    process: subprocess.Popen[bytes] | None = None
    url: str = ""
    owned: bool = False
    adopted_pid: int | None = None
    credentials: Credentials = field(default=Credentials("", ""), repr=False)
    sync_on_commit: bool = True  # each commit on disk before it is acknowledged
    _log_file: Any = field(default=None, repr=False)

    def _state(self) -> dict[str, Any] | None:
        try:
            state = json.loads((self.data_dir / _STATE_FILE).read_text())
        except (OSError, ValueError):
            return None
        return state if isinstance(state, dict) else None

    def _write_state(self, pid: int) -> None:
        state = {"pid": pid, "url": self.url, "owner": os.getpid()}
        write_private(self.data_dir / _STATE_FILE, json.dumps(state))

    def client_url(self) -> str:
        """The URL with the credentials in it, for a process that must connect by URL alone."""
        user, password = (
            quote_plus(self.credentials.username),
            quote_plus(self.credentials.password),
        )
        host = self.url.removeprefix("mongodb://")
        return f"mongodb://{user}:{password}@{host}&authSource=admin"

    def start(self) -> str:
        """The server's URL (no credentials in it: it is logged); `credentials` log in."""
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock_down(self.data_dir)
        self.credentials = load_or_create(self.data_dir)
        state = self._state()
        pid = int(state.get("pid", 0)) if state is not None else 0
        if state is not None and _serves(pid, self.data_dir / "db"):
            owner = int(state.get("owner", 0))
            orphaned = not owner or owner == os.getpid() or not _alive(owner)
            durable = _started_with(pid, "--sync-on-commit") or not self.sync_on_commit
            if _started_with(pid, "--auth") and (durable or not orphaned):
                self.url = str(state["url"])
                if orphaned:
                    self.owned, self.adopted_pid = True, pid
                    self._write_state(pid)
                return self.url
            if not orphaned:
                raise RuntimeError(
                    f"SecantusDB (pid {pid}) serves {self.data_dir} without authentication for"
                    f" a running AxonQL (pid {owner}) of an older version: stop that one first"
                )
            # Left by an older AxonQL, open to anyone or not durable: restart it as it should be.
            _stop_pid(pid)
        provision(self.data_dir / "db", self.credentials)
        port = _free_port()
        log_fd = os.open(
            self.data_dir / "secantus.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600
        )
        self._log_file = os.fdopen(log_fd, "ab")
        self.process = subprocess.Popen(
            [
                _server_binary(),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--storage-path",
                str(self.data_dir / "db"),
                "--log-level",
                "WARNING",
                "--auth",
                *(["--sync-on-commit"] if self.sync_on_commit else []),
            ],
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            umask=PRIVATE_UMASK,
        )
        self.owned = True
        self.url = f"mongodb://127.0.0.1:{port}/?directConnection=true"
        self._write_state(self.process.pid)
        return self.url

    def stop(self) -> None:
        if not self.owned:
            return
        if self.adopted_pid is not None:
            _stop_pid(self.adopted_pid)  # not our child: signal it and wait for it to go
        elif self.process is not None:
            stop_process(self.process)
        (self.data_dir / _STATE_FILE).unlink(missing_ok=True)
        if self._log_file is not None:
            self._log_file.close()
        self.owned = False


async def wait_until_up(client: AsyncMongoClient[Any], timeout: float = 30.0) -> None:
    """Ping until the server answers; a server that never does is a startup error."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            await client.admin.command("ping")
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


# Units of work one instance runs at once (`Settings.write_concurrency` 0). SecantusDB is one
# Python process whose cost per command rises with the transactions it has open: 8 agents
# claiming did 13 tasks/s unlimited and 21 at 2 (71 and 43 ms of its CPU per task).
SECANTUS_WRITE_CONCURRENCY = 2
MONGODB_WRITE_CONCURRENCY = 32


@dataclass
class Database:
    """The connected client and, when embedded, the server process it talks to."""

    client: AsyncMongoClient[Any]
    name: str
    embedded: EmbeddedServer | None = None
    write_concurrency: int = MONGODB_WRITE_CONCURRENCY

    @property
    def db(self) -> Any:
        return self.client[self.name]

    async def close(self) -> None:
        await self.client.close()
        if self.embedded is not None:
            await asyncio.to_thread(self.embedded.stop)


def make_client(url: str, timeout_ms: int = 5000, **kwargs: Any) -> AsyncMongoClient[Any]:
    """A client with the timeouts a web server wants (fail fast when the database is gone)."""
    options: dict[str, Any] = {
        "serverSelectionTimeoutMS": timeout_ms,
        "connectTimeoutMS": timeout_ms,
        **kwargs,
    }
    return AsyncMongoClient(url, tz_aware=True, **options)


async def connect(settings: Settings, **client_kwargs: Any) -> Database:
    """Connect to `AXONQL_MONGODB_URL`, or start the embedded server, and bind the models."""
    embedded = None
    url = settings.mongodb_url
    if not url:
        durable = settings.embedded_sync_on_commit
        embedded = EmbeddedServer(settings.data_dir, sync_on_commit=durable)
        url = await asyncio.to_thread(embedded.start)
        log.info("embedded SecantusDB at %s (data in %s)", url, settings.data_dir / "db")
        client_kwargs = {**embedded.credentials.client_options(), **client_kwargs}
    client = make_client(
        url, settings.database_timeout_ms, **{**settings.write_options, **client_kwargs}
    )
    try:
        await wait_until_up(client)
        await init_beanie(database=client[settings.database], document_models=ALL_DOCUMENTS)
    except BaseException:
        await client.close()
        if embedded is not None:
            embedded.stop()
        raise
    slots = settings.write_concurrency or await suited_write_concurrency(client)
    return Database(
        client=client, name=settings.database, embedded=embedded, write_concurrency=slots
    )


async def suited_write_concurrency(client: AsyncMongoClient[Any]) -> int:
    """How many units of work suit the server `client` talks to (see the constants)."""
    info = await client.admin.command("buildInfo")
    secantus = "secantusVersion" in info
    return SECANTUS_WRITE_CONCURRENCY if secantus else MONGODB_WRITE_CONCURRENCY
