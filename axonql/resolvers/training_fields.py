"""Root fields for trainings: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.schema.context import Info
from axonql.schema.permissions import mutation, query
from axonql.schema.task_types import Task
from axonql.schema.training_types import TrainingStatus
from axonql.scopes import Scope
from axonql.services import training as logic


@strawberry.type
class TrainingQuery:
    @query(Scope.TASKS_READ, description="A training task's status (NexusNet training status).")
    async def training_status(self, info: Info, id: strawberry.ID) -> TrainingStatus:
        return TrainingStatus.from_status(await logic.training_status(id))


@strawberry.type
class TrainingMutation:
    @mutation(
        Scope.TASKS_WRITE,
        description="Cancel a training that has not finished; a task of another type is "
        "not found (one conditional write).",
    )
    async def cancel_training(
        self, info: Info, id: strawberry.ID, reason: str | None = None
    ) -> Task:
        task = await logic.cancel_training(info.context.state, id, reason)
        return Task.from_document(task)
