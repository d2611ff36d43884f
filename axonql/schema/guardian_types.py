"""Guardian decisions (LUKHAS `/status`): validations approved and rejected."""

from __future__ import annotations

import strawberry

from axonql.services.guardian import GuardianDecisions as Decisions


@strawberry.type
class GuardianDecisions:
    """Completed guardian validations by the decision their agent returned."""

    approvals: int
    rejections: int
    approval_rate: float | None = strawberry.field(
        description="Approvals among decisions; null before the first decision."
    )
    total_validations: int = strawberry.field(
        description="Validations that ended: completed (decided or not) and failed."
    )
    failed_validations: int
    average_validation_time_ms: float = strawberry.field(
        description="Mean duration of completed validations (0 before the first)."
    )

    @classmethod
    def from_counts(cls, found: Decisions) -> GuardianDecisions:
        return cls(
            approvals=found.approvals,
            rejections=found.rejections,
            approval_rate=found.approval_rate,
            total_validations=found.total_validations,
            failed_validations=found.failed,
            average_validation_time_ms=found.average_validation_ms,
        )
