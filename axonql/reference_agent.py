"""`axonql serve --agent`: one reference agent process beside the server, for the demo.

Started once the server answers, with a key issued for this start
(`services/reference_agent.py`); stopped (SIGTERM, then SIGKILL) when the server stops. Its
output goes to the server's own stderr, prefixed by the agent's log lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys

from starlette.applications import Starlette

from axonql.services.events import bound
from axonql.services.reference_agent import issue_key
from axonql.state import AppState

log = logging.getLogger("axonql.reference_agent")


class ReferenceAgent:
    """The child process running `axonql agent` against this server."""

    def __init__(
        self, app: Starlette, url: str, capabilities: list[str], concurrency: int = 2
    ) -> None:
        self.app = app
        self.url = url
        self.capabilities = capabilities
        self.concurrency = concurrency
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        state: AppState = self.app.state.axon
        with bound(state.realtime):
            key = await issue_key(state.settings, self.capabilities, self.concurrency)
        env = {**os.environ, "AXONQL_AGENT_API_KEY": key}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "axonql.cli",
            "agent",
            "--url",
            self.url,
            "--capabilities",
            ",".join(self.capabilities),
            "--concurrency",
            str(self.concurrency),
            env=env,
        )
        log.info("reference agent started (pid %s) for %s", self.process.pid, self.url)

    async def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), timeout=10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
