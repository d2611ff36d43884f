"""A throwaway redis-server for tests (skips when absent unless AXONQL_REQUIRE_REDIS=1)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from axonql.stopping import stop_process
from tests.support import env_flag, free_port


def _binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        if env_flag("AXONQL_REQUIRE_REDIS"):
            pytest.fail("redis-server is required (AXONQL_REQUIRE_REDIS=1) but not installed")
        pytest.skip("redis-server not installed (apt-get install redis-server)")
    return binary


@contextmanager
def redis_server(port: int | None = None) -> Iterator[str]:
    """Start redis-server (on a free port unless given); yields its `redis://` URL."""
    binary = _binary()
    port = port or free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_process(process, 10)
