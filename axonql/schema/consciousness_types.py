"""Consciousness status (seed 001), its metrics series (seed 000), updates and learning."""

from __future__ import annotations

from datetime import datetime

import strawberry

from axonql.models.system import SERVER_SYSTEM_ID
from axonql.schema.context import Info
from axonql.schema.permissions import mutation, query
from axonql.schema.system_types import System
from axonql.scopes import Scope
from axonql.services import consciousness as logic
from axonql.services import consciousness_series
from axonql.services import systems as system_logic
from axonql.services.periods import parse_period


@strawberry.type
class ConsciousnessMemoryUsage:
    """Percent of the memories in scope held in each pool, with the counts behind it."""

    short_term: float
    long_term: float
    short_term_count: int
    long_term_count: int
    total_count: int


@strawberry.type
class LearningProgress:
    total_patterns: int
    new_patterns_today: int
    adaptation_rate: float | None


@strawberry.type
class DecisionMetrics:
    total_decisions: int
    successful_decisions: int
    confidence_average: float | None


@strawberry.type
class ConsciousnessStatus:
    """Derived from stored data; see `axonql.services.consciousness` for each figure."""

    system_id: strawberry.ID
    status: str
    consciousness_level: float
    awareness_state: str
    memory_usage: ConsciousnessMemoryUsage
    learning_progress: LearningProgress
    decision_metrics: DecisionMetrics

    @classmethod
    def from_report(cls, r: logic.ConsciousnessReport) -> ConsciousnessStatus:
        return cls(
            system_id=strawberry.ID(r.system.id),
            status=r.status,
            consciousness_level=r.system.consciousness_level,
            awareness_state=r.system.awareness_state,
            memory_usage=ConsciousnessMemoryUsage(
                short_term=r.short_term,
                long_term=r.long_term,
                short_term_count=r.short_term_count,
                long_term_count=r.long_term_count,
                total_count=r.total_memories,
            ),
            learning_progress=LearningProgress(
                total_patterns=r.total_patterns,
                new_patterns_today=r.new_patterns_today,
                adaptation_rate=r.adaptation_rate,
            ),
            decision_metrics=DecisionMetrics(
                total_decisions=r.total_decisions,
                successful_decisions=r.successful_decisions,
                confidence_average=r.confidence_average,
            ),
        )


@strawberry.input
class LearningInput:
    """Seed 001's `POST /api/consciousness/learn` body."""

    session_type: str
    duration: int | None = strawberry.field(default=None, description="Seconds, up to 7 days.")
    focus_areas: list[str] | None = None
    system_id: strawberry.ID | None = None


@strawberry.type
class LearningSession:
    """A learning session queued for an agent; `sessionId` is its task id."""

    session_id: strawberry.ID
    status: str
    estimated_completion: datetime | None
    focus_areas: list[str]


@strawberry.type
class ConsciousnessMetric:
    """One interval of seed 000's consciousness metrics (see services/consciousness_series)."""

    timestamp: datetime
    consciousness_level: float
    event_processing_rate: float
    neural_evolution_cycles: int
    active_users: int


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
            system_id or SERVER_SYSTEM_ID,
            start_time,
            end_time,
            parse_period(interval, "interval"),
            component_id,
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
