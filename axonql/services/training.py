"""Trainings (NexusNet `/train`): tasks of type `training`, read and cancelled as such.

A training's figures are what its agent last reported (epochs, loss, accuracy), or its result
once finished; until an epoch is reported they are null, never invented. Cancelling is one
conditional write (`type = training` is part of its filter), so another kind of task named by
the same id is never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axonql import models
from axonql.errors import IllegalTransition, NotFound
from axonql.models.base import utcnow
from axonql.models.task import TaskStatus
from axonql.services import queue
from axonql.services import validation as v
from axonql.state import AppState

TRAINING = "training"
METRICS = ("loss", "accuracy", "validation_loss", "validation_accuracy")
# What NexusNet calls each task state (a claimed training with no epoch yet is "starting").
STATUS = {
    TaskStatus.CREATED: "queued",
    TaskStatus.QUEUED: "queued",
    TaskStatus.RUNNING: "running",
    TaskStatus.PAUSED: "paused",
    TaskStatus.COMPLETED: "completed",
    TaskStatus.FAILED: "failed",
    TaskStatus.CANCELLED: "cancelled",
}


@dataclass(frozen=True)
class TrainingStatus:
    """One training as its agent last reported it."""

    task: models.Task
    status: str
    current_epoch: int
    total_epochs: int | None
    metrics: dict[str, float | None]
    estimated_time_remaining: float | None


def _missing(training_id: str) -> NotFound:
    return NotFound(f"training {training_id} not found", details={"id": training_id})


async def get_training(training_id: str) -> models.Task:
    """The task, provided it is a training (other kinds of task are not found here)."""
    task = await models.Task.get(training_id)
    if task is None or task.type != TRAINING or task.is_automation:
        raise _missing(training_id)
    return task


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _status(task: models.Task) -> str:
    """NexusNet's word for the task's state; a running training whose lease ran out is
    reported queued (the next lease check re-queues it)."""
    if task.status is TaskStatus.RUNNING:
        lease = task.lease_expires_at
        if lease is not None and lease < utcnow():
            return "queued"
        if not task.progress_details and not task.progress:
            return "starting"
    return STATUS[task.status]


def _remaining(task: models.Task) -> float | None:
    """Seconds left at the pace so far (elapsed × remaining / done); 0 once completed."""
    if task.status is TaskStatus.COMPLETED:
        return 0.0
    progress = task.progress
    if task.status is not TaskStatus.RUNNING or task.started_at is None:
        return None
    if not 0 < progress < 100:
        return None
    elapsed = (utcnow() - task.started_at).total_seconds()
    return round(max(0.0, elapsed * (100 - progress) / progress), 1)


def status_of(task: models.Task) -> TrainingStatus:
    """Epochs and metrics from the result once finished, else from the last progress report,
    else (epochs only) from the parameters it was started with."""
    result = task.result if isinstance(task.result, dict) else {}
    details = task.progress_details or {}
    parameters = task.parameters
    config = parameters.get("training_config")
    config = config if isinstance(config, dict) else {}
    total = _number(
        result.get("epochs")
        or details.get("total_epochs")
        or parameters.get("epochs")
        or config.get("epochs")
    )
    current = _number(details.get("current_epoch")) or 0.0
    if task.status is TaskStatus.COMPLETED:
        current = _number(result.get("epochs")) or current
    reported = result.get("metrics") or details.get("metrics") or {}
    if not reported and "final_loss" in result:
        reported = {"loss": result["final_loss"], "accuracy": result.get("final_accuracy")}
    return TrainingStatus(
        task=task,
        status=_status(task),
        current_epoch=int(current),
        total_epochs=None if total is None else int(total),
        metrics={name: _number(reported.get(name)) for name in METRICS},
        estimated_time_remaining=_remaining(task),
    )


async def training_status(training_id: str) -> TrainingStatus:
    return status_of(await get_training(training_id))


async def cancel_training(
    state: AppState, training_id: str, reason: str | None = None
) -> models.Task:
    """Cancel a training in one conditional write; any other task is not found."""
    text = v.text("reason", reason, 1000, required=False) if reason else None
    try:
        task = await queue.cancel_where(
            training_id, text, {"type": TRAINING, "is_automation": {"$ne": True}}
        )
    except NotFound:
        raise _missing(training_id) from None
    except IllegalTransition:
        # Finished already, or not a training at all: say which (read after the write failed).
        await get_training(training_id)
        raise
    if task is None:
        raise _missing(training_id)
    state.replies.task_finished(training_id)
    return task
