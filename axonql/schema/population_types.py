"""Population types and inputs; individuals and history load through DataLoaders."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

import strawberry
from strawberry.scalars import JSON

from axonql import models
from axonql.schema.context import Info
from axonql.schema.entity_events import events_field
from axonql.schema.node import Node
from axonql.schema.pagination_types import SortDirection, list_window
from axonql.schema.permissions import field
from axonql.services import populations as logic

if TYPE_CHECKING:
    pass


@strawberry.type
class Individual(Node):
    """One member of a population: a genome (name → number) and its fitness (0–1)."""

    id: strawberry.ID
    population_id: strawberry.ID
    genome: JSON
    fitness: float
    generation: int
    parent_ids: list[strawberry.ID]
    metadata: JSON
    created_at: datetime

    @classmethod
    def from_document(cls, doc: models.Individual) -> Individual:
        return cls(
            id=strawberry.ID(doc.id),
            population_id=strawberry.ID(doc.population_id),
            genome=JSON(doc.genome),
            fitness=doc.fitness,
            generation=doc.generation,
            parent_ids=[strawberry.ID(p) for p in doc.parent_ids],
            metadata=JSON(doc.metadata),
            created_at=doc.created_at,
        )


@strawberry.type
class GenerationRecord(Node):
    """What one evolution cycle did to a population."""

    id: strawberry.ID
    population_id: strawberry.ID
    generation: int
    best_fitness: float
    average_fitness: float
    diversity: float
    mutations: int
    crossovers: int
    improvements: list[str]
    parameters: JSON
    created_at: datetime

    @classmethod
    def from_document(cls, doc: models.GenerationRecord) -> GenerationRecord:
        return cls(
            id=strawberry.ID(doc.id),
            population_id=strawberry.ID(doc.population_id),
            generation=doc.generation,
            best_fitness=doc.best_fitness,
            average_fitness=doc.average_fitness,
            diversity=doc.diversity,
            mutations=doc.mutations,
            crossovers=doc.crossovers,
            improvements=doc.improvements,
            parameters=JSON(doc.parameters),
            created_at=doc.created_at,
        )


@strawberry.type
class GeneSpec:
    """Bounds of one gene."""

    name: str
    min: float
    max: float
    integer: bool


@strawberry.type
class Population(Node):
    """An evolving population; its statistics are recomputed from its individuals on change."""

    id: strawberry.ID
    name: str
    size: int
    specialization: str
    generation: int
    fitness_average: float
    fitness_best: float
    diversity_index: float = strawberry.field(
        description="Mean pairwise genome distance, each gene scaled to its range (0–1)."
    )
    evolution_cycles: int
    last_evolution: datetime | None
    performance_metrics: JSON
    tags: list[str]
    genome_spec: list[GeneSpec]
    seed: int | None
    created_at: datetime
    updated_at: datetime

    @field(description="Individuals, fittest first.")
    async def individuals(
        self, info: Info, limit: int = 50, min_fitness: float | None = None
    ) -> list[Individual]:
        size, _ = list_window(info, limit, 0)
        docs = await logic.fittest_individuals(
            info.context.loaders, str(self.id), min_fitness, size
        )
        return [Individual.from_document(d) for d in docs]

    @field(description="One record per evolution cycle, newest first.")
    async def history(self, info: Info, limit: int = 20) -> list[GenerationRecord]:
        size, _ = list_window(info, limit, 0)
        docs = await logic.generation_history(info.context.loaders, str(self.id), size)
        return [GenerationRecord.from_document(d) for d in docs]

    events = events_field(
        "population",
        "This population's events (`populationEvolved(id)`), a page at a time.",
    )

    @classmethod
    def from_document(cls, doc: models.Population) -> Population:
        return cls(
            id=strawberry.ID(doc.id),
            name=doc.name,
            size=doc.size,
            specialization=doc.specialization,
            generation=doc.generation,
            fitness_average=doc.fitness_average,
            fitness_best=doc.fitness_best,
            diversity_index=doc.diversity_index,
            evolution_cycles=doc.evolution_cycles,
            last_evolution=doc.last_evolution,
            performance_metrics=JSON(doc.performance_metrics),
            tags=doc.tags,
            genome_spec=[
                GeneSpec(name=name, min=g.min, max=g.max, integer=g.integer)
                for name, g in doc.genome_spec.items()
            ],
            seed=doc.seed,
            created_at=doc.created_at,
            updated_at=doc.updated_at,
        )


@strawberry.input
class PopulationFilter:
    specialization: str | None = None
    tags: list[str] | None = None
    search: str | None = strawberry.field(default=None, description="Part of the name.")
    min_fitness: float | None = strawberry.field(
        default=None, description="Best fitness at least this."
    )
    created_after: datetime | None = None
    created_before: datetime | None = None
    limit: int | None = None
    offset: int | None = None

    def to_args(self) -> logic.PopulationFilterArgs:
        return logic.PopulationFilterArgs(
            specialization=self.specialization,
            tags=self.tags,
            search=self.search,
            min_fitness=self.min_fitness,
            created_after=self.created_after,
            created_before=self.created_before,
        )


@strawberry.enum
class PopulationSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NAME = "name"
    SIZE = "size"
    GENERATION = "generation"
    FITNESS_BEST = "fitness_best"
    FITNESS_AVERAGE = "fitness_average"
    DIVERSITY_INDEX = "diversity_index"


@strawberry.input
class PopulationSort:
    field: PopulationSortField = PopulationSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class GeneSpecInput:
    name: str
    min: float
    max: float
    integer: bool = False

    def to_draft(self) -> logic.GeneDraft:
        return logic.GeneDraft(name=self.name, min=self.min, max=self.max, integer=self.integer)


@strawberry.input
class IndividualInput:
    genome: JSON = strawberry.field(description="Gene name → number.")
    fitness: float = 0.0
    metadata: JSON | None = None

    def to_draft(self) -> logic.IndividualDraft:
        return logic.IndividualDraft(
            genome=self.genome, fitness=self.fitness, metadata=self.metadata
        )


@strawberry.input(description="Give `individuals`, or `size` (+ `seed`) with a `genomeSpec`.")
class CreatePopulationInput:
    name: str
    id: strawberry.ID | None = strawberry.field(
        default=None, description="Choose the id (`executive`); generated when absent."
    )
    specialization: str | None = None
    tags: list[str] | None = None
    performance_metrics: JSON | None = None
    genome_spec: list[GeneSpecInput] | None = None
    individuals: list[IndividualInput] | None = None
    size: int | None = strawberry.field(
        default=None, description="Generate this many random genomes within the genomeSpec."
    )
    seed: int | None = strawberry.field(
        default=None, description="Seed of the generator; the same seed gives the same genomes."
    )


@strawberry.input
class UpdatePopulationInput:
    name: str | None = None
    specialization: str | None = None
    tags: list[str] | None = None
    performance_metrics: JSON | None = None


def draft_from(data: CreatePopulationInput | UpdatePopulationInput) -> logic.PopulationDraft:
    draft = logic.PopulationDraft(
        name=data.name,
        specialization=data.specialization,
        tags=data.tags,
        performance_metrics=data.performance_metrics,
    )
    if isinstance(data, CreatePopulationInput):  # only a create brings genomes
        draft.genome_spec = [g.to_draft() for g in data.genome_spec or []]
        if data.individuals is not None:
            draft.individuals = [i.to_draft() for i in data.individuals]
        draft.size = data.size
        draft.seed = data.seed
    return draft
