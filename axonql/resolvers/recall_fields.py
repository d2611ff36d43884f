"""Root fields for recall: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.schema.context import Info
from axonql.schema.memory_types import Memory
from axonql.schema.permissions import mutation, query
from axonql.schema.recall import (
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


@strawberry.type
class RecallQuery:
    @query(Scope.MEMORIES_READ, description="Memories ranked by relevance (0–1).")
    async def search_memories(self, info: Info, input: MemorySearchInput) -> MemorySearchResult:
        found = await memory_ops.search_as_asked(
            input.query,
            memory_ops.SearchFilters(
                types=input.types,
                tags=input.tags,
                pools=input.pools,
                owner_user_id=input.owner_user_id,
                min_importance=input.min_importance,
                start=input.start,
                end=input.end,
            ),
            limit=input.limit,
            threshold=input.similarity_threshold,
            text_index=info.context.state.text_search,
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
        return MemoryUsage(
            total_memory=report.total,
            used_memory=report.used,
            available_memory=report.available,
            memory_efficiency=report.efficiency,
            fragmentation=report.fragmentation,
            pools=[
                MemoryPoolUsage(
                    pool=p.pool, size=p.capacity, used=p.used, utilization=p.utilization
                )
                for p in report.pools
            ],
        )


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
        settings = info.context.settings
        report = await memory_ops.consolidate_as_asked(
            memory_ops.ConsolidationArguments(
                promote_after_hours=given.promote_after_hours,
                promote_min_importance=given.promote_min_importance,
                prune_after_days=given.prune_after_days,
                prune_below_importance=given.prune_below_importance,
                preserve_recent=given.preserve_recent,
            ),
            settings.memory_pool_capacity,
            settings.memory_drift_alert_level,
        )
        return ConsolidationReport(
            memories_consolidated=report.consolidated,
            merged=report.merged,
            promoted=report.promoted,
            pruned=report.pruned,
            memory_freed_kb=report.freed_kb,
            consolidation_time=report.seconds,
            efficiency_before=report.efficiency_before,
            efficiency_after=report.efficiency_after,
            efficiency_improvement=report.efficiency_improvement,
        )
