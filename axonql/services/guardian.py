"""Guardian decisions: what agents answered to the validations they were handed.

A validation is a task of type `guardian` (LUKHAS `POST /guardian/validate`); the agent's
result carries the documented `decision`. Only completed validations have one.
"""

from __future__ import annotations

from dataclasses import dataclass

from axonql import models
from axonql.models.task import TaskStatus
from axonql.services.tasks import TaskFilterArgs
from axonql.services.work import task_statistics

GUARDIAN_TASK_TYPE = "guardian"
APPROVED = "APPROVED"


@dataclass(frozen=True)
class GuardianDecisions:
    approvals: int
    rejections: int
    completed: int = 0
    failed: int = 0
    average_seconds: float = 0.0

    @property
    def total_validations(self) -> int:
        """Validations that ended: completed (decided or not) and failed."""
        return self.completed + self.failed

    @property
    def average_validation_ms(self) -> float:
        return round(self.average_seconds * 1000, 1)

    @property
    def approval_rate(self) -> float | None:
        """Approvals among decisions; None before the first decision."""
        decided = self.approvals + self.rejections
        return round(self.approvals / decided, 6) if decided else None


async def guardian_decisions() -> GuardianDecisions:
    """Completed validations by decision (bounded by the `type` index to guardian tasks)."""
    tasks = models.Task.get_pymongo_collection()
    done = {"type": GUARDIAN_TASK_TYPE, "status": TaskStatus.COMPLETED.value}
    decided = await tasks.count_documents({**done, "result.decision": {"$type": "string"}})
    approvals = await tasks.count_documents(
        {**done, "result.decision": {"$in": [APPROVED, APPROVED.lower()]}}
    )
    stats = await task_statistics(TaskFilterArgs(type=GUARDIAN_TASK_TYPE))
    by_status = stats["by_status"]
    return GuardianDecisions(
        approvals=approvals,
        rejections=decided - approvals,
        completed=by_status[TaskStatus.COMPLETED.value],
        failed=by_status[TaskStatus.FAILED.value],
        average_seconds=float(stats["average_duration"] or 0.0),
    )
