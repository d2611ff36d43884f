"""Background tasks stop even when a cancellation is swallowed by the code they run."""

from __future__ import annotations

import asyncio
import contextlib
import time

from axonql.stopping import stop_task


async def _swallows_one_cancellation(swallowed: list[int]) -> None:
    while True:
        try:
            await asyncio.sleep(0.05)
        except asyncio.CancelledError:
            if swallowed:
                raise
            swallowed.append(1)  # like a driver turning it into a network error, then retrying


async def test_a_swallowed_cancellation_is_repeated_until_the_task_ends() -> None:
    swallowed: list[int] = []
    task = asyncio.create_task(_swallows_one_cancellation(swallowed))
    await asyncio.sleep(0.01)
    await stop_task(task, timeout=5)
    assert task.done() and task.cancelled() and swallowed == [1]


async def test_a_task_that_never_ends_does_not_hang_the_caller() -> None:
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(0.05)

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0.01)
    started = time.monotonic()
    await stop_task(task, timeout=0.5)
    assert 0.4 < time.monotonic() - started < 3 and not task.done()
    release.set()
    await task
