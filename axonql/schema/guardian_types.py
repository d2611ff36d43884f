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

    @classmethod
    def from_counts(cls, found: Decisions) -> GuardianDecisions:
        return cls(
            approvals=found.approvals,
            rejections=found.rejections,
            approval_rate=found.approval_rate,
        )
