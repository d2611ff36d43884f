"""Each System's newest CPU, memory and disk sample, kept on the System document.

`System.metrics` reads these from the System it already has: no query per system, and a cost
that does not grow with the samples stored (SecantusDB never serves `$in` from an index, so
the aggregate it replaced read every sample of the systems asked).

Samples are stored through `store`, which moves each System's latest value forward in the same
unit of work: a conditional update on the stored time, so an older sample written later never
replaces a newer one. A database written before these values existed (or samples inserted
directly, as a bulk import would) is filled by `ensure` at start-up or by `fill`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from pymongo import DESCENDING, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession

from axonql import models
from axonql.models.base import utcnow
from axonql.models.system import SYSTEM_METRICS, LatestSample

_KEPT = tuple(m.value for m in SYSTEM_METRICS)


def _advance(system_id: str, metric: str, value: float, at: datetime) -> UpdateOne:
    """Set one latest value unless the stored one is as new or newer (missing counts older)."""
    path = f"latest_metrics.{metric}"
    return UpdateOne(
        {"_id": system_id, f"{path}.at": {"$not": {"$gte": at}}},
        {"$set": {path: {"value": float(value), "at": at}}},
    )


async def _apply(ops: list[UpdateOne], session: AsyncClientSession | None) -> None:
    if ops:
        collection = models.System.get_pymongo_collection()
        await collection.bulk_write(ops, ordered=False, session=session)


async def store(
    samples: Sequence[models.MetricSample], session: AsyncClientSession | None = None
) -> None:
    """Insert samples and move their Systems' latest values forward (one command for those)."""
    if not samples:
        return
    await models.MetricSample.insert_many(list(samples), session=session)
    await advance(samples, session)


async def advance(
    samples: Iterable[models.MetricSample], session: AsyncClientSession | None = None
) -> None:
    """Move the latest values forward to these (already stored) samples where they are newer."""
    newest: dict[tuple[str, str], models.MetricSample] = {}
    for sample in samples:
        if sample.metric not in _KEPT:
            continue
        key = (sample.system_id, sample.metric)
        known = newest.get(key)
        if known is None or sample.timestamp > known.timestamp:
            newest[key] = sample
    ops = [_advance(sid, metric, s.value, s.timestamp) for (sid, metric), s in newest.items()]
    await _apply(ops, session)


_WINDOWS = (timedelta(hours=1), timedelta(days=1), None)
"""How far back `fill` looks, widening while it finds nothing: SecantusDB reads every sample
a filter matches before it sorts, so the last hour of a busy series is read, not its week."""


async def _newest(
    system_id: str, metric: str, session: AsyncClientSession | None
) -> dict[str, Any] | None:
    samples = models.MetricSample.get_pymongo_collection()
    now = utcnow()
    for window in _WINDOWS:
        where: dict[str, Any] = {"system_id": system_id, "metric": metric}
        if window is not None:
            where["timestamp"] = {"$gte": now - window}
        found: dict[str, Any] | None = await samples.find_one(
            where, {"value": 1, "timestamp": 1}, sort=[("timestamp", DESCENDING)], session=session
        )
        if found is not None:
            return found
    return None


async def fill(
    system_ids: Iterable[str], session: AsyncClientSession | None = None
) -> dict[str, dict[str, LatestSample]]:
    """Work out the latest values of these Systems from their stored samples.

    Per system and metric a query the `(system_id, metric, timestamp)` index serves (an
    equality on its prefix and a range on time; not `$in`, which SecantusDB reads in full).
    For start-up, system creation and bulk imports, never per request. A System with no
    samples gets an empty `latest_metrics`, so it is not filled again. Returns the newest
    samples found."""
    systems = models.System.get_pymongo_collection()
    found_all: dict[str, dict[str, LatestSample]] = {}
    for system_id in system_ids:
        found_all[system_id] = {}
        ops: list[UpdateOne] = []
        for metric in _KEPT:
            found = await _newest(system_id, metric, session)
            if found is not None:
                ops.append(_advance(system_id, metric, found["value"], found["timestamp"]))
                newest = LatestSample(value=found["value"], at=found["timestamp"])
                found_all[system_id][metric] = newest
        await _apply(ops, session)
        await systems.update_one(
            {"_id": system_id, "latest_metrics": {"$exists": False}},
            {"$set": {"latest_metrics": {}}},
            session=session,
        )
    return found_all


async def ensure() -> None:
    """At start: fill the Systems stored without latest values (a one-off scan of `systems`;
    instances starting together may both fill, which changes nothing)."""
    cursor = models.System.get_pymongo_collection().find(
        {"latest_metrics": {"$exists": False}}, {"_id": 1}
    )
    await fill([str(doc["_id"]) async for doc in cursor])


async def forget_before(cutoff: datetime) -> None:
    """Drop latest values older than `cutoff`, after the samples before it were pruned (no
    sample of that series is left, as the aggregate that read them found none)."""
    collection = models.System.get_pymongo_collection()
    for metric in _KEPT:
        path = f"latest_metrics.{metric}"
        await collection.update_many({f"{path}.at": {"$lt": cutoff}}, {"$unset": {path: ""}})


def values(system: models.System) -> dict[str, float]:
    """A System's latest value per metric name, as stored on it."""
    return {name: sample.value for name, sample in system.latest_metrics.items()}
