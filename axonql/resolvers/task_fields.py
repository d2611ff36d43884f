"""Root fields for task: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.schema.context import Info
from axonql.schema.pagination_types import Connection, sort_order, to_connection
from axonql.schema.permissions import mutation, query
from axonql.schema.task_types import (
    CreateTaskInput,
    Task,
    TaskFilter,
    TaskSort,
    UpdateTaskInput,
    draft_from,
)
from axonql.scopes import Scope
from axonql.services import tasks as logic


@strawberry.type
class TaskQuery:
    @query(Scope.TASKS_READ, description="Tasks matching a filter (OCTOSPINE: limit/offset).")
    async def tasks(self, info: Info, filter: TaskFilter | None = None) -> list[Task]:
        f = filter or TaskFilter()
        docs = await logic.TASKS.newest_first(
            info.context.settings, info.context.state.value_samples, f.to_args(), f.limit, f.offset
        )
        return [Task.from_document(d) for d in docs]

    @query(Scope.TASKS_READ, description="Tasks as a Relay connection, sorted and paged.")
    async def tasks_connection(
        self,
        info: Info,
        filter: TaskFilter | None = None,
        sort: TaskSort | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Task]:
        args = (filter or TaskFilter()).to_args()
        order = sort_order(sort or TaskSort())
        page = await logic.TASKS.page(
            info.context.settings, info.context.state.value_samples, args, order, first, after
        )
        return to_connection(page, Task.from_document)

    @query(Scope.TASKS_READ)
    async def task(self, info: Info, id: strawberry.ID) -> Task | None:
        return Task.from_document(await logic.get_task(id, automation=False))


@strawberry.type
class TaskMutation:
    @mutation(Scope.TASKS_WRITE)
    async def create_task(self, info: Info, input: CreateTaskInput) -> Task:
        doc = await logic.create_task(info.context.settings, draft_from(input))
        return Task.from_document(doc)

    @mutation(Scope.TASKS_WRITE)
    async def update_task(self, info: Info, id: strawberry.ID, input: UpdateTaskInput) -> Task:
        doc = await logic.update_task(info.context.settings, id, draft_from(input))
        return Task.from_document(doc)

    @mutation(Scope.TASKS_WRITE)
    async def delete_task(self, info: Info, id: strawberry.ID) -> bool:
        return await logic.delete_task(id)
