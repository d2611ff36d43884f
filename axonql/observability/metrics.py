"""The Prometheus families of one app instance, in a registry of its own.

Tests run several apps in one process, so nothing goes in prometheus-client's global REGISTRY.
With `PROMETHEUS_MULTIPROC_DIR` set (several worker processes), prometheus-client writes every
counter and histogram to files in that directory, and `/metrics` serves the sum of all
workers' files plus this worker's live collectors (see `live_metrics`, `metrics_endpoint`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.registry import Collector
from starlette.types import Scope

from axonql.observability.live_metrics import (
    NO_APP,
    QueueDepth,
    RealtimeCollector,
    WebSocketCollector,
)

if TYPE_CHECKING:
    from axonql.state import AppState

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED_ROUTE = "<unmatched>"
"""The `route` label of a request no route matched: raw paths would be unbounded labels."""
OTHER_OPERATION = "<other>"
ANONYMOUS_OPERATION = "<anonymous>"
MAX_OPERATION_NAMES = 500
"""Distinct GraphQL operation names counted before new ones fold into `<other>`: clients
choose them, and every label value is a series kept for the life of the process."""

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
TASK_BUCKETS = (0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 14400.0)

Attribution = Callable[[Scope], str | None]


def multiprocess_dir() -> str | None:
    """The shared directory of multi-process mode, or None (one process, one registry)."""
    return os.environ.get(MULTIPROC_ENV) or None


def route_template(scope: Scope) -> str:
    """The matched Starlette route's path format (`/api/tasks/{id}`), never the raw path."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class Metrics:
    """Every family one app instance exports; created by `create_app`, kept on `AppState`."""

    def __init__(self, attribute: Attribution | None = None) -> None:
        self.registry = CollectorRegistry()
        self.attribute: Attribution = attribute or (lambda scope: None)
        self.state: AppState | None = None
        self.live: list[Collector] = []
        self._operation_names: set[str] = set()
        self._names_lock = threading.Lock()
        r = self.registry
        self.http_requests = Counter(
            "axonql_http_requests",
            "HTTP requests answered, by application, route template, method and status "
            "(a GraphQL answer counts with the status its errors stand for).",
            ["api", "route", "method", "status"],
            registry=r,
        )
        self.http_duration = Histogram(
            "axonql_http_request_duration_seconds",
            "Time from a request's arrival to its response's last byte.",
            ["api", "route", "method"],
            buckets=HTTP_BUCKETS,
            registry=r,
        )
        self.graphql_operations = Counter(
            "axonql_graphql_operations",
            "GraphQL operations run, by operation name and type and outcome: ok, or the code "
            "of the error with the highest status.",
            ["api", "operation_name", "operation_type", "outcome"],
            registry=r,
        )
        self.task_duration = Histogram(
            "axonql_task_duration_seconds",
            "Run time (start to finish) of tasks agents reported completed or failed.",
            ["outcome"],
            buckets=TASK_BUCKETS,
            registry=r,
        )
        self.db_duration = Histogram(
            "axonql_database_command_duration_seconds",
            "MongoDB command round trips of this instance's client, by command and outcome.",
            ["command", "outcome"],
            buckets=DB_BUCKETS,
            registry=r,
        )
        self.rate_limit_refusals = Counter(
            "axonql_rate_limit_refusals",
            "Requests, messages, connections and logins refused by a rate limit "
            "(limiter: rest, ws_message, ws_connection, login; group: what was limited).",
            ["limiter", "group"],
            registry=r,
        )
        self.queue_depth = QueueDepth(self)
        for collector in (RealtimeCollector(self), WebSocketCollector(self), self.queue_depth):
            self.add_live(collector)

    def attach(self, state: AppState) -> None:
        """The instance state the live collectors read (set again if the lifespan restarts)."""
        self.state = state

    def add_live(self, collector: Collector) -> None:
        """A collector of in-process figures, read at scrape time (one worker's, see README)."""
        self.live.append(collector)
        self.registry.register(collector)

    def observe_request(self, scope: Scope, app: str | None, status: int, seconds: float) -> None:
        api, route, method = app or NO_APP, route_template(scope), str(scope.get("method", ""))
        self.http_requests.labels(api, route, method, str(status)).inc()
        self.http_duration.labels(api, route, method).observe(seconds)

    def operation_name(self, name: str | None) -> str:
        """`name` as a label value, bounded (see MAX_OPERATION_NAMES)."""
        if not name:
            return ANONYMOUS_OPERATION
        name = name[:100]
        with self._names_lock:
            if name in self._operation_names:
                return name
            if len(self._operation_names) >= MAX_OPERATION_NAMES:
                return OTHER_OPERATION
            self._operation_names.add(name)
            return name

    def refused(self, limiter: str, group: str) -> None:
        self.rate_limit_refusals.labels(limiter, group).inc()
