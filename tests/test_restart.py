"""`axonql serve` with the embedded database: SIGTERM stops both processes; data survives."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from tests.support import free_port

ROOT = Path(__file__).resolve().parent.parent
ADMIN = ("root", "restart-password")


class ServeProcess:
    """`python -m axonql.cli serve` on a free port with its data in `data_dir`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("AXONQL_")}
        env |= {
            "AXONQL_DATA_DIR": str(data_dir),
            "AXONQL_BOOTSTRAP_ADMIN": ":".join(ADMIN),
            "AXONQL_ENV": "development",
        }
        self.log = (data_dir.parent / f"serve-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "axonql.cli", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}/graphql"

    def wait_until_serving(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                if httpx.post(self.url, json={"query": "{ __typename }"}).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server did not start:\n{self.output()}")

    def graphql(self, query: str, variables: dict[str, Any], token: str = "") -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            self.url, json={"query": query, "variables": variables}, headers=headers, timeout=30
        )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def login(self) -> str:
        data = self.graphql(
            "mutation($u: String!, $p: String!) { login(username: $u, password: $p)"
            " { accessToken } }",
            {"u": ADMIN[0], "p": ADMIN[1]},
        )
        token: str = data["login"]["accessToken"]
        return token

    def terminate(self) -> bool:
        """SIGTERM; whether the server shut down gracefully (uvicorn re-raises the signal)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=30)
            return code in (0, -signal.SIGTERM) and "Application shutdown complete" in self.output()
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
            self.log.close()

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return (self.data_dir.parent / f"serve-{self.port}.log").read_text(errors="replace")


def alive(pid: int) -> bool:
    """Running (a zombie nobody reaps has stopped all the same)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def test_data_survives_a_restart_and_no_database_process_is_orphaned(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = ServeProcess(data_dir)
    try:
        first.wait_until_serving()
        token = first.login()
        created = first.graphql(
            "mutation($input: CreateTaskInput!) { createTask(input: $input) { id } }",
            {"input": {"name": "survives restarts", "parameters": {"k": [1, 2]}}},
            token,
        )
        task_id = created["createTask"]["id"]
        embedded = json.loads((data_dir / "embedded.json").read_text())
        database_pid = int(embedded["pid"])
        assert alive(database_pid)
    finally:
        graceful = first.terminate()
    assert graceful, first.output()
    assert wait_gone(database_pid), "the embedded database outlived the server"
    assert not (data_dir / "embedded.json").exists()

    second = ServeProcess(data_dir)
    try:
        second.wait_until_serving()
        new_pid = int(json.loads((data_dir / "embedded.json").read_text())["pid"])
        assert new_pid != database_pid
        # The development JWT secret lives in the data dir: old tokens stay valid.
        found = second.graphql(
            "query($id: ID!) { task(id: $id) { name parameters } }", {"id": task_id}, token
        )
        assert found["task"] == {"name": "survives restarts", "parameters": {"k": [1, 2]}}
        users = second.graphql(
            "query($f: UserFilter) { users(filter: $f) { username } }", {"f": None}, second.login()
        )
        assert [u["username"] for u in users["users"]].count(ADMIN[0]) == 1
    finally:
        assert second.terminate(), second.output()
    assert wait_gone(new_pid)


def test_a_killed_servers_database_is_adopted_and_stopped_by_the_next(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = ServeProcess(data_dir)
    try:
        first.wait_until_serving()
        token = first.login()
        database_pid = int(json.loads((data_dir / "embedded.json").read_text())["pid"])
    finally:
        first.process.kill()  # no shutdown: the database process is left behind
        first.process.wait()
        first.log.close()
    assert alive(database_pid)

    second = ServeProcess(data_dir)
    try:
        second.wait_until_serving()
        state = json.loads((data_dir / "embedded.json").read_text())
        assert state["pid"] == database_pid and state["owner"] == second.process.pid
        assert second.graphql("{ tasks { id } }", {}, token) == {"tasks": []}
    finally:
        assert second.terminate(), second.output()
    assert wait_gone(database_pid), "the adopted database outlived its new owner"
