"""Root fields for evolution: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.schema.context import Info
from axonql.schema.evolution_types import (
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


@strawberry.type
class EvolutionQuery:
    @query(Scope.NEURAL_MONITOR, description="Where a population's evolution stands.")
    async def evolution_status(
        self, info: Info, population_id: strawberry.ID, top: int = 10
    ) -> EvolutionStatus:
        state = await evolution.state(population_id, top)
        population, last = state.population, state.last
        return EvolutionStatus(
            active=state.active,
            current_generation=population.generation,
            population_size=population.size,
            best_fitness=population.fitness_best,
            average_fitness=population.fitness_average,
            evolution_progress=state.progress,
            mutations_this_generation=last.mutations if last else 0,
            crossovers_this_generation=last.crossovers if last else 0,
            last_evolution=population.last_evolution,
            current_population=[Individual.from_document(i) for i in state.best],
            architecture_genes=state.architecture_genes,
        )

    @query(Scope.NEURAL_MONITOR, description="Generations, newest first, with trends.")
    async def evolution_history(
        self, info: Info, population_id: strawberry.ID, limit: int = 10
    ) -> EvolutionHistory:
        found = await evolution.history(population_id, limit)
        trends = found.trends
        return EvolutionHistory(
            records=[GenerationRecord.from_document(r) for r in found.newest_first],
            statistics=EvolutionStatistics(
                total_generations=trends.total_generations,
                fitness_improvement=trends.fitness_improvement,
                convergence_rate=trends.convergence_rate,
                diversity_trend=trends.diversity_trend,
            ),
        )


@strawberry.type
class EvolutionMutation:
    @mutation(Scope.CONSCIOUSNESS_WRITE, description="Run evolution cycles now (seeded).")
    async def evolve_population(
        self, info: Info, id: strawberry.ID, input: EvolutionInput | None = None
    ) -> EvolutionResult:
        given = input or EvolutionInput()
        outcome = await evolution.evolve_as_asked(
            id,
            evolution.EvolutionArguments(
                fitness_feedback=given.fitness_feedback,
                evolution_pressure=given.evolution_pressure,
                mutation_rate=given.mutation_rate,
                crossover_rate=given.crossover_rate,
                elite_fraction=given.elite_fraction,
                generations=given.generations,
                seed=given.seed,
            ),
        )
        last = outcome.records[-1]
        return EvolutionResult(
            evolution_triggered=True,
            evolution_id=strawberry.ID(last.id),
            generation_started=outcome.records[0].generation,
            generation=last.generation,
            best_fitness=last.best_fitness,
            average_fitness=last.average_fitness,
            diversity=last.diversity,
            mutations=outcome.mutations,
            crossovers=outcome.crossovers,
            expected_improvements=outcome.improvements,
            completed_at=last.created_at,
            population=Population.from_document(outcome.population),
        )
