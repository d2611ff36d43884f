"""Memory behaviour: recall with drift, ranked search, pool usage and consolidation.

Drift rule (per recall): `drift += 0.01 + 0.05 · (1 − importance) · min(1, idle_days / 30)`,
capped at 1.0 — rarely used, unimportant memories drift fastest. Crossing
`settings.memory_drift_alert_level` emits `MEMORY_DRIFT` (once per crossing).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pymongo.errors import OperationFailure

from axonql import models
from axonql.errors import NotFound
from axonql.models.base import utcnow
from axonql.services import memory_terms, pagination, query_filters, relevance, tallies
from axonql.services import validation as v
from axonql.services.events import Change, atomically, emit
from axonql.services.lookup import by_ids, fetch, stored_by_ids

POOLS = ("short_term", "long_term", "episodic")
DEFAULT_POOL_CAPACITY = {"short_term": 3000, "long_term": 4000, "episodic": 500}
MAX_CANDIDATES = 1000
"""The memories a search ranks at most: every holder of its rarer terms first, then the newest
holders of the commoner ones (`memory_terms.holding`), so a search costs the same at any size."""
MAX_SEARCH_LIMIT = 100
TEXT_INDEX_NAME = "memories_text"


def drift_after_recall(memory: models.Memory, now: datetime) -> float:
    idle_days = (now - (memory.last_accessed or memory.created_at)).total_seconds() / 86400
    step = 0.01 + 0.05 * (1 - memory.importance) * min(1.0, max(0.0, idle_days) / 30)
    return round(min(1.0, memory.drift_score + step), 6)


async def recall(memory_id: str, alert_level: float) -> tuple[models.Memory, list[models.Memory]]:
    """Count an access, move drift on, and return the memory with its related memories."""
    memory = await fetch(models.Memory, memory_id, "memory")
    now = utcnow()
    before = memory.drift_score
    drift = drift_after_recall(memory, now)

    async def write(unit: Change) -> models.Memory:
        # by `_id` equalities: a findAndModify reads the whole collection on SecantusDB
        collection = models.Memory.get_pymongo_collection()
        done = await collection.update_one(
            {"_id": memory_id},
            {
                "$inc": {"access_count": 1},
                "$set": {"last_accessed": now, "drift_score": drift, "updated_at": now},
            },
            session=unit.session,
        )
        updated = (
            await collection.find_one({"_id": memory_id}, session=unit.session)
            if done.matched_count
            else None
        )
        if updated is None:
            raise NotFound(f"memory {memory_id} not found", details={"id": memory_id})
        stored: models.Memory = models.Memory.model_validate(updated)
        await emit(  # a recall changes the memory: its stream shows it (README: typed changes)
            "MEMORY_UPDATED",
            {"change": "recalled", "fields": ["access_count", "drift_score", "last_accessed"]},
            memory_id=stored.id,
            user_id=stored.owner_user_id,
        )
        if before < alert_level <= drift:
            await emit(
                "MEMORY_DRIFT",
                {
                    "memory_id": stored.id,
                    "drift_level": drift,
                    "previous": before,
                    "repair_recommended": True,
                    "suggested_method": "partial_heal" if drift < 0.6 else "full_heal",
                },
                memory_id=stored.id,
                user_id=stored.owner_user_id,
            )
        return stored

    memory = await atomically(write)
    related = await models.Memory.find({"_id": {"$in": memory.related_ids}}).to_list()
    order = {mid: i for i, mid in enumerate(memory.related_ids)}
    related.sort(key=lambda m: order[m.id])
    return memory, related


@dataclass
class SearchFilters:
    types: list[str] | None = None
    tags: list[str] | None = None
    pools: list[str] | None = None
    owner_user_id: str | None = None
    min_importance: float | None = None
    start: datetime | None = None
    end: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def kept(self) -> dict[str, Any]:
        """The filters on fields kept beside each memory's terms (`memory_terms.FILTERED`)."""
        query: dict[str, Any] = {}
        if self.types:
            query["type"] = {"$in": self.types}
        if self.tags:
            query["tags"] = {"$in": self.tags}
        if self.pools:
            query["pool"] = {"$in": self.pools}
        if self.owner_user_id:
            query["owner_user_id"] = self.owner_user_id
        if self.min_importance is not None:
            query["importance"] = {"$gte": self.min_importance}
        start, end = pagination.aware(self.start), pagination.aware(self.end)  # naive: UTC
        window = query_filters.window(start, query_filters.through(end) if end else None)
        if window:
            query["created_at"] = window
        return query

    def query(self) -> dict[str, Any]:
        """The filters on a stored memory."""
        return {**self.extra, **self.kept()}


@dataclass
class SearchResult:
    hits: list[tuple[models.Memory, float]]
    total_matches: int
    search_time_ms: float
    used_text_index: bool


async def ensure_text_index() -> bool:
    """Create the memories' text index; False where the server has none (SecantusDB)."""
    try:
        await models.Memory.get_pymongo_collection().create_index(
            [("title", "text"), ("content", "text"), ("tags", "text")], name=TEXT_INDEX_NAME
        )
    except OperationFailure:
        return False
    return True


RANKED = {"title": 1, "content": 1, "tags": 1}
"""What the ranking reads of each memory a text index finds."""


async def _candidates(
    query_text: str, filters: SearchFilters, text_index: bool
) -> tuple[list[relevance.Bag], bool]:
    terms = relevance.tokens(query_text)
    if not terms:
        return [], False
    collection = models.Memory.get_pymongo_collection()
    if text_index:
        where = {**filters.query(), "$text": {"$search": " ".join(terms)}}
        found = await collection.find(where, RANKED).limit(MAX_CANDIDATES).to_list()
        return [memory_terms.searchable(stored).bag() for stored in found], True
    holders = await memory_terms.holding(terms, MAX_CANDIDATES, filters.kept())
    if filters.extra:  # on fields not kept beside the terms: asked of the memories by `_id`
        ids = [str(kept["_id"]) for kept in holders]
        matched = await stored_by_ids(collection, ids, filters.extra, {"_id": 1})
        known = {str(stored["_id"]) for stored in matched}
        holders = [kept for kept in holders if str(kept["_id"]) in known]
    return [memory_terms.bag(kept) for kept in holders], False


async def search(
    query_text: str,
    filters: SearchFilters,
    *,
    limit: int,
    threshold: float = 0.0,
    text_index: bool = False,
) -> SearchResult:
    """Memories matching the filters, ranked by relevance; only scores ≥ threshold count."""
    started = time.perf_counter()
    candidates, used_index = await _candidates(query_text, filters, text_index)
    ranked = relevance.rank_bags(query_text, candidates)
    kept = [(key, score) for key, score in ranked if score >= threshold]
    shown = {m.id: m for m in await by_ids(models.Memory, [key for key, _ in kept[:limit]])}
    return SearchResult(
        hits=[(shown[key], score) for key, score in kept[:limit] if key in shown],
        total_matches=len(kept),
        search_time_ms=round((time.perf_counter() - started) * 1000, 3),
        used_text_index=used_index,
    )


async def search_as_asked(
    query_text: str, filters: SearchFilters, *, limit: int, threshold: float, text_index: bool
) -> SearchResult:
    """Check a caller's search (text, limit, threshold, importance floor), then run it."""
    text = v.text("query", query_text, 1000)
    size = v.int_in("limit", limit, 1, MAX_SEARCH_LIMIT)
    floor = v.number_in("similarityThreshold", threshold, 0.0, 1.0)
    if filters.min_importance is not None:
        v.number_in("minImportance", filters.min_importance, 0.0, 1.0)
    return await search(text, filters, limit=size, threshold=floor, text_index=text_index)


@dataclass
class PoolUsage:
    pool: str
    capacity: int
    used: int

    @property
    def utilization(self) -> float:
        return round(self.used / self.capacity, 6) if self.capacity else 0.0


@dataclass
class Usage:
    """Pool sizes are configured capacities (memory counts); used = stored memories."""

    pools: list[PoolUsage]
    drifting: int

    @property
    def total(self) -> int:
        return sum(p.capacity for p in self.pools)

    @property
    def used(self) -> int:
        return sum(p.used for p in self.pools)

    @property
    def available(self) -> int:
        return max(0, self.total - self.used)

    @property
    def efficiency(self) -> float:
        return round(self.used / self.total, 6) if self.total else 0.0

    @property
    def fragmentation(self) -> float:
        """Share of stored memories whose drift is past the alert level."""
        return round(self.drifting / self.used, 6) if self.used else 0.0


async def usage(capacities: dict[str, int], alert_level: float) -> Usage:
    """Pool sizes from the tallies; the drifting ones counted by an indexed range on
    `drift_score`, which reads only the memories past the alert level (the immune scan heals
    them), not the collection."""
    counts = await tallies.memory_counts()
    collection = models.Memory.get_pymongo_collection()
    drifting = await collection.count_documents({"drift_score": {"$gte": alert_level}})
    pools = [PoolUsage(p, capacities.get(p, 0), int(counts.get(p, 0))) for p in POOLS]
    return Usage(pools=pools, drifting=drifting)


@dataclass
class ConsolidationPlan:
    """Rules: merge duplicates, promote important short-term memories, prune stale ones."""

    promote_after: timedelta = timedelta(hours=24)
    promote_min_importance: float = 0.6
    prune_after: timedelta = timedelta(days=7)
    prune_below_importance: float = 0.3
    preserve_recent: bool = True
    recent: timedelta = timedelta(hours=1)


@dataclass
class ConsolidationReport:
    merged: int = 0
    promoted: int = 0
    pruned: int = 0
    bytes_freed: int = 0
    seconds: float = 0.0
    efficiency_before: float = 0.0
    efficiency_after: float = 0.0
    merged_into: dict[str, list[str]] = field(default_factory=dict)

    @property
    def consolidated(self) -> int:
        return self.merged + self.promoted

    @property
    def freed_kb(self) -> float:
        return round(self.bytes_freed / 1024, 3)

    @property
    def efficiency_improvement(self) -> float:
        return round(self.efficiency_before - self.efficiency_after, 6)


@dataclass(frozen=True)
class ConsolidationArguments:
    """A consolidation as the caller asked for it: hours, days and importance floors."""

    promote_after_hours: float
    promote_min_importance: float
    prune_after_days: float
    prune_below_importance: float
    preserve_recent: bool


def _check_plan(asked: ConsolidationArguments) -> ConsolidationPlan:
    return ConsolidationPlan(
        promote_after=timedelta(
            hours=v.number_in("promoteAfterHours", asked.promote_after_hours, 0, 24 * 3650)
        ),
        promote_min_importance=v.number_in(
            "promoteMinImportance", asked.promote_min_importance, 0.0, 1.0
        ),
        prune_after=timedelta(days=v.number_in("pruneAfterDays", asked.prune_after_days, 0, 3650)),
        prune_below_importance=v.number_in(
            "pruneBelowImportance", asked.prune_below_importance, 0.0, 1.0
        ),
        preserve_recent=asked.preserve_recent,
    )


async def consolidate_as_asked(
    asked: ConsolidationArguments, capacities: dict[str, int], alert_level: float
) -> ConsolidationReport:
    """Check the caller's plan, then apply it."""
    return await consolidate(_check_plan(asked), capacities, alert_level)


def _fingerprint(memory: models.Memory) -> str:
    return " ".join(relevance.tokens(memory.content)) or memory.content.strip().lower()


async def consolidate(
    plan: ConsolidationPlan, capacities: dict[str, int], alert_level: float
) -> ConsolidationReport:
    """Apply the plan to stored memories and report exactly what changed."""
    started = time.perf_counter()
    report = ConsolidationReport()
    report.efficiency_before = (await usage(capacities, alert_level)).efficiency
    now = utcnow()
    protected_since = now - plan.recent if plan.preserve_recent else now
    memories = await models.Memory.find(
        {"pool": {"$in": ["short_term", "episodic"]}, "created_at": {"$lt": protected_since}}
    ).to_list()
    groups: dict[tuple[str | None, str, str], list[models.Memory]] = {}
    for memory in memories:
        key = (memory.owner_user_id, memory.type, _fingerprint(memory))
        groups.setdefault(key, []).append(memory)
    survivors: list[models.Memory] = []
    for group in groups.values():
        group.sort(key=lambda m: (-m.importance, m.created_at, m.id))
        keeper, duplicates = group[0], group[1:]
        if duplicates:
            await _merge(keeper, duplicates, report)
        survivors.append(keeper)
    for memory in survivors:
        age = now - memory.created_at
        promote = (
            memory.pool == "short_term"
            and age >= plan.promote_after
            and memory.importance >= plan.promote_min_importance
        )
        if promote:
            if await _promote(memory, now):
                report.promoted += 1
            continue
        old = age >= plan.prune_after and memory.importance < plan.prune_below_importance
        if old and await _remove(memory):
            report.pruned += 1
            report.bytes_freed += len(memory.content.encode())
    report.efficiency_after = (await usage(capacities, alert_level)).efficiency
    report.seconds = round(time.perf_counter() - started, 6)
    return report


async def _merge(
    keeper: models.Memory, duplicates: list[models.Memory], report: ConsolidationReport
) -> None:
    tags = list(dict.fromkeys([*keeper.tags, *(t for d in duplicates for t in d.tags)]))
    gone = {d.id for d in duplicates}
    related = [
        r
        for r in dict.fromkeys(
            [*keeper.related_ids, *(r for d in duplicates for r in d.related_ids)]
        )
        if r not in gone and r != keeper.id
    ]

    async def write(unit: Change) -> None:  # the keeper's change, with its event
        await models.Memory.get_pymongo_collection().update_one(
            {"_id": keeper.id},
            {
                "$set": {"tags": tags, "related_ids": related, "updated_at": utcnow()},
                "$inc": {"access_count": sum(d.access_count for d in duplicates)},
            },
            session=unit.session,
        )
        await emit(
            "MEMORY_UPDATED",
            {
                "change": "merged",
                "merged_ids": sorted(gone),
                "fields": ["access_count", "related_ids", "tags"],
            },
            memory_id=keeper.id,
            user_id=keeper.owner_user_id,
        )

    await atomically(write)
    for duplicate in duplicates:
        await _remove(duplicate)
    await models.Memory.get_pymongo_collection().update_many(
        {"related_ids": {"$in": sorted(gone)}}, {"$pull": {"related_ids": {"$in": sorted(gone)}}}
    )
    report.merged += len(duplicates)
    report.bytes_freed += sum(len(d.content.encode()) for d in duplicates)
    report.merged_into[keeper.id] = sorted(gone)


async def _promote(memory: models.Memory, now: datetime) -> bool:
    """short_term → long_term, with the event the pool tallies follow (same transaction)."""

    async def write(unit: Change) -> bool:
        done = await models.Memory.get_pymongo_collection().update_one(
            {"_id": memory.id, "pool": memory.pool},
            {"$set": {"pool": "long_term", "updated_at": now}},
            session=unit.session,
        )
        if done.modified_count:
            await emit(
                "MEMORY_UPDATED",
                {
                    "change": "updated",
                    "fields": ["pool"],
                    **tallies.memory_fields(memory.model_copy(update={"pool": "long_term"})),
                    **tallies.memory_fields(memory, "previous_"),
                },
                memory_id=memory.id,
                user_id=memory.owner_user_id,
            )
        return bool(done.modified_count)

    return await atomically(write)


async def _remove(memory: models.Memory) -> bool:
    """Delete a memory still in its pool, with the event the pool tallies follow."""

    async def write(unit: Change) -> bool:
        done = await models.Memory.get_pymongo_collection().delete_one(
            {"_id": memory.id, "pool": memory.pool}, session=unit.session
        )
        if done.deleted_count:
            await emit(
                "MEMORY_UPDATED",
                {"change": "deleted", **tallies.memory_fields(memory)},
                memory_id=memory.id,
                user_id=memory.owner_user_id,
            )
        return bool(done.deleted_count)

    return await atomically(write)
