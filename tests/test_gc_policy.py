"""`axonql serve` collects garbage by the fan-out-friendly policy; building an app does not.

The collector is the process's: tests run several apps in one process, so the policy belongs
to the command that owns the process (cli.py), applied once it is serving.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.applications import Starlette

from axonql.app import create_app
from axonql.cli import AnnouncingServer
from axonql.settings import Settings
from axonql.subscriptions import gc_policy
from tests.support import RunningServer, extra_server, free_port


@pytest.fixture
def default_collector() -> Iterator[None]:
    """CPython's collector settings before and after: the policy leaks into no other test."""
    before = gc.get_threshold()
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)


async def test_a_started_app_leaves_the_collector_alone(
    default_collector: None, settings: Settings, server: RunningServer
) -> None:
    async with extra_server(create_app(settings), server) as second:
        assert second.app.state.axon.realtime.mode != "stopped"  # its real-time service runs
        assert gc.get_threshold() == (700, 10, 10)
        assert gc.get_freeze_count() == 0


async def test_serve_applies_the_policy_once_serving(default_collector: None) -> None:
    server = AnnouncingServer(
        uvicorn.Config(Starlette(), host="127.0.0.1", port=free_port(), log_level="warning"),
        "serving",
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not server.started:
                await asyncio.sleep(0.02)
        assert gc.get_threshold() == gc_policy.THRESHOLDS != (700, 10, 10)
        assert gc.get_freeze_count() > 0  # the startup heap is out of the collector's reach
    finally:
        server.should_exit = True
        await task
