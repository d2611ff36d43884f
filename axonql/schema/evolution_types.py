"""Evolution cycles over stored populations: trigger, status and history (SynapticOS, NexusNet)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from axonql.schema.population_types import GenerationRecord, Individual, Population


@strawberry.input
class EvolutionInput:
    """Rates are probabilities; `fitnessFeedback` maps signal names to scores in 0–1."""

    fitness_feedback: JSON | None = None
    evolution_pressure: float | None = None
    mutation_rate: float | None = None
    crossover_rate: float | None = None
    elite_fraction: float | None = None
    generations: int | None = None
    seed: int | None = None


@strawberry.type
class EvolutionResult:
    evolution_triggered: bool
    evolution_id: strawberry.ID
    generation_started: int
    generation: int
    best_fitness: float
    average_fitness: float
    diversity: float
    mutations: int
    crossovers: int
    expected_improvements: list[str]
    completed_at: datetime
    population: Population


@strawberry.type
class EvolutionStatus:
    active: bool
    current_generation: int
    population_size: int
    best_fitness: float
    average_fitness: float
    evolution_progress: float
    mutations_this_generation: int
    crossovers_this_generation: int
    last_evolution: datetime | None
    current_population: list[Individual]
    architecture_genes: list[str] = strawberry.field(
        description="Genes that shape the network (the genome spec's integer genes: layer and "
        "head counts …); the other genes are training hyperparameters."
    )


@strawberry.type
class EvolutionStatistics:
    total_generations: int
    fitness_improvement: float
    convergence_rate: float
    diversity_trend: str


@strawberry.type
class EvolutionHistory:
    records: list[GenerationRecord]
    statistics: EvolutionStatistics
