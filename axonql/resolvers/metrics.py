"""Metric time series read from stored samples, optionally averaged per interval."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from axonql import models
from axonql.errors import ValidationError
from axonql.models.base import utcnow
from axonql.models.system import SERVER_SYSTEM_ID, MetricName
from axonql.services import validation as v
from axonql.services.periods import parse_period

MAX_POINTS = 2000


@dataclass
class Point:
    """One value: a raw sample (`samples` = 1) or the mean of the samples in one bucket."""

    timestamp: datetime
    value: float
    samples: int


def _scope(system_id: str | None, app_id: str | None, component_id: str | None) -> dict[str, Any]:
    """Samples of an application, of a component, or (default) of a system (this server)."""
    query: dict[str, Any] = {}
    if app_id is not None:
        query["app_id"] = v.text("appId", app_id, 100)
    if component_id is not None:
        query["component_id"] = v.text("componentId", component_id, 100)
    if system_id is not None or not query:
        query["system_id"] = v.text("systemId", system_id or SERVER_SYSTEM_ID, 100)
    return query


def bucket(points: list[tuple[datetime, float]], step: timedelta) -> list[Point]:
    """Mean per interval, buckets aligned to the Unix epoch, oldest first."""
    seconds = step.total_seconds()
    sums: dict[float, tuple[float, int]] = {}
    for at, value in points:
        start = at.timestamp() // seconds * seconds
        total, count = sums.get(start, (0.0, 0))
        sums[start] = (total + value, count + 1)
    return [
        Point(datetime.fromtimestamp(start, UTC), round(total / count, 6), count)
        for start, (total, count) in sorted(sums.items())
    ]


async def metric_series(
    metric: MetricName,
    period: str,
    interval: str | None = None,
    *,
    system_id: str | None = None,
    app_id: str | None = None,
    component_id: str | None = None,
) -> list[Point]:
    """Samples of the last `period`; with `interval`, one averaged point per interval."""
    span = parse_period(period, "period")
    step = None if interval is None else parse_period(interval, "interval")
    if step is not None and (step > span or span / step > MAX_POINTS):
        raise ValidationError(
            f"interval must fit in the period at most {MAX_POINTS} times and not exceed it",
            field="interval",
        )
    query = {
        **_scope(system_id, app_id, component_id),
        "metric": metric.value,
        "timestamp": {"$gte": utcnow() - span},
    }
    collection = models.MetricSample.get_pymongo_collection()
    projection = {"timestamp": 1, "value": 1, "_id": 0}
    if step is None:
        cursor = collection.find(query, projection).sort("timestamp", -1).limit(MAX_POINTS)
        rows = await cursor.to_list()
        return [Point(r["timestamp"], float(r["value"]), 1) for r in reversed(rows)]
    cursor = collection.find(query, projection).sort("timestamp", 1)
    return bucket([(r["timestamp"], float(r["value"])) async for r in cursor], step)
