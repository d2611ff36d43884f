"""Root field for a metric's summary: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.models.system import MetricName
from axonql.schema.context import Info
from axonql.schema.metric_summary_types import MetricSummary
from axonql.schema.metrics_types import MetricType
from axonql.schema.permissions import query
from axonql.scopes import Scope
from axonql.services import metric_summary as logic


@strawberry.type
class MetricSummaryQuery:
    @query(
        Scope.NEURAL_MONITOR,
        description="A metric's average, peak and latest value over the last `period`, with "
        "the points `metrics` returns for the same arguments.",
    )
    async def metric_summary(
        self,
        info: Info,
        type: MetricType,  # type: ignore[valid-type]
        period: str,
        interval: str | None = None,
        app_id: str | None = None,
        component_id: str | None = None,
        system_id: strawberry.ID | None = None,
    ) -> MetricSummary:
        found = await logic.metric_summary(
            MetricName(type),
            period,
            interval,
            system_id=str(system_id) if system_id is not None else None,
            app_id=app_id,
            component_id=component_id,
        )
        return MetricSummary.from_summary(found)
