"""Seed 001's `metrics(type, period)` and the extension that measures GraphQL operations."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from axonql.models.system import MetricName
from axonql.resolvers import metrics as logic
from axonql.schema.context import Info
from axonql.schema.permissions import query
from axonql.scopes import Scope
from axonql.services.metrics_sampler import request_stats

MetricType = strawberry.enum(
    MetricName,
    name="MetricType",
    description="CPU/memory/disk in percent, network in bytes/s, response time in ms, "
    "throughput in operations/s, error rate as a fraction of operations.",
)


@strawberry.type
class Metric:
    """A stored sample, or the mean of `samples` samples in one interval."""

    type: MetricType  # type: ignore[valid-type]
    timestamp: datetime
    value: float
    samples: int


@strawberry.type
class MetricsQuery:
    @query(
        Scope.NEURAL_MONITOR,
        description="Samples of the last `period` (5m, 1h, 24h, 7d), oldest first: the newest "
        "2000 raw samples, or one mean per `interval` (at most 2000 intervals).",
    )
    async def metrics(
        self,
        info: Info,
        type: MetricType,  # type: ignore[valid-type]
        period: str,
        interval: str | None = None,
        app_id: str | None = None,
        component_id: str | None = None,
        system_id: strawberry.ID | None = None,
    ) -> list[Metric]:
        points = await logic.metric_series(
            MetricName(type),
            period,
            interval,
            system_id=str(system_id) if system_id is not None else None,
            app_id=app_id,
            component_id=component_id,
        )
        return [
            Metric(type=type, timestamp=p.timestamp, value=p.value, samples=p.samples)
            for p in points
        ]


class OperationMetrics(SchemaExtension):
    """Counts each query/mutation with its duration and whether it failed (for the sampler)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context.context
        state = getattr(context, "state", None)
        if state is None or self.execution_context.operation_type is OperationType.SUBSCRIPTION:
            return
        result = self.execution_context.result
        failed = bool(result is not None and getattr(result, "errors", None))
        request_stats(state.extras).record((time.perf_counter() - started) * 1000.0, failed)
