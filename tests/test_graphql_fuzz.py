"""Generated arguments for every Query and Mutation field never reach a 5xx or a traceback.

The generator (`tests/fuzz_graphql.py`, Hypothesis, derandomized so a run is repeatable)
runs as a subprocess so this test's event loop keeps serving. It acts as an administrator,
so every field's resolver is reached rather than stopped at the permission check.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tests.support import RunningServer

EXAMPLES = int(os.environ.get("AXONQL_FUZZ_EXAMPLES", "4"))
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(600)
async def test_generated_arguments_never_fail_on_the_server(
    server: RunningServer, admin_token: str
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fuzz_graphql",
        server.url,
        admin_token,
        str(EXAMPLES),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    assert process.returncode == 0, text[-6000:]
