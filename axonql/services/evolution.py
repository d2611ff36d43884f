"""One evolution cycle on a stored population: feedback, selection, crossover, mutation.

Reproducible: the random generator is seeded by the request's seed, or by the population id
and generation number when none is given, so the same stored state and request give the same
next generation.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from axonql import models
from axonql.errors import ValidationError
from axonql.models.base import utcnow
from axonql.services import genetics
from axonql.services import validation as v
from axonql.services.events import emit
from axonql.services.lookup import fetch

MAX_GENERATIONS_PER_REQUEST = 50


@dataclass(frozen=True)
class EvolutionRequest:
    fitness_feedback: dict[str, float]
    rates: genetics.Rates
    generations: int = 1
    seed: int | None = None


@dataclass(frozen=True)
class EvolutionOutcome:
    population: models.Population
    records: list[models.GenerationRecord]


def check_request(
    fitness_feedback: dict[str, object] | None,
    evolution_pressure: float | None,
    mutation_rate: float | None,
    crossover_rate: float | None,
    elite_fraction: float | None,
    generations: int | None,
    seed: int | None,
) -> EvolutionRequest:
    """Validate an evolution request; every rate is a probability."""
    feedback: dict[str, float] = {}
    for name, value in (fitness_feedback or {}).items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(
                "feedback values must be numbers", field=f"fitnessFeedback.{name}"
            )
        feedback[v.text("fitnessFeedback", name, 100)] = v.number_in(
            f"fitnessFeedback.{name}", float(value), 0.0, 1.0
        )
    v.storable("fitnessFeedback", feedback, document=True)  # stored with each generation
    defaults = genetics.Rates()
    rates = genetics.Rates(
        mutation_rate=v.number_in("mutationRate", mutation_rate, 0.0, 1.0)
        if mutation_rate is not None
        else defaults.mutation_rate,
        crossover_rate=v.number_in("crossoverRate", crossover_rate, 0.0, 1.0)
        if crossover_rate is not None
        else defaults.crossover_rate,
        elite_fraction=v.number_in("eliteFraction", elite_fraction, 0.0, 1.0)
        if elite_fraction is not None
        else defaults.elite_fraction,
        pressure=v.number_in("evolutionPressure", evolution_pressure, 0.0, 1.0)
        if evolution_pressure is not None
        else defaults.pressure,
    )
    wanted = generations if generations is not None else 1
    count = v.int_in("generations", wanted, 1, MAX_GENERATIONS_PER_REQUEST)
    return EvolutionRequest(fitness_feedback=feedback, rates=rates, generations=count, seed=seed)


def _seed_for(population: models.Population, request: EvolutionRequest) -> int:
    if request.seed is not None:
        return request.seed
    digest = hashlib.sha256(f"{population.id}:{population.generation}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


async def evolve(population_id: str, request: EvolutionRequest) -> EvolutionOutcome:
    """Run `request.generations` cycles, store the new individuals, history and statistics."""
    population = await fetch(models.Population, population_id, "population")
    found = await models.Individual.find(models.Individual.population_id == population_id).to_list()
    # Order by content, not by random ids, so the same stored state evolves the same way.
    stored = sorted(found, key=lambda i: (-i.fitness, sorted(i.genome.items())))
    rng = random.Random(_seed_for(population, request))
    members = [genetics.Member(genome=dict(i.genome), fitness=i.fitness) for i in stored]
    members = genetics.apply_feedback(members, request.fitness_feedback, request.rates.pressure)
    records: list[models.GenerationRecord] = []
    for _ in range(request.generations):
        produced = genetics.next_generation(members, request.rates, rng)
        changed = genetics.shifted_genes(members, produced.members)
        members = produced.members
        population.generation += 1
        records.append(_record(population, members, produced, request, changed))
    await _replace_individuals(population, stored, members)
    _update_statistics(population, members, len(records))
    await population.save()
    if records:
        await models.GenerationRecord.insert_many(records)
        last = records[-1]
        await emit(
            "NEURAL_EVOLUTION_COMPLETE",
            {
                "evolution_id": last.id,
                "generation": last.generation,
                "best_fitness": last.best_fitness,
                "average_fitness": last.average_fitness,
                "diversity": last.diversity,
            },
            population_id=population.id,
        )
    return EvolutionOutcome(population=population, records=records)


def _record(
    population: models.Population,
    members: list[genetics.Member],
    produced: genetics.Generation,
    request: EvolutionRequest,
    improvements: list[str],
) -> models.GenerationRecord:
    fitness = [m.fitness for m in members] or [0.0]
    return models.GenerationRecord(
        population_id=population.id,
        generation=population.generation,
        best_fitness=max(fitness),
        average_fitness=sum(fitness) / len(fitness),
        diversity=genetics.diversity([m.genome for m in members]),
        mutations=produced.mutations,
        crossovers=produced.crossovers,
        improvements=improvements,
        parameters={
            "mutation_rate": request.rates.mutation_rate,
            "crossover_rate": request.rates.crossover_rate,
            "elite_fraction": request.rates.elite_fraction,
            "evolution_pressure": request.rates.pressure,
            "fitness_feedback": request.fitness_feedback,
        },
    )


async def _replace_individuals(
    population: models.Population, old: list[models.Individual], members: list[genetics.Member]
) -> None:
    await models.Individual.find(models.Individual.population_id == population.id).delete()
    fresh = [
        models.Individual(
            population_id=population.id,
            genome=m.genome,
            fitness=m.fitness,
            generation=population.generation,
            parent_ids=[old[p].id for p in m.parents if p < len(old)],
        )
        for m in members
    ]
    if fresh:
        await models.Individual.insert_many(fresh)


def _update_statistics(
    population: models.Population, members: list[genetics.Member], cycles: int
) -> None:
    fitness = [m.fitness for m in members] or [0.0]
    population.size = len(members)
    population.fitness_average = sum(fitness) / len(fitness)
    population.fitness_best = max(fitness)
    population.diversity_index = genetics.diversity([m.genome for m in members])
    population.evolution_cycles += cycles
    population.last_evolution = utcnow()
