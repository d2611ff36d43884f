"""Stored memories: content, tags, importance, drift, access statistics and relations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from beanie import Document
from pydantic import Field

from axonql.ids import new_id
from axonql.models.base import Entity

MEMORY_POOLS = ("short_term", "long_term", "episodic")


class Memory(Entity):
    """A memory of a user or system, in a pool (short_term, long_term, episodic)."""

    id: str = Field(default_factory=lambda: new_id("mem"))
    type: str = "episodic"
    title: str = ""
    content: str
    context: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    importance: float = 0.5
    drift_score: float = 0.0
    access_count: int = 0
    last_accessed: datetime | None = None
    related_ids: list[str] = Field(default_factory=list)
    owner_user_id: str | None = None
    owner_system_id: str | None = None
    pool: str = "short_term"

    class Settings:
        name = "memories"
        indexes = [
            [("_id", 1), ("created_at", 1)],  # id ranges: samples of values (value_order)
            # (filter, created_at): a filter's newest-first windows read only its
            # matches, and the field still leads an index
            [("tags", 1), ("created_at", 1)],
            [("importance", 1), ("created_at", 1)],  # sorted by value (value_order)
            [("drift_score", 1), ("created_at", 1)],  # sorted by value (value_order)
            [("pool", 1), ("created_at", 1)],
            [("owner_user_id", 1), ("created_at", 1)],
            [("owner_system_id", 1), ("created_at", 1)],
            "last_accessed",
            [("access_count", 1), ("created_at", 1)],  # sorted by value (value_order)
            "related_ids",
            "created_at",
            "updated_at",
            # today's new patterns per type (consciousness): only the matches are read
            [("type", 1), ("created_at", 1)],
            [("owner_system_id", 1), ("type", 1), ("created_at", 1)],
        ]


class MemoryTerms(Document):
    """The terms of one memory's title, content and tags (`relevance.tokens`), kept beside
    the memory from its events (`services/memory_terms`): a relevance search reads the newest
    memories holding each of its terms from this index, and no recall of the memory has more
    index entries to rewrite. With each term's count and the fields searches filter on, a
    search filters and ranks its candidates from these documents alone."""

    id: str  # type: ignore[assignment]  # the memory's id
    created_at: datetime
    terms: list[str] = Field(default_factory=list)
    counts: list[int] = Field(default_factory=list)  # of each term, in `terms` order
    type: str | None = None
    tags: list[str] = Field(default_factory=list)
    pool: str | None = None
    owner_user_id: str | None = None
    importance: float | None = None

    class Settings:
        name = "memory_terms"
        indexes = [[("terms", 1), ("created_at", 1)]]
