"""SynapticOS's consciousness metrics as a time series, computed from what is stored.

Per bucket of `interval` between `start` and `end`:

- `consciousness_level`: the system's level at the bucket's end, from the last
  `CONSCIOUSNESS_UPDATE` event before it (before any event: the first event's previous
  level; with no events at all: the current level);
- `event_processing_rate`: events committed in the bucket per second (only events whose
  payload names the component, when `component_id` is given);
- `neural_evolution_cycles`: evolution generations recorded in the bucket;
- `active_users`: users with a learning session open at any moment of the bucket.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from axonql import models
from axonql.errors import NotFound, ValidationError
from axonql.models.base import utcnow
from axonql.models.system import SERVER_SYSTEM_ID
from axonql.services.lookup import fetch
from axonql.services.periods import parse_period

MAX_BUCKETS = 1000


@dataclass(frozen=True)
class Point:
    timestamp: datetime
    consciousness_level: float
    event_processing_rate: float
    neural_evolution_cycles: int
    active_users: int


def _buckets(start: datetime, end: datetime, interval: timedelta) -> list[datetime]:
    if end <= start:
        raise ValidationError("end_time must be after start_time", field="endTime")
    count = -(-(end - start) // interval)
    if count > MAX_BUCKETS:
        raise ValidationError(
            f"the range holds more than {MAX_BUCKETS} intervals; widen the interval",
            field="interval",
        )
    return [start + i * interval for i in range(count)]


async def _levels(
    system: models.System, end: datetime
) -> tuple[list[datetime], list[float], float]:
    """Times and levels of every update up to `end`, and the level before the first of them."""
    updates = (
        await models.Event.find(
            {"type": "CONSCIOUSNESS_UPDATE", "system_id": system.id, "created_at": {"$lte": end}}
        )
        .sort("created_at", "_id")
        .to_list()
    )
    times = [e.created_at for e in updates]
    levels = [
        float(e.payload.get("consciousness_level", system.consciousness_level)) for e in updates
    ]
    first = updates[0].payload.get("previous_level") if updates else None
    return times, levels, float(first) if first is not None else system.consciousness_level


async def _times(model: Any, query: dict[str, Any]) -> list[datetime]:
    collection = model.get_pymongo_collection()
    return sorted([row["created_at"] async for row in collection.find(query, {"created_at": 1})])


def _count_in(times: list[datetime], start: datetime, end: datetime) -> int:
    return bisect.bisect_left(times, end) - bisect.bisect_left(times, start)


async def series(
    system_id: str | None,
    start: datetime | None,
    end: datetime | None,
    interval_text: str,
    component_id: str | None,
) -> list[Point]:
    """The points between `start` (default: a day before `end`) and `end` (default: now) for
    a system (default: this server), one per `interval_text` (`1h`, `15m`, …)."""
    interval = parse_period(interval_text, "interval")
    system = await fetch(models.System, system_id or SERVER_SYSTEM_ID, "system")
    if component_id and all(c.component_id != component_id for c in system.components):
        raise NotFound(
            f"component {component_id} not found", details={"component_id": component_id}
        )
    finish = end or utcnow()
    begin = start or finish - timedelta(hours=24)
    starts = _buckets(begin, finish, interval)
    times, levels, initial = await _levels(system, finish)
    event_query: dict[str, Any] = {"created_at": {"$gte": begin, "$lt": finish}}
    if component_id:
        event_query["payload.component_id"] = component_id
    events = await _times(models.Event, event_query)
    generations = await _times(
        models.GenerationRecord, {"created_at": {"$gte": begin, "$lt": finish}}
    )
    sessions = [
        (row["started_at"], row.get("ended_at"), row["user_id"])
        async for row in models.LearningSession.get_pymongo_collection().find(
            {
                "started_at": {"$lt": finish},
                "$or": [{"ended_at": None}, {"ended_at": {"$gte": begin}}],
            },
            {"started_at": 1, "ended_at": 1, "user_id": 1},
        )
    ]
    points = []
    for bucket_start in starts:
        bucket_end = min(bucket_start + interval, finish)
        seen = bisect.bisect_right(times, bucket_end)
        level = levels[seen - 1] if seen else (initial if times else system.consciousness_level)
        seconds = max((bucket_end - bucket_start).total_seconds(), 1e-9)
        users = {
            user
            for opened, closed, user in sessions
            if opened < bucket_end and (closed is None or closed >= bucket_start)
        }
        points.append(
            Point(
                timestamp=bucket_start,
                consciousness_level=level,
                event_processing_rate=round(
                    _count_in(events, bucket_start, bucket_end) / seconds, 6
                ),
                neural_evolution_cycles=_count_in(generations, bucket_start, bucket_end),
                active_users=len(users),
            )
        )
    return points
