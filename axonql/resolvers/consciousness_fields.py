"""Root fields for consciousness: arguments in, one service call, a schema type out."""

from __future__ import annotations

from datetime import datetime

import strawberry

from axonql.schema.consciousness_types import (
    ConsciousnessMetric,
    ConsciousnessStatus,
    LearningInput,
    LearningSession,
)
from axonql.schema.context import Info
from axonql.schema.permissions import mutation, query
from axonql.schema.system_types import System
from axonql.scopes import Scope
from axonql.services import consciousness as logic
from axonql.services import consciousness_series
from axonql.services import systems as system_logic


@strawberry.type
class ConsciousnessQuery:
    @query(Scope.CONSCIOUSNESS_READ, description="Consciousness status; default: this server.")
    async def consciousness(
        self, info: Info, system_id: strawberry.ID | None = None
    ) -> ConsciousnessStatus:
        return ConsciousnessStatus.from_report(await logic.consciousness_status(system_id))

    @query(Scope.CONSCIOUSNESS_READ, description="Level, event rate, evolution, active users.")
    async def consciousness_metrics(
        self,
        info: Info,
        system_id: strawberry.ID | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        component_id: str | None = None,
        interval: str = "1h",
    ) -> list[ConsciousnessMetric]:
        points = await consciousness_series.series(
            system_id, start_time, end_time, interval, component_id
        )
        return [
            ConsciousnessMetric(
                timestamp=p.timestamp,
                consciousness_level=p.consciousness_level,
                event_processing_rate=p.event_processing_rate,
                neural_evolution_cycles=p.neural_evolution_cycles,
                active_users=p.active_users,
            )
            for p in points
        ]


@strawberry.type
class ConsciousnessMutation:
    @mutation(
        Scope.CONSCIOUSNESS_WRITE,
        description="Set the level (0.0–1.0) and/or awareness state; emits CONSCIOUSNESS_UPDATE.",
    )
    async def update_consciousness(
        self,
        info: Info,
        system_id: strawberry.ID | None = None,
        level: float | None = None,
        awareness_state: str | None = None,
    ) -> System:
        doc = await system_logic.update_consciousness(system_id, level, awareness_state)
        return System.from_document(doc)

    @mutation(Scope.CONSCIOUSNESS_WRITE, description="Queue a learning task for a capable agent.")
    async def trigger_learning(self, info: Info, input: LearningInput) -> LearningSession:
        started = await logic.trigger_learning(
            info.context.settings,
            input.session_type,
            input.duration,
            input.focus_areas,
            input.system_id,
        )
        return LearningSession(
            session_id=strawberry.ID(started.task.id),
            status="started",
            estimated_completion=started.estimated_completion,
            focus_areas=started.focus_areas,
        )
