"""The agent loop: heartbeat, claim (a long-poll, for every free slot at once), run handlers
with lease renewal, report.

Connection failures never end the loop: the worker backs off and reconnects. A stop signal
ends claiming; tasks still running are handed back (failTask with retry) so another agent can
take them at once instead of waiting for the lease to expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from axonql.agent.client import AgentClient, ApiError, ConnectionLost, Task
from axonql.agent.control import ControlChannel, TaskControl, TaskStopped
from axonql.agent.handlers import PermanentFailure, pick, unhandled
from axonql.agent.workspace import Workspace, default_model_dir

log = logging.getLogger("axonql.agent")


class HandlerTimeout(Exception):
    """A handler ran longer than the agent's configured timeout."""


class UnhandledCapabilities(ValueError):
    """The agent was asked to advertise capabilities it has no handler for."""


@dataclass
class WorkerOptions:
    capabilities: list[str]
    concurrency: int = 1
    renew_seconds: float = 1.0
    claim_wait_seconds: float = 5.0
    heartbeat_seconds: float = 2.0
    subscribe: bool = True
    model_dir: Path = field(default_factory=default_model_dir)


class Worker:
    """One agent process's work loop."""

    def __init__(self, client: AgentClient, options: WorkerOptions) -> None:
        missing = unhandled(options.capabilities)
        if missing:
            raise UnhandledCapabilities(
                f"no reference handler for the capabilities {', '.join(missing)}; "
                "an agent advertises only work it can do"
            )
        self.client = client
        self.options = options
        self.workspace = Workspace(list(options.capabilities), model_dir=options.model_dir)
        self.channel = ControlChannel(client) if options.subscribe else None
        self._slots = asyncio.Semaphore(max(1, options.concurrency))
        self._running: set[asyncio.Task[None]] = set()
        self.completed = 0
        self.task_timeout = 0.0  # the agent's configuration.timeout, learnt at heartbeat

    async def run(self, stop: asyncio.Event) -> None:
        """Serve until `stop` is set, reconnecting with back-off on failures."""
        backoff = 0.5
        try:
            while not stop.is_set():
                try:
                    beat = await self.client.heartbeat(self.options.capabilities)
                    log.info("agent %s online with %s", beat["id"], beat["capabilities"])
                    self.workspace.agent_name = str(beat.get("name") or beat["id"])
                    self.task_timeout = float(beat["configuration"]["timeout"])
                    allowed = int(beat["configuration"]["maxConcurrentTasks"])
                    if allowed < self.options.concurrency:
                        log.info("the server allows %s tasks at once; using that", allowed)
                        self._limit(allowed)
                    backoff = 0.5
                    await self._serve(stop)
                except ConnectionLost as exc:
                    log.warning("server unreachable (%s); retrying in %.1f s", exc, backoff)
                    await _wait(stop, backoff)
                    backoff = min(backoff * 2, 10.0)
        finally:
            await self._hand_back()
            if self.channel is not None:
                await self.channel.close()

    def _limit(self, slots: int) -> None:
        """Shrink concurrency to what the agent's configuration allows."""
        self.options.concurrency = max(1, slots)
        self._slots = asyncio.Semaphore(max(0, self.options.concurrency - len(self._running)))

    async def _serve(self, stop: asyncio.Event) -> None:
        beats = asyncio.create_task(self._heartbeats())
        try:
            while not stop.is_set():
                if not await self._free_slot(stop):
                    return
                slots = 1 + await self._more_free_slots()
                claimed: list[Task] = []
                try:
                    claim = asyncio.create_task(
                        self.client.claim_many(slots, None, self.options.claim_wait_seconds)
                    )
                    stopping = asyncio.create_task(stop.wait())
                    await asyncio.wait({claim, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    stopping.cancel()
                    if not claim.done():
                        claim.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await claim
                    else:
                        claimed = claim.result()
                finally:
                    for _ in range(slots - len(claimed)):
                        self._slots.release()
                for task in claimed:
                    job = asyncio.create_task(self._run(task))
                    self._running.add(job)
                    job.add_done_callback(self._running.discard)
        finally:
            beats.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beats

    async def _more_free_slots(self) -> int:
        """Take every other slot free right now (none is waited for): one claim fills them all."""
        taken = 0
        while not self._slots.locked():
            await self._slots.acquire()  # free, so this does not wait
            taken += 1
        return taken

    async def _free_slot(self, stop: asyncio.Event) -> bool:
        """Wait for room for one more task; False when `stop` comes first."""
        slot = asyncio.create_task(self._slots.acquire())
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({slot, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if slot.done():
            return True
        slot.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await slot
        return False

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.options.heartbeat_seconds)
            try:
                await self.client.heartbeat()
            except (ConnectionLost, ApiError) as exc:
                log.warning("heartbeat failed: %s", exc)

    async def _run(self, task: Task) -> None:
        ctx = TaskControl(self.client, task.id, self.options.renew_seconds, self.workspace)
        renewer = asyncio.create_task(ctx.renew_forever())
        if self.channel is not None:
            await self.channel.watch(ctx)
        try:
            picked = pick(task)
            if picked is None:
                message = f"no reference handler for task type {task.type!r}"
                await self._report(lambda: self.client.fail(task.id, message, retry=False))
                return
            name, handler = picked
            log.info("running %s (%s, attempt %s)", task.id, name, task.attempts)
            result = await self._within_timeout(ctx, handler(ctx, task))
            await ctx.checkpoint()
            await self._report(lambda: self.client.complete(task.id, result))
            self.completed += 1
        except TaskStopped as stopped:
            log.info("task %s stopped: %s", task.id, stopped)
        except HandlerTimeout as exc:
            reason = str(exc)
            await self._report(lambda: self.client.fail(task.id, reason, retry=True))
        except PermanentFailure as exc:
            reason = str(exc)
            await self._report(lambda: self.client.fail(task.id, reason, retry=False))
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await asyncio.shield(
                    self.client.fail(task.id, "agent stopped; handed back", retry=True)
                )
            raise
        except Exception as exc:
            log.exception("task %s failed", task.id)
            error = f"{type(exc).__name__}: {exc}"
            await self._report(lambda: self.client.fail(task.id, error, retry=True))
        finally:
            renewer.cancel()
            if self.channel is not None:
                await self.channel.unwatch(task.id)
            self._slots.release()

    async def _within_timeout(
        self, ctx: TaskControl, work: Awaitable[dict[str, Any]]
    ) -> dict[str, Any]:
        """The handler's result, or HandlerTimeout once it has run (pauses excluded) too long."""
        job = asyncio.ensure_future(work)
        try:
            while True:
                done, _ = await asyncio.wait({job}, timeout=0.2)
                if done:
                    return job.result()
                if self.task_timeout and ctx.active_seconds() > self.task_timeout:
                    raise HandlerTimeout(
                        f"handler exceeded the agent timeout of {self.task_timeout:g} s"
                    )
        finally:
            if not job.done():
                job.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await job

    async def _report(self, send: Callable[[], Awaitable[None]]) -> None:
        """Deliver a result, retrying through outages for up to a minute."""
        delay = 0.2
        for _ in range(12):
            try:
                await send()
                return
            except ApiError as exc:
                log.warning("server refused the result: %s", exc)
                return
            except ConnectionLost as exc:
                log.warning("could not report (%s); retrying", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _hand_back(self) -> None:
        for job in list(self._running):
            job.cancel()
        for job in list(self._running):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await job


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def run_agent(url: str, api_key: str, options: WorkerOptions) -> None:
    """Run a worker until SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    client = AgentClient(url, api_key)
    try:
        worker = Worker(client, options)
        await worker.run(stop)
    finally:
        await client.close()
