"""How cancel, pause and resume reach a running task.

Two paths lead to the same `TaskControl.apply(status)`: the status returned by every lease
renewal (always on, so control is correct with the HTTP API alone), and, when the server
offers it, a `taskUpdated(id)` subscription over one shared WebSocket (faster).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

import websockets

from axonql.agent.client import AgentClient, ApiError, ConnectionLost
from axonql.agent.workspace import Workspace

log = logging.getLogger("axonql.agent")

STOPPING = {"CANCELLED", "COMPLETED", "FAILED", "QUEUED"}


class TaskStopped(Exception):
    """The task must stop: cancelled, or its lease is no longer ours."""


class TaskControl:
    """The running task's view of its own status, progress and lease."""

    def __init__(
        self,
        client: AgentClient,
        task_id: str,
        renew_seconds: float,
        workspace: Workspace | None = None,
    ) -> None:
        self.client = client
        self.workspace = workspace if workspace is not None else Workspace()
        self.task_id = task_id
        self.renew_seconds = renew_seconds
        self.progress_value = 0
        self.message: str | None = None
        self.details: dict[str, Any] | None = None
        self.status = "RUNNING"
        self.stop_reason = ""
        self._running = asyncio.Event()
        self._running.set()
        self._last_sent = time.monotonic()  # the claim itself just set the lease
        self._active = 0.0
        self._active_since: float | None = time.monotonic()

    @property
    def stopped(self) -> bool:
        return bool(self.stop_reason)

    def apply(self, status: str) -> None:
        """A status learnt from the server (renewal answer or subscription)."""
        status = status.upper()
        self.status = status
        if status == "PAUSED":
            self._running.clear()
            if self._active_since is not None:
                self._active += time.monotonic() - self._active_since
                self._active_since = None
        elif status == "RUNNING":
            self._running.set()
            if self._active_since is None:
                self._active_since = time.monotonic()
        elif status in STOPPING:
            self.stop_reason = status.lower()
            self._running.set()

    def active_seconds(self) -> float:
        """Time spent running, pauses excluded (what the agent's `timeout` limits)."""
        since = self._active_since
        return self._active + (time.monotonic() - since if since is not None else 0.0)

    def lose(self, reason: str) -> None:
        self.stop_reason = reason
        self._running.set()

    async def checkpoint(self) -> None:
        """Raise TaskStopped when told to stop; wait here while paused."""
        while True:
            if self.stopped:
                raise TaskStopped(self.stop_reason)
            if self._running.is_set():
                return
            await self._running.wait()

    async def progress(
        self, percent: float, message: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        """Record progress (sent at most every quarter second, else by the renewer).

        `details` (epoch, metrics …) is kept by the server beside the progress, for status
        views of running work.
        """
        self.progress_value = max(0, min(100, int(percent)))
        self.message = message
        if details is not None:
            self.details = details
        if time.monotonic() - self._last_sent >= 0.25:
            await self._send()
        await self.checkpoint()

    async def _send(self) -> None:
        self._last_sent = time.monotonic()
        message, self.message = self.message, None  # a message is news once
        details, self.details = self.details, None
        try:
            self.apply(
                await self.client.report(self.task_id, self.progress_value, message, details)
            )
        except ApiError as exc:
            self.lose(f"lease lost ({exc.code})")
        except ConnectionLost as exc:
            log.warning("progress report for %s failed: %s", self.task_id, exc)

    async def renew_forever(self) -> None:
        """Renew the lease (and learn the status) every `renew_seconds` until cancelled."""
        while not self.stopped:
            await asyncio.sleep(self.renew_seconds)
            await self._send()


SUBSCRIPTION = "subscription($id: ID!) { taskUpdated(id: $id) { type payload } }"


class ControlChannel:
    """One graphql-transport-ws connection carrying a `taskUpdated` stream per running task."""

    def __init__(self, client: AgentClient) -> None:
        self.client = client
        self._controls: dict[str, TaskControl] = {}
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.available = True

    async def _connect(self) -> Any:
        if self._ws is not None:
            return self._ws
        if not self.available:
            return None
        try:
            ws = await websockets.connect(
                self.client.ws_url, subprotocols=[websockets.Subprotocol("graphql-transport-ws")]
            )
            await ws.send(
                json.dumps(
                    {
                        "type": "connection_init",
                        "payload": {"Authorization": f"Bearer {self.client.api_key}"},
                    }
                )
            )
            ack = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            if ack.get("type") != "connection_ack":
                await ws.close()
                return None
        except Exception as exc:
            log.info("control subscription unavailable (%s); using lease renewals", exc)
            return None
        self._ws = ws
        self._reader = asyncio.create_task(self._read(ws))
        return ws

    async def watch(self, control: TaskControl) -> None:
        """Start streaming this task's updates (best effort; renewals remain the fallback)."""
        self._controls[control.task_id] = control
        async with self._lock:
            ws = await self._connect()
        if ws is None:
            return
        message = {
            "id": control.task_id,
            "type": "subscribe",
            "payload": {"query": SUBSCRIPTION, "variables": {"id": control.task_id}},
        }
        with contextlib.suppress(Exception):
            await ws.send(json.dumps(message))

    async def unwatch(self, task_id: str) -> None:
        self._controls.pop(task_id, None)
        ws = self._ws
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.send(json.dumps({"id": task_id, "type": "complete"}))

    async def _read(self, ws: Any) -> None:
        try:
            async for raw in ws:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif kind == "next":
                    control = self._controls.get(str(message.get("id")))
                    data = (message.get("payload") or {}).get("data") or {}
                    update = data.get("taskUpdated") or {}
                    status = (update.get("payload") or {}).get("status")
                    if control is not None and isinstance(status, str):
                        control.apply(status)
        except Exception as exc:
            log.info("control subscription closed (%s)", exc)
        finally:
            self._ws = None

    async def close(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
