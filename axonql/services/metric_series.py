"""Metric time series read from stored samples, optionally averaged per interval.

A system's series written by the sampler also have minute and hour rollups; an interval that
is a whole number of minutes (or hours) is answered from those, so a week costs 168 hourly
documents instead of 60,000 samples. Other series (applications, components, samples stored
by agents) are averaged from their raw samples.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from axonql import models
from axonql.errors import ValidationError
from axonql.models.base import utcnow
from axonql.models.system import ROLLUP_RESOLUTIONS, SERVER_SYSTEM_ID, MetricName
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
    """Samples of an application, of a component, or (default) of a system (this server).

    The server's per-application request series carry the server's `system_id` too, so a
    system's own series are those without an `app_id`/`component_id`.
    """
    query: dict[str, Any] = {}
    if app_id is not None:
        query["app_id"] = v.text("appId", app_id, 100)
    if component_id is not None:
        query["component_id"] = v.text("componentId", component_id, 100)
    if system_id is not None or not query:
        query["system_id"] = v.text("systemId", system_id or SERVER_SYSTEM_ID, 100)
    if set(query) == {"system_id"}:  # the system as a whole, not its applications' shares
        query.update(app_id=None, component_id=None)
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
    start = utcnow() - span
    query = {
        **_scope(system_id, app_id, component_id),
        "metric": metric.value,
        "timestamp": {"$gte": start},
    }
    own = "app_id" in query and query["app_id"] is None  # a system's own series
    if step is not None and own:
        rolled = await _from_rollups(query["system_id"], metric, start, step)
        if rolled is not None:
            return rolled
    read = _own if own else _rows
    if step is None:  # raw samples: the newest MAX_POINTS
        rows = await _newest(read, query, start, MAX_POINTS)
        return [Point(r["timestamp"], float(r["value"]), 1) for r in reversed(rows)]
    rows = await read(query, 0)
    return bucket([(r["timestamp"], float(r["value"])) for r in rows], step)


FIRST_WINDOW = timedelta(hours=1)
"""The first window of a raw series read from now back: the sampler's 2,000 samples at its
default 10 s span five and a half hours, so at most a few windows fill a page."""


async def _newest(
    read: Callable[[dict[str, Any], int], Awaitable[list[dict[str, Any]]]],
    query: dict[str, Any],
    start: datetime,
    limit: int,
) -> list[dict[str, Any]]:
    """The newest `limit` samples from `start` on, newest first, read in windows from now
    backwards, each sized by the density the last one showed (`_next_width`): a
    long period costs about the samples returned, not every sample in it."""
    found: list[dict[str, Any]] = []
    high: datetime | None = None  # open above: samples stamped ahead of this clock count
    width = FIRST_WINDOW
    while len(found) < limit:
        low = max(start, (high or utcnow()) - width)
        bounds: dict[str, Any] = {"$gte": low}
        if high is not None:
            bounds["$lt"] = high
        got = await read({**query, "timestamp": bounds}, limit - len(found))
        found += got
        if low <= start:
            break
        high, width = low, _next_width(width, len(got), limit - len(found))
    return found


def _next_width(width: timedelta, got: int, need: int) -> timedelta:
    """A window expected to hold the `need` samples still missing, at the density the last one
    showed (at most four times wider; four times when it was empty)."""
    if got == 0:
        return width * 4
    return min(width * 4, width * (need / got) * 1.25)


_PROJECTION = {"timestamp": 1, "value": 1, "app_id": 1, "component_id": 1, "_id": 0}


async def _rows(query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """Samples matching `query`, newest first (at most `limit`; 0: all)."""
    collection = models.MetricSample.get_pymongo_collection()
    rows: list[dict[str, Any]] = (
        await collection.find(query, _PROJECTION).sort("timestamp", -1).limit(limit).to_list()
    )
    return rows


async def _own(query: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """A system's own samples, newest first: its (system, metric) series in the period
    without its applications' and components' shares. Asked of the database, the `None`
    equalities on `app_id`/`component_id` make SecantusDB read every sample (570 ms at
    30,000); `(system_id, metric, timestamp)` is an index, so they are checked here."""
    indexed = {k: query[k] for k in ("system_id", "metric", "timestamp")}
    collection = models.MetricSample.get_pymongo_collection()
    found: list[dict[str, Any]] = []
    cursor = collection.find(indexed, _PROJECTION).sort("timestamp", -1)
    try:
        async for row in cursor:
            if row.get("app_id") is None and row.get("component_id") is None:
                found.append(row)
                if len(found) == limit:
                    break
    finally:
        await cursor.close()
    return found


async def _from_rollups(
    system_id: str, metric: MetricName, start: datetime, step: timedelta
) -> list[Point] | None:
    """Means per interval from the rollups whose buckets lie inside the period; None if none."""
    seconds = int(step.total_seconds())
    usable = [r for r in ROLLUP_RESOLUTIONS if seconds % r == 0]
    if not usable:
        return None
    resolution = max(usable)
    query = {
        "system_id": system_id,
        "metric": metric.value,
        "resolution": resolution,
        "timestamp": {"$gte": start},
    }
    collection = models.MetricRollup.get_pymongo_collection()
    rows = await collection.find(query, {"timestamp": 1, "total": 1, "samples": 1}).to_list()
    if not rows:
        return None
    sums: dict[float, tuple[float, int]] = {}
    for row in rows:
        begin = row["timestamp"].timestamp() // seconds * seconds
        total, count = sums.get(begin, (0.0, 0))
        sums[begin] = (total + float(row["total"]), count + int(row["samples"]))
    return [
        Point(datetime.fromtimestamp(begin, UTC), round(total / count, 6), count)
        for begin, (total, count) in sorted(sums.items())
        if count
    ]
