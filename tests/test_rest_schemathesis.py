"""Schemathesis against `/openapi.json`: bounded generated requests, no 5xx, conforming bodies.

The CLI runs as a subprocess so the server (in this test's event loop) keeps serving.
Agent-work paths are left out: without an agent they answer 503 by design, which
`test_rest_errors.py` checks; everything else must never answer 5xx to generated input.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from axonql.rest_compat.mount import engine_of
from axonql.rest_compat.tables import APIS
from tests.support import RunningServer

MAX_EXAMPLES = 5


def st_binary() -> str | None:
    local = Path(sys.executable).parent / "st"
    return str(local) if local.exists() else shutil.which("st")


def agent_paths() -> list[str]:
    paths = {
        api.full_path(r)
        for api in APIS
        for r in api.routes
        if "submitTask(" in r.operation
        or r.path in ("/api/v1/simulation/start", "/api/documentation/generate")
    }
    return sorted(paths)


@pytest.fixture
def generous_limits(server: RunningServer) -> Iterator[None]:
    """Generated traffic would hit the documented limits; the limits have their own tests."""
    engine = engine_of(server.app.routes)
    assert engine is not None
    engine.rate_limits = False
    try:
        yield
    finally:
        engine.rate_limits = True


@pytest.mark.timeout(600)
async def test_generated_requests_never_fail_on_the_server(
    server: RunningServer, admin_token: str, generous_limits: None, tmp_path: Path
) -> None:
    st = st_binary()
    if st is None:
        pytest.skip("schemathesis is not installed")
    regex = "^(" + "|".join(p.replace("{", r"\{").replace("}", r"\}") for p in agent_paths()) + ")$"
    process = await asyncio.create_subprocess_exec(
        st,
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        "not_a_server_error,response_schema_conformance",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        os.environ.get("AXONQL_SCHEMATHESIS_SEED", "1"),
        "--phases",
        "examples,fuzzing",
        "--generation-database",
        "none",
        "--request-timeout",
        "20",
        "--exclude-path-regex",
        regex,
        "--header",
        f"Authorization: Bearer {admin_token}",
        cwd=tmp_path,  # its caches stay out of the checkout
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    failures = [line for line in text.splitlines() if line.startswith("_____") or "[5" in line]
    assert process.returncode == 0, "\n".join(failures) + "\n" + text[-4000:]
