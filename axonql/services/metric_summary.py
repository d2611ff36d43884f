"""A metric's figures over a period: its average, peak and latest value, beside its points.

The average is over the samples (an interval's mean counts as many times as it has samples),
so it does not depend on the interval chosen; the peak is the highest point returned.
"""

from __future__ import annotations

from dataclasses import dataclass

from axonql.models.system import MetricName
from axonql.services.metric_series import Point, metric_series


@dataclass(frozen=True)
class MetricSummary:
    metric: MetricName
    points: list[Point]

    @property
    def samples(self) -> int:
        return sum(p.samples for p in self.points)

    @property
    def average(self) -> float | None:
        if not self.samples:
            return None
        return round(sum(p.value * p.samples for p in self.points) / self.samples, 6)

    @property
    def peak(self) -> float | None:
        return max((p.value for p in self.points), default=None)

    @property
    def latest(self) -> float | None:
        return self.points[-1].value if self.points else None


async def metric_summary(
    metric: MetricName,
    period: str,
    interval: str | None = None,
    *,
    system_id: str | None = None,
    app_id: str | None = None,
    component_id: str | None = None,
) -> MetricSummary:
    points = await metric_series(
        metric, period, interval, system_id=system_id, app_id=app_id, component_id=component_id
    )
    return MetricSummary(metric, points)
