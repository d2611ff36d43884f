"""NexusNet trainings: a training task's status as its agent last reported it."""

from __future__ import annotations

import strawberry

from axonql.schema.task_types import Task
from axonql.services import training as logic


@strawberry.type
class TrainingMetrics:
    """The last reported epoch's figures; null until an epoch is reported (validation figures
    stay null when the training kept no validation set)."""

    loss: float | None
    accuracy: float | None
    validation_loss: float | None
    validation_accuracy: float | None


@strawberry.type
class TrainingStatus:
    training_id: strawberry.ID
    status: str = strawberry.field(
        description="queued, starting (claimed, no epoch yet), running, paused, completed, "
        "failed or cancelled."
    )
    progress: float
    current_epoch: int
    total_epochs: int | None
    metrics: TrainingMetrics
    estimated_time_remaining: float | None = strawberry.field(
        description="Seconds left at the pace so far; null until it is running with progress."
    )
    task: Task

    @classmethod
    def from_status(cls, found: logic.TrainingStatus) -> TrainingStatus:
        return cls(
            training_id=strawberry.ID(found.task.id),
            status=found.status,
            progress=float(found.task.progress),
            current_epoch=found.current_epoch,
            total_epochs=found.total_epochs,
            metrics=TrainingMetrics(**found.metrics),
            estimated_time_remaining=found.estimated_time_remaining,
            task=Task.from_document(found.task),
        )
