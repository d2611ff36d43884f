"""Guardian decisions: what agents answered to the validations they were handed.

A validation is a task of type `guardian` (LUKHAS `POST /guardian/validate`); the agent's
result carries the documented `decision`. Only completed validations have one.
"""

from __future__ import annotations

from dataclasses import dataclass

from axonql import models
from axonql.models.task import TaskStatus

GUARDIAN_TASK_TYPE = "guardian"
APPROVED = "APPROVED"


@dataclass(frozen=True)
class GuardianDecisions:
    approvals: int
    rejections: int

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
    return GuardianDecisions(approvals=approvals, rejections=decided - approvals)
