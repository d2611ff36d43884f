"""Memory types and inputs; related memories load through a DataLoader."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

import strawberry
from strawberry.scalars import JSON

from axonql import models
from axonql.schema.context import Info
from axonql.schema.entity_events import events_field
from axonql.schema.node import Node
from axonql.schema.pagination_types import SortDirection
from axonql.schema.permissions import field
from axonql.services import memories as logic

if TYPE_CHECKING:
    pass

POOLS_DOC = "short_term, long_term or episodic"


@strawberry.type
class Memory(Node):
    """A stored memory of a user or system."""

    id: strawberry.ID
    type: str
    title: str
    content: str
    context: JSON
    tags: list[str]
    importance: float
    drift_score: float
    access_count: int
    last_accessed: datetime | None
    pool: str = strawberry.field(description=POOLS_DOC)
    related_ids: list[strawberry.ID]
    owner_user_id: strawberry.ID | None
    owner_system_id: strawberry.ID | None
    created_at: datetime
    updated_at: datetime

    @field(description="The memories this one is linked to.")
    async def related(self, info: Info) -> list[Memory]:
        if not self.related_ids:
            return []
        loader = info.context.loaders.by_id(models.Memory)
        docs = await loader.load_many([str(i) for i in self.related_ids])
        return [Memory.from_document(d) for d in docs if d is not None]

    events = events_field(
        "memory",
        "This memory's events (what `memoryUpdated(id)` streams), a page at a time.",
    )

    @classmethod
    def from_document(cls, doc: models.Memory) -> Memory:
        return cls(
            id=strawberry.ID(doc.id),
            type=doc.type,
            title=doc.title,
            content=doc.content,
            context=JSON(doc.context),
            tags=doc.tags,
            importance=doc.importance,
            drift_score=doc.drift_score,
            access_count=doc.access_count,
            last_accessed=doc.last_accessed,
            pool=doc.pool,
            related_ids=[strawberry.ID(i) for i in doc.related_ids],
            owner_user_id=strawberry.ID(doc.owner_user_id) if doc.owner_user_id else None,
            owner_system_id=strawberry.ID(doc.owner_system_id) if doc.owner_system_id else None,
            created_at=doc.created_at,
            updated_at=doc.updated_at,
        )


@strawberry.input
class MemoryFilter:
    types: list[str] | None = None
    tags: list[str] | None = strawberry.field(default=None, description="Carries all of these.")
    pool: str | None = strawberry.field(default=None, description=POOLS_DOC)
    owner_user_id: strawberry.ID | None = None
    owner_system_id: strawberry.ID | None = None
    min_importance: float | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    text: str | None = strawberry.field(
        default=None, description="Contained in the title or content (any case)."
    )
    limit: int | None = None
    offset: int | None = None

    def to_args(self) -> logic.MemoryFilterArgs:
        return logic.MemoryFilterArgs(
            types=self.types,
            tags=self.tags,
            pool=self.pool,
            owner_user_id=self.owner_user_id,
            owner_system_id=self.owner_system_id,
            min_importance=self.min_importance,
            created_after=self.created_after,
            created_before=self.created_before,
            text=self.text,
        )


@strawberry.enum
class MemorySortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    IMPORTANCE = "importance"
    ACCESS_COUNT = "access_count"
    DRIFT_SCORE = "drift_score"


@strawberry.input
class MemorySort:
    field: MemorySortField = MemorySortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class CreateMemoryInput:
    content: str
    type: str | None = strawberry.field(
        default="episodic", description="episodic, semantic, procedural, document …"
    )
    title: str | None = None
    context: JSON | None = None
    tags: list[str] | None = None
    importance: float | None = 0.5
    pool: str | None = strawberry.field(default="short_term", description=POOLS_DOC)
    owner_user_id: strawberry.ID | None = None
    owner_system_id: strawberry.ID | None = None
    related_ids: list[strawberry.ID] | None = None


@strawberry.input
class UpdateMemoryInput:
    content: str | None = None
    type: str | None = None
    title: str | None = None
    context: JSON | None = None
    tags: list[str] | None = None
    importance: float | None = None
    pool: str | None = strawberry.field(default=None, description=POOLS_DOC)
    owner_user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Empty string clears it."
    )
    owner_system_id: strawberry.ID | None = None
    related_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Replaces this memory's own links."
    )


def draft_from(data: CreateMemoryInput | UpdateMemoryInput) -> logic.MemoryDraft:
    return logic.MemoryDraft(
        type=data.type,
        title=data.title,
        content=data.content,
        context=data.context,
        tags=data.tags,
        importance=data.importance,
        pool=data.pool,
        owner_user_id=data.owner_user_id,
        owner_system_id=data.owner_system_id,
        related_ids=[str(i) for i in data.related_ids] if data.related_ids is not None else None,
    )
