"""Stopping background tasks and child processes for certain."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import subprocess
from typing import Any

log = logging.getLogger(__name__)

STOP_TIMEOUT = 5.0
_POLL = 0.25


async def stop_task(task: asyncio.Task[Any] | None, timeout: float = STOP_TIMEOUT) -> None:
    """Cancel `task` and wait until it has ended, for at most `timeout` seconds.

    A cancellation that arrives while the driver is inside a network call can be absorbed
    there (the call fails with a database error instead), after which a retry loop would run
    on; so the task is cancelled again until it ends. Shutdown never hangs on a task: one
    still running after `timeout` is logged and left to the event loop's end.
    """
    if task is None:
        return
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not task.done():
        remaining = deadline - loop.time()
        if remaining <= 0:
            log.warning("background task %s did not stop within %.1f s", task.get_name(), timeout)
            return
        task.cancel()
        await asyncio.wait({task}, timeout=min(_POLL, remaining))
    with contextlib.suppress(asyncio.CancelledError):
        error = task.exception()
        if error is not None:
            log.warning("background task %s ended with %r", task.get_name(), error)


def stop_process(process: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if `process` has not exited within `timeout` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
