"""A metric's average, peak and latest value over a period, with its points."""

from __future__ import annotations

import strawberry

from axonql.schema.metrics_types import Metric, MetricType
from axonql.services import metric_summary as logic


@strawberry.type
class MetricSummary:
    type: MetricType  # type: ignore[valid-type]
    average: float | None = strawberry.field(
        description="Mean of the period's samples; null without samples."
    )
    peak: float | None = strawberry.field(description="Highest point; null without samples.")
    latest: float | None = strawberry.field(description="Newest point; null without samples.")
    samples: int
    points: list[Metric]

    @classmethod
    def from_summary(cls, found: logic.MetricSummary) -> MetricSummary:
        return cls(
            type=found.metric,
            average=found.average,
            peak=found.peak,
            latest=found.latest,
            samples=found.samples,
            points=[Metric.from_point(found.metric, p) for p in found.points],
        )
