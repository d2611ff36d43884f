"""The server's own measurements: live host figures and a sampler that stores them over time.

Every value here is measured: CPU from `psutil.cpu_times()` deltas, memory and disk from
psutil, network as bytes per second between two samples, and request figures (rate, mean and
p50/p95/p99 latency, 5xx and 4xx shares, open WebSockets) from the HTTP requests and
connections the request-metrics middleware saw — for the server and per application
(`app_id`). The server's values are also folded into minute and hour rollups, so long ranges
stay cheap to read; per-application series are averaged from their raw samples.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil
from pymongo import UpdateOne

from axonql import models
from axonql.ids import new_id
from axonql.models.base import utcnow
from axonql.models.system import ROLLUP_RESOLUTIONS, SERVER_SYSTEM_ID, MetricName
from axonql.services import latest_metrics
from axonql.services.request_stats import RequestStats, Summary
from axonql.settings import Settings
from axonql.stopping import stop_task

if TYPE_CHECKING:
    from axonql.state import AppState

log = logging.getLogger("axonql.metrics")

MIN_CPU_WINDOW = 0.5
PRUNE_EVERY_SECONDS = 3600.0


def _busy_and_total(times: Any) -> tuple[float, float]:
    """Busy and total CPU seconds; guest time is already counted in user/nice on Linux."""
    total = sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return total - idle, total


class CpuGauge:
    """CPU utilisation over the window since the previous reading (at least 0.5 s long)."""

    def __init__(self) -> None:
        self._base = _busy_and_total(psutil.cpu_times())
        self._base_at = time.monotonic()
        self._last: float | None = None

    async def read(self) -> float:
        elapsed = time.monotonic() - self._base_at
        if elapsed < MIN_CPU_WINDOW:
            if self._last is not None:
                return self._last
            await asyncio.sleep(MIN_CPU_WINDOW - elapsed)
        busy, total = _busy_and_total(psutil.cpu_times())
        d_busy, d_total = busy - self._base[0], total - self._base[1]
        value = 0.0 if d_total <= 0 else min(100.0, max(0.0, 100.0 * d_busy / d_total))
        self._base, self._base_at, self._last = (busy, total), time.monotonic(), round(value, 2)
        return self._last


@dataclass
class HostReading:
    """One live reading of the machine this instance runs on."""

    cpu_usage: float
    memory_usage: float
    disk_usage: float
    bytes_sent: int
    bytes_received: int
    at: datetime


def disk_path(settings: Settings) -> str:
    """The filesystem holding the data directory (the nearest existing parent)."""
    path = Path(settings.data_dir).resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return str(path)


def request_values(summary: Summary, seconds: float) -> dict[MetricName, float]:
    """The request series of one window; latencies and error shares only if it had requests."""
    values = {MetricName.OPEN_WEBSOCKETS: float(summary.open_websockets)}
    if seconds > 0:
        rate = summary.requests / seconds
        values[MetricName.REQUEST_RATE] = values[MetricName.THROUGHPUT] = rate
    if summary.requests:
        values[MetricName.ERROR_RATE] = summary.errors / summary.requests
        values[MetricName.CLIENT_ERROR_RATE] = summary.client_errors / summary.requests
    for name, ms in (
        (MetricName.RESPONSE_TIME, summary.mean_ms),
        (MetricName.RESPONSE_TIME_P50, summary.p50_ms),
        (MetricName.RESPONSE_TIME_P95, summary.p95_ms),
        (MetricName.RESPONSE_TIME_P99, summary.p99_ms),
    ):
        if ms is not None:
            values[name] = round(ms, 3)
    return values


async def read_host(settings: Settings, gauge: CpuGauge) -> HostReading:
    """The machine's figures now; CPU from the instance's one gauge (`AppState.cpu_gauge`)."""
    net = psutil.net_io_counters()
    return HostReading(
        cpu_usage=await gauge.read(),
        memory_usage=float(psutil.virtual_memory().percent),
        disk_usage=float(psutil.disk_usage(disk_path(settings)).percent),
        bytes_sent=int(net.bytes_sent),
        bytes_received=int(net.bytes_recv),
        at=utcnow(),
    )


class MetricsSampler:
    """Stores one MetricSample per measured series every `interval` seconds.

    Reads the instance's CPU gauge and drains its request window (the middleware fills it).
    """

    def __init__(
        self,
        state: AppState,
        *,
        system_id: str = SERVER_SYSTEM_ID,
        interval: float | None = None,
    ) -> None:
        settings = state.settings
        self.settings = settings
        self.gauge: CpuGauge = state.cpu_gauge
        self.request_stats: RequestStats = state.request_stats
        self.system_id = system_id
        self.interval = settings.metrics_interval_seconds if interval is None else interval
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._previous: HostReading | None = None
        self._pruned_at = 0.0

    async def sample_once(self) -> list[models.MetricSample]:
        """Measure now, store the samples, drop samples older than the retention."""
        reading = await read_host(self.settings, self.gauge)
        values: dict[MetricName, float] = {
            MetricName.CPU_USAGE: reading.cpu_usage,
            MetricName.MEMORY_USAGE: reading.memory_usage,
            MetricName.DISK_USAGE: reading.disk_usage,
        }
        previous, self._previous = self._previous, reading
        if previous is not None:
            seconds = (reading.at - previous.at).total_seconds()
            if seconds > 0:
                received = reading.bytes_received - previous.bytes_received
                sent = reading.bytes_sent - previous.bytes_sent
                values[MetricName.NETWORK_IN] = max(0, received) / seconds
                values[MetricName.NETWORK_OUT] = max(0, sent) / seconds
        window = self.request_stats.drain()
        values.update(request_values(window.server, window.seconds))
        samples = [
            models.MetricSample(
                system_id=self.system_id, metric=name.value, value=value, timestamp=reading.at
            )
            for name, value in values.items()
        ]
        samples += [
            models.MetricSample(
                system_id=self.system_id,
                app_id=app_id,
                metric=name.value,
                value=value,
                timestamp=reading.at,
            )
            for app_id, summary in window.apps.items()
            for name, value in request_values(summary, window.seconds).items()
        ]
        await latest_metrics.store(samples)
        await self._roll_up(values, reading.at)
        await self._prune(reading.at)
        return samples

    async def _roll_up(self, values: dict[MetricName, float], at: datetime) -> None:
        """Fold the values into their minute and hour rollups (idempotent keys, `$inc`)."""
        ops = []
        for name, value in values.items():
            for resolution in ROLLUP_RESOLUTIONS:
                start = datetime.fromtimestamp(at.timestamp() // resolution * resolution, UTC)
                key = {
                    "system_id": self.system_id,
                    "metric": name.value,
                    "resolution": resolution,
                    "timestamp": start,
                }
                ops.append(
                    UpdateOne(
                        key,
                        {
                            "$inc": {"total": value, "samples": 1},
                            "$min": {"low": value},
                            "$max": {"high": value},
                            "$set": {"updated_at": at},
                            "$setOnInsert": {"_id": new_id("mru"), "created_at": at},
                        },
                        upsert=True,
                    )
                )
        await models.MetricRollup.get_pymongo_collection().bulk_write(ops, ordered=False)

    async def _prune(self, now: datetime) -> None:
        if time.monotonic() - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = time.monotonic()
        cutoff = now - timedelta(seconds=self.settings.metrics_retention_seconds)
        for model in (models.MetricSample, models.MetricRollup):
            await model.get_pymongo_collection().delete_many({"timestamp": {"$lt": cutoff}})
        await latest_metrics.forget_before(cutoff)

    async def _run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await self.sample_once()
            except Exception:
                log.warning("metrics sample failed", exc_info=True)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self.interval)

    def start(self) -> None:
        """Begin sampling in the background (an interval of 0 disables the sampler)."""
        if self._task is None and self.interval > 0:
            self._stopping = asyncio.Event()
            self._task = asyncio.create_task(
                self._run(self._stopping), name="axonql-metrics-sampler"
            )

    async def stop(self, timeout: float = 5.0) -> None:
        """Let the current sample finish (no write lands after this returns), then end."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        await asyncio.wait({task}, timeout=timeout)
        await stop_task(task)
