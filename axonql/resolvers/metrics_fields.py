"""Root fields for metrics: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.models.system import MetricName
from axonql.schema.context import Info
from axonql.schema.metrics_types import Metric, MetricType
from axonql.schema.permissions import query
from axonql.scopes import Scope
from axonql.services import metric_series as logic


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
        name = MetricName(type)
        points = await logic.metric_series(
            name,
            period,
            interval,
            system_id=str(system_id) if system_id is not None else None,
            app_id=app_id,
            component_id=component_id,
        )
        return [Metric.from_point(name, p) for p in points]
