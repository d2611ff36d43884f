"""Root fields for recall: arguments in, one service call, a schema type out."""

from __future__ import annotations

from datetime import timedelta

import strawberry

from axonql.schema.context import Info
from axonql.schema.memory_types import Memory
from axonql.schema.permissions import mutation, query
from axonql.schema.recall import (
    MAX_SEARCH_LIMIT,
    ConsolidationInput,
    ConsolidationReport,
    MemoryPoolUsage,
    MemoryRecall,
    MemorySearchHit,
    MemorySearchInput,
    MemorySearchResult,
    MemoryUsage,
)
from axonql.scopes import Scope
from axonql.services import memory_ops
from axonql.services import validation as v


def _usage(report: memory_ops.Usage) -> MemoryUsage:
    return MemoryUsage(
        total_memory=report.total,
        used_memory=report.used,
        available_memory=max(0, report.total - report.used),
        memory_efficiency=report.efficiency,
        fragmentation=report.fragmentation,
        pools=[
            MemoryPoolUsage(pool=p.pool, size=p.capacity, used=p.used, utilization=p.utilization)
            for p in report.pools
        ],
    )


@strawberry.type
class RecallQuery:
    @query(Scope.MEMORIES_READ, description="Memories ranked by relevance (0–1).")
    async def search_memories(self, info: Info, input: MemorySearchInput) -> MemorySearchResult:
        text = v.text("query", input.query, 1000)
        limit = v.int_in("limit", input.limit, 1, MAX_SEARCH_LIMIT)
        threshold = v.number_in("similarityThreshold", input.similarity_threshold, 0.0, 1.0)
        if input.min_importance is not None:
            v.number_in("minImportance", input.min_importance, 0.0, 1.0)
        found = await memory_ops.search(
            text,
            memory_ops.SearchFilters(
                types=input.types,
                tags=input.tags,
                pools=input.pools,
                owner_user_id=input.owner_user_id,
                min_importance=input.min_importance,
                start=input.start,
                end=input.end,
            ),
            limit=limit,
            threshold=threshold,
        )
        return MemorySearchResult(
            results=[
                MemorySearchHit(memory=Memory.from_document(m), relevance_score=s)
                for m, s in found.hits
            ],
            total_matches=found.total_matches,
            search_time_ms=found.search_time_ms,
            used_text_index=found.used_text_index,
        )

    @query(Scope.MEMORIES_READ, description="Stored memories per pool against capacity.")
    async def memory_usage(self, info: Info) -> MemoryUsage:
        settings = info.context.settings
        report = await memory_ops.usage(
            settings.memory_pool_capacity, settings.memory_drift_alert_level
        )
        return _usage(report)


@strawberry.type
class RecallMutation:
    @mutation(Scope.MEMORIES_READ, description="Read a memory as an access: counts it, drifts it.")
    async def recall_memory(self, info: Info, id: strawberry.ID) -> MemoryRecall:
        memory, related = await memory_ops.recall(
            id, info.context.settings.memory_drift_alert_level
        )
        return MemoryRecall(
            memory=Memory.from_document(memory),
            related_memories=[Memory.from_document(m) for m in related],
        )

    @mutation(Scope.MEMORIES_WRITE, description="Merge duplicates, promote, prune; reports counts.")
    async def consolidate_memories(
        self, info: Info, input: ConsolidationInput | None = None
    ) -> ConsolidationReport:
        given = input or ConsolidationInput()
        plan = memory_ops.ConsolidationPlan(
            promote_after=timedelta(
                hours=v.number_in("promoteAfterHours", given.promote_after_hours, 0, 24 * 3650)
            ),
            promote_min_importance=v.number_in(
                "promoteMinImportance", given.promote_min_importance, 0.0, 1.0
            ),
            prune_after=timedelta(
                days=v.number_in("pruneAfterDays", given.prune_after_days, 0, 3650)
            ),
            prune_below_importance=v.number_in(
                "pruneBelowImportance", given.prune_below_importance, 0.0, 1.0
            ),
            preserve_recent=given.preserve_recent,
        )
        settings = info.context.settings
        report = await memory_ops.consolidate(
            plan, settings.memory_pool_capacity, settings.memory_drift_alert_level
        )
        return ConsolidationReport(
            memories_consolidated=report.consolidated,
            merged=report.merged,
            promoted=report.promoted,
            pruned=report.pruned,
            memory_freed_kb=round(report.bytes_freed / 1024, 3),
            consolidation_time=report.seconds,
            efficiency_before=report.efficiency_before,
            efficiency_after=report.efficiency_after,
        )
