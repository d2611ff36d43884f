"""Root fields for LUKHAS's guardian validations and module health: one service call each."""

from __future__ import annotations

import strawberry

from axonql.schema.context import Info
from axonql.schema.guardian_types import GuardianDecisions
from axonql.schema.module_health_types import ModuleHealth
from axonql.schema.permissions import query
from axonql.scopes import Scope
from axonql.services.guardian import guardian_decisions
from axonql.services.module_health import module_health


@strawberry.type
class GuardianQuery:
    @query(Scope.TASKS_READ, description="Completed guardian validations by decision.")
    async def guardian_decisions(self, info: Info) -> GuardianDecisions:
        return GuardianDecisions.from_counts(await guardian_decisions())

    @query(Scope.CONSCIOUSNESS_READ, description="Brain hub, guardian, memory, consciousness.")
    async def module_health(self, info: Info) -> list[ModuleHealth] | None:
        return [ModuleHealth.from_report(m) for m in await module_health(info.context.state)]
