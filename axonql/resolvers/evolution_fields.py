"""Root fields for evolution: arguments in, one service call, a schema type out."""

from __future__ import annotations

import statistics

import strawberry

from axonql import models
from axonql.errors import ValidationError
from axonql.schema.context import Info
from axonql.schema.evolution_types import (
    STABLE_SLOPE,
    TREND_WINDOW,
    EvolutionHistory,
    EvolutionInput,
    EvolutionResult,
    EvolutionStatistics,
    EvolutionStatus,
)
from axonql.schema.permissions import mutation, query
from axonql.schema.population_types import GenerationRecord, Individual, Population
from axonql.scopes import Scope
from axonql.services import evolution
from axonql.services import validation as v
from axonql.services.populations import get_population


def _statistics(records: list[models.GenerationRecord]) -> EvolutionStatistics:
    """Improvement of the best fitness; mean change of it and slope of diversity lately."""
    if not records:
        return EvolutionStatistics(
            total_generations=0,
            fitness_improvement=0.0,
            convergence_rate=0.0,
            diversity_trend="stable",
        )
    best = [r.best_fitness for r in records]
    recent = records[-TREND_WINDOW:]
    steps = [
        abs(b - a) for a, b in zip(best[-TREND_WINDOW - 1 : -1], best[-TREND_WINDOW:], strict=False)
    ]
    slope = 0.0
    if len(recent) >= 2:
        slope = (recent[-1].diversity - recent[0].diversity) / (len(recent) - 1)
    trend = "stable" if abs(slope) < STABLE_SLOPE else ("increasing" if slope > 0 else "decreasing")
    return EvolutionStatistics(
        total_generations=len(records),
        fitness_improvement=round(best[-1] - best[0], 6),
        convergence_rate=round(statistics.fmean(steps), 6) if steps else 0.0,
        diversity_trend=trend,
    )


@strawberry.type
class EvolutionQuery:
    @query(Scope.NEURAL_MONITOR, description="Where a population's evolution stands.")
    async def evolution_status(
        self, info: Info, population_id: strawberry.ID, top: int = 10
    ) -> EvolutionStatus:
        population = await get_population(population_id)
        count = v.int_in("top", top, 0, 1000)
        best = (
            await models.Individual.find(models.Individual.population_id == population.id)
            .sort("-fitness")
            .limit(count)
            .to_list()
        )
        last = (
            await models.GenerationRecord.find(
                models.GenerationRecord.population_id == population.id
            )
            .sort("-generation")
            .first_or_none()
        )
        return EvolutionStatus(
            active=population.size > 0,
            current_generation=population.generation,
            population_size=population.size,
            best_fitness=population.fitness_best,
            average_fitness=population.fitness_average,
            evolution_progress=round(population.fitness_best, 6),
            mutations_this_generation=last.mutations if last else 0,
            crossovers_this_generation=last.crossovers if last else 0,
            last_evolution=population.last_evolution,
            current_population=[Individual.from_document(i) for i in best] if count else [],
        )

    @query(Scope.NEURAL_MONITOR, description="Generations, newest first, with trends.")
    async def evolution_history(
        self, info: Info, population_id: strawberry.ID, limit: int = 10
    ) -> EvolutionHistory:
        population = await get_population(population_id)
        size = v.int_in("limit", limit, 1, 1000)
        records = (
            await models.GenerationRecord.find(
                models.GenerationRecord.population_id == population.id
            )
            .sort("generation")
            .to_list()
        )
        return EvolutionHistory(
            records=[GenerationRecord.from_document(r) for r in reversed(records[-size:])],
            statistics=_statistics(records),
        )


@strawberry.type
class EvolutionMutation:
    @mutation(Scope.CONSCIOUSNESS_WRITE, description="Run evolution cycles now (seeded).")
    async def evolve_population(
        self, info: Info, id: strawberry.ID, input: EvolutionInput | None = None
    ) -> EvolutionResult:
        given = input or EvolutionInput()
        feedback = given.fitness_feedback
        if feedback is not None and not isinstance(feedback, dict):
            raise ValidationError("fitnessFeedback must be an object", field="fitnessFeedback")
        request = evolution.check_request(
            fitness_feedback=feedback,
            evolution_pressure=given.evolution_pressure,
            mutation_rate=given.mutation_rate,
            crossover_rate=given.crossover_rate,
            elite_fraction=given.elite_fraction,
            generations=given.generations,
            seed=given.seed,
        )
        outcome = await evolution.evolve(id, request)
        last = outcome.records[-1]
        improvements = list(dict.fromkeys(g for r in outcome.records for g in r.improvements))
        return EvolutionResult(
            evolution_triggered=True,
            evolution_id=strawberry.ID(last.id),
            generation_started=outcome.records[0].generation,
            generation=last.generation,
            best_fitness=last.best_fitness,
            average_fitness=last.average_fitness,
            diversity=last.diversity,
            mutations=sum(r.mutations for r in outcome.records),
            crossovers=sum(r.crossovers for r in outcome.records),
            expected_improvements=improvements,
            completed_at=last.created_at,
            population=Population.from_document(outcome.population),
        )
