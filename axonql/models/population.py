"""Evolving populations, their individuals and one history record per generation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from axonql.ids import new_id
from axonql.models.base import Entity


class GeneRange(BaseModel):
    """Bounds of one gene, used to generate and validate genomes."""

    min: float
    max: float
    integer: bool = False


class Population(Entity):
    """A population; `id` may be chosen by the client (`executive`)."""

    id: str = Field(default_factory=lambda: new_id("pop"))
    name: str
    size: int = 0
    specialization: str = "general"
    generation: int = 0
    fitness_average: float = 0.0
    fitness_best: float = 0.0
    diversity_index: float = 0.0
    evolution_cycles: int = 0
    last_evolution: datetime | None = None
    performance_metrics: dict[str, float] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    genome_spec: dict[str, GeneRange] = Field(default_factory=dict)
    seed: int | None = None

    class Settings:
        name = "populations"
        indexes = [
            [("_id", 1), ("created_at", 1)],  # id ranges: samples of values (value_order)
            [("name", 1), ("created_at", 1)],  # sorted by value (value_order)
            # (filter, created_at): a filter's newest-first windows read only its
            # matches, and the field still leads an index
            [("specialization", 1), ("created_at", 1)],
            [("fitness_best", 1), ("created_at", 1)],  # sorted by value (value_order)
            [("fitness_average", 1), ("created_at", 1)],  # sorted by value (value_order)
            [("diversity_index", 1), ("created_at", 1)],  # sorted by value (value_order)
            [("generation", 1), ("created_at", 1)],  # sorted by value (value_order)
            [("size", 1), ("created_at", 1)],  # sorted by value (value_order)
            [("tags", 1), ("created_at", 1)],
            "created_at",
            "updated_at",
            "last_evolution",
        ]


class Individual(Entity):
    """One member of a population: a genome (hyperparameters) and its fitness."""

    id: str = Field(default_factory=lambda: new_id("ind"))
    population_id: str
    genome: dict[str, float] = Field(default_factory=dict)
    fitness: float = 0.0
    generation: int = 0
    parent_ids: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)

    class Settings:
        name = "individuals"
        indexes = [[("population_id", 1), ("fitness", -1)], "generation"]


class GenerationRecord(Entity):
    """What one evolution cycle did to a population."""

    id: str = Field(default_factory=lambda: new_id("evo"))
    population_id: str
    generation: int
    best_fitness: float
    average_fitness: float
    diversity: float
    mutations: int = 0
    crossovers: int = 0
    improvements: list[str] = Field(default_factory=list)
    parameters: dict[str, Any] = Field(default_factory=dict)

    class Settings:
        name = "generations"
        indexes = [[("population_id", 1), ("generation", -1)], "created_at"]
