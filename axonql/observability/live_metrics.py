"""Collectors reading in-process figures at scrape time, so nothing is counted twice.

The hub already counts its subscribers, dispatched events and closed slow consumers, and the
request-metrics middleware's `RequestStats` already counts open WebSockets for the legacy
metric series: these collectors report those same numbers. The queue depth needs the database,
which a (synchronous) collector cannot await: `/metrics` refreshes it first, at most every
`QUEUE_DEPTH_TTL` seconds, with one indexed equality count per status.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from axonql.models.task import TaskStatus

if TYPE_CHECKING:
    from axonql.observability.metrics import Metrics

log = logging.getLogger("axonql.metrics")

NO_APP = "none"
"""The `api` label of what no application owns (the docs, the IDE, `/ws`, unrouted paths)."""

QUEUE_DEPTH_TTL = 5.0
QUEUE_STATUSES = (TaskStatus.CREATED, TaskStatus.QUEUED, TaskStatus.RUNNING, TaskStatus.PAUSED)
"""Not-yet-finished statuses only: counting finished tasks grows with history, not load."""


class RealtimeCollector:
    """Open subscriptions, events dispatched and slow consumers closed, from the hub."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        state = self.metrics.state
        realtime = state.realtime_if_running() if state is not None else None
        if realtime is None:
            return
        hub = realtime.hub
        yield GaugeMetricFamily(
            "axonql_subscriptions_open",
            "Event subscriptions this worker's hub is serving now.",
            value=len(hub),
        )
        yield CounterMetricFamily(
            "axonql_realtime_events_dispatched",
            "Events this worker's hub offered to its subscribers.",
            value=hub.dispatched,
        )
        yield CounterMetricFamily(
            "axonql_realtime_slow_consumers_closed",
            "Subscribers closed for falling more than their buffer behind.",
            value=hub.overflows,
        )


class WebSocketCollector:
    """Open WebSocket connections by application, as `RequestStats` counts them."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        state = self.metrics.state
        if state is None:
            return
        stats = state.request_stats
        family = GaugeMetricFamily(
            "axonql_websocket_connections",
            "WebSocket connections open now on this worker, by application.",
            labels=["api"],
        )
        by_app = stats.open_websockets_by_app()
        for app, count in sorted((app or NO_APP, n) for app, n in by_app.items()):
            family.add_metric([app], count)
        yield family


class QueueDepth:
    """Tasks per unfinished status, counted at most every `ttl` seconds."""

    def __init__(self, metrics: Metrics, ttl: float = QUEUE_DEPTH_TTL) -> None:
        self.metrics = metrics
        self.ttl = ttl
        self.counts: dict[str, int] = {}
        self._at = -float("inf")

    async def refresh(self) -> None:
        """Count again if the last counts are older than `ttl` (scrapes stay cheap)."""
        state = self.metrics.state
        if state is None or time.monotonic() - self._at < self.ttl:
            return
        self._at = time.monotonic()
        tasks = state.database.db["tasks"]
        try:
            counts = await asyncio.gather(
                *(tasks.count_documents({"status": s.value}) for s in QUEUE_STATUSES)
            )
        except Exception:  # the other families are still worth serving; try again next time
            log.warning("counting queued tasks for /metrics failed", exc_info=True)
            return
        self.counts = {s.value: int(n) for s, n in zip(QUEUE_STATUSES, counts, strict=True)}

    def collect(self) -> Iterator[Metric]:
        if not self.counts:
            return
        family = GaugeMetricFamily(
            "axonql_queue_tasks",
            f"Unfinished tasks by status (counted at most every {self.ttl:g} s).",
            labels=["status"],
        )
        for status, count in self.counts.items():
            family.add_metric([status], count)
        yield family
