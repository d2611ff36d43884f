"""Memory behaviour in the schema: recall, ranked search, pool usage, consolidation."""

from __future__ import annotations

from datetime import datetime

import strawberry

from axonql.schema.memory_types import Memory


@strawberry.input
class MemorySearchInput:
    """LUKHAS's and NexusNet's memory search: a query, filters, a similarity threshold (0–1)."""

    query: str
    limit: int = 10
    similarity_threshold: float = 0.0
    types: list[str] | None = None
    tags: list[str] | None = None
    pools: list[str] | None = None
    owner_user_id: strawberry.ID | None = None
    min_importance: float | None = None
    start: datetime | None = None
    end: datetime | None = None


@strawberry.type
class MemorySearchHit:
    memory: Memory
    relevance_score: float


@strawberry.type
class MemorySearchResult:
    results: list[MemorySearchHit]
    total_matches: int
    search_time_ms: float
    used_text_index: bool


@strawberry.type
class MemoryRecall:
    """The recalled memory (access counted, drift moved on) and its related memories."""

    memory: Memory
    related_memories: list[Memory]


@strawberry.type
class MemoryPoolUsage:
    pool: str
    size: int
    used: int
    utilization: float


@strawberry.type
class MemoryUsage:
    """Capacities are configured memory counts per pool; `fragmentation` = drifting share."""

    total_memory: int
    used_memory: int
    available_memory: int
    memory_efficiency: float
    fragmentation: float
    pools: list[MemoryPoolUsage]


@strawberry.input
class ConsolidationInput:
    preserve_recent: bool = True
    promote_after_hours: float = 24.0
    promote_min_importance: float = 0.6
    prune_after_days: float = 7.0
    prune_below_importance: float = 0.3


@strawberry.type
class ConsolidationReport:
    memories_consolidated: int
    merged: int
    promoted: int
    pruned: int
    memory_freed_kb: float
    consolidation_time: float
    efficiency_before: float
    efficiency_after: float
    efficiency_improvement: float
