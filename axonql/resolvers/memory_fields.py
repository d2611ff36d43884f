"""Root fields for memory: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.schema.context import Info
from axonql.schema.memory_types import (
    CreateMemoryInput,
    Memory,
    MemoryFilter,
    MemorySort,
    UpdateMemoryInput,
    draft_from,
)
from axonql.schema.pagination_types import Connection, sort_order, to_connection
from axonql.schema.permissions import mutation, query
from axonql.scopes import Scope
from axonql.services import memories as logic


@strawberry.type
class MemoryQuery:
    @query(Scope.MEMORIES_READ)
    async def memory(self, info: Info, id: strawberry.ID) -> Memory | None:
        return Memory.from_document(await logic.get_memory(id))

    @query(Scope.MEMORIES_READ, description="Memories matching a filter, newest first.")
    async def memories(self, info: Info, filter: MemoryFilter | None = None) -> list[Memory]:
        f = filter or MemoryFilter()
        docs = await logic.MEMORIES.newest_first(
            info.context.settings, info.context.state.value_samples, f.to_args(), f.limit, f.offset
        )
        return [Memory.from_document(d) for d in docs]

    @query(Scope.MEMORIES_READ, description="Memories as a Relay connection.")
    async def memories_connection(
        self,
        info: Info,
        filter: MemoryFilter | None = None,
        sort: MemorySort | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Memory]:
        args = (filter or MemoryFilter()).to_args()
        order = sort_order(sort or MemorySort())
        page = await logic.MEMORIES.page(
            info.context.settings, info.context.state.value_samples, args, order, first, after
        )
        return to_connection(page, Memory.from_document)


@strawberry.type
class MemoryMutation:
    @mutation(Scope.MEMORIES_WRITE)
    async def create_memory(self, info: Info, input: CreateMemoryInput) -> Memory:
        return Memory.from_document(
            await logic.create_memory(info.context.settings, draft_from(input))
        )

    @mutation(Scope.MEMORIES_WRITE)
    async def update_memory(
        self, info: Info, id: strawberry.ID, input: UpdateMemoryInput
    ) -> Memory:
        return Memory.from_document(
            await logic.update_memory(info.context.settings, id, draft_from(input))
        )

    @mutation(Scope.MEMORIES_WRITE, description="Delete a memory and every link pointing at it.")
    async def delete_memory(self, info: Info, id: strawberry.ID) -> bool:
        return await logic.delete_memory(id)

    @mutation(
        Scope.MEMORIES_WRITE,
        description="Link a memory to existing memories (both ways unless bothWays is false).",
    )
    async def link_memories(
        self,
        info: Info,
        id: strawberry.ID,
        related_ids: list[strawberry.ID],
        both_ways: bool = True,
    ) -> Memory:
        return Memory.from_document(
            await logic.link_memories(id, [str(i) for i in related_ids], both_ways=both_ways)
        )
