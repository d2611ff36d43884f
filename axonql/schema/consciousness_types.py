"""Consciousness status (OCTOSPINE), its metrics series (SynapticOS), updates and learning."""

from __future__ import annotations

from datetime import datetime

import strawberry

from axonql.services import consciousness as logic


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
    """OCTOSPINE's `POST /api/consciousness/learn` body."""

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
    """One interval of SynapticOS's consciousness metrics (see services/consciousness_series)."""

    timestamp: datetime
    consciousness_level: float
    event_processing_rate: float
    neural_evolution_cycles: int
    active_users: int
