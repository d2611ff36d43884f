"""The database: an embedded SecantusDB child process, or any MongoDB by URL."""

from __future__ import annotations

import asyncio
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

from beanie import init_beanie
from pymongo import AsyncMongoClient

from axonql.models import ALL_DOCUMENTS
from axonql.settings import Settings

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


@dataclass
class EmbeddedServer:
    """A SecantusDB server process whose data lives in `data_dir/db`.

    A data directory can be open in one process only, so a second AxonQL instance on the same
    data dir reuses the running server (found through `embedded.json`) instead of starting one.
    """

    data_dir: Path
    process: subprocess.Popen[bytes] | None = None
    url: str = ""
    owned: bool = False
    _log_file: Any = field(default=None, repr=False)

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        state_path = self.data_dir / _STATE_FILE
        if state_path.exists():
            state = json.loads(state_path.read_text())
            if _alive(int(state["pid"])):
                self.url = str(state["url"])
                return self.url
        port = _free_port()
        self._log_file = (self.data_dir / "secantus.log").open("ab")
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
            ],
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.owned = True
        self.url = f"mongodb://127.0.0.1:{port}/?directConnection=true"
        state_path.write_text(json.dumps({"pid": self.process.pid, "url": self.url}))
        return self.url

    def stop(self) -> None:
        if not self.owned or self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
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


@dataclass
class Database:
    """The connected client and, when embedded, the server process it talks to."""

    client: AsyncMongoClient[Any]
    name: str
    embedded: EmbeddedServer | None = None

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
        embedded = EmbeddedServer(settings.data_dir)
        url = await asyncio.to_thread(embedded.start)
        log.info("embedded SecantusDB at %s (data in %s)", url, settings.data_dir / "db")
    client = make_client(url, settings.database_timeout_ms, **client_kwargs)
    try:
        await wait_until_up(client)
        await init_beanie(database=client[settings.database], document_models=ALL_DOCUMENTS)
    except BaseException:
        await client.close()
        if embedded is not None:
            embedded.stop()
        raise
    return Database(client=client, name=settings.database, embedded=embedded)
