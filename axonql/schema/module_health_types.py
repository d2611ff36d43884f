"""The health of LUKHAS's modules (brain hub, guardian, memory, consciousness)."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from axonql.services.module_health import ModuleHealth as Health


@strawberry.type
class ModuleHealth:
    """One module's state, measured when asked."""

    name: str
    status: str
    latency_ms: float | None = strawberry.field(description="How long checking it took.")
    details: JSON = strawberry.field(
        description="drift_level (memory), awareness_level (consciousness), ethics_level"
        " (guardian: none exists here, null)."
    )

    @classmethod
    def from_report(cls, found: Health) -> ModuleHealth:
        return cls(
            name=found.name,
            status=found.status,
            latency_ms=found.latency_ms,
            details=JSON(found.details),
        )
