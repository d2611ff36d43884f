"""Request/reply: wait for a task to finish, and long-poll claims for newly queued work.

Finishing or queueing on this instance wakes local waiters at once; work finished on another
instance is noticed by polling the task every `reply_poll_seconds`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable

from axonql import models
from axonql.errors import GatewayTimeout
from axonql.services.lifecycle import TERMINAL
from axonql.services.lookup import fetch


class Replies:
    """Per-instance wake-ups for reply waiters and claim long-polls."""

    def __init__(self) -> None:
        self._finished: dict[str, set[asyncio.Event]] = defaultdict(set)
        self._idle: deque[asyncio.Future[None]] = deque()

    def task_finished(self, task_id: str) -> None:
        for event in self._finished.pop(task_id, set()):
            event.set()

    def work_queued(self, count: int = 1) -> None:
        """Wake up to `count` claim long-polls (one per task, so they do not stampede)."""
        while count > 0 and self._idle:
            waiter = self._idle.popleft()
            if not waiter.done():
                waiter.set_result(None)
                count -= 1

    async def wait_for_work(self, seconds: float) -> None:
        """Return when woken for newly queued work or after `seconds`."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._idle.append(waiter)
        try:
            await asyncio.wait_for(waiter, timeout=max(seconds, 0.0))
        except TimeoutError:
            return
        finally:
            if not waiter.done():
                waiter.cancel()
            with contextlib.suppress(ValueError):
                self._idle.remove(waiter)

    async def wait_for_task(
        self,
        task_id: str,
        seconds: float,
        poll: float,
        *,
        check: Callable[[models.Task], Awaitable[None]] | None = None,
    ) -> models.Task:
        """The task once terminal; GatewayTimeout (task left as it is) after `seconds`.

        `check` sees the unfinished task at every poll and may raise to stop waiting.
        """
        deadline = time.monotonic() + seconds
        while True:
            task = await fetch(models.Task, task_id, "task")
            if task.status in TERMINAL:
                return task
            if check is not None:
                await check(task)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise GatewayTimeout(
                    f"task {task_id} did not finish within {seconds:g} s; it stays "
                    f"{task.status.value} and can be queried or cancelled",
                    details={"task_id": task_id, "status": task.status.value},
                )
            event = asyncio.Event()
            self._finished[task_id].add(event)
            try:
                await asyncio.wait_for(event.wait(), timeout=min(poll, remaining))
            except TimeoutError:
                pass
            finally:
                waiters = self._finished.get(task_id)
                if waiters is not None:
                    waiters.discard(event)
                    if not waiters:
                        self._finished.pop(task_id, None)
