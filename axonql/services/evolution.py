"""One evolution cycle on a stored population: feedback, selection, crossover, mutation.

Reproducible: the random generator is seeded by the request's seed, or by the population id
and generation number when none is given, so the same stored state and request give the same
next generation.
"""

from __future__ import annotations

import hashlib
import random
import statistics
from dataclasses import asdict, dataclass

from beanie.odm.queries.find import FindMany

from axonql import models
from axonql.errors import ValidationError
from axonql.models.base import utcnow
from axonql.services import genetics
from axonql.services import validation as v
from axonql.services.events import emit
from axonql.services.lookup import fetch

MAX_GENERATIONS_PER_REQUEST = 50
MAX_LISTED = 1000
TREND_WINDOW = 5  # generations the convergence rate and diversity trend look back over
STABLE_SLOPE = 0.01  # diversity change per generation below which the trend is "stable"


@dataclass(frozen=True)
class EvolutionRequest:
    fitness_feedback: dict[str, float]
    rates: genetics.Rates
    generations: int = 1
    seed: int | None = None


@dataclass(frozen=True)
class EvolutionArguments:
    """An evolution request as the caller sent it, before `check_request` looks at it."""

    fitness_feedback: object = None
    evolution_pressure: float | None = None
    mutation_rate: float | None = None
    crossover_rate: float | None = None
    elite_fraction: float | None = None
    generations: int | None = None
    seed: int | None = None


@dataclass(frozen=True)
class EvolutionOutcome:
    population: models.Population
    records: list[models.GenerationRecord]

    @property
    def mutations(self) -> int:
        return sum(r.mutations for r in self.records)

    @property
    def crossovers(self) -> int:
        return sum(r.crossovers for r in self.records)

    @property
    def improvements(self) -> list[str]:
        """Genes that shifted in any of the cycles, first-seen order, each once."""
        return list(dict.fromkeys(g for r in self.records for g in r.improvements))


def check_request(
    fitness_feedback: object,
    evolution_pressure: float | None,
    mutation_rate: float | None,
    crossover_rate: float | None,
    elite_fraction: float | None,
    generations: int | None,
    seed: int | None,
) -> EvolutionRequest:
    """Validate an evolution request; every rate is a probability."""
    given = {} if fitness_feedback is None else fitness_feedback
    if not isinstance(given, dict):
        raise ValidationError("fitnessFeedback must be an object", field="fitnessFeedback")
    feedback: dict[str, float] = {}
    for name, value in given.items():
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


async def evolve_as_asked(population_id: str, asked: EvolutionArguments) -> EvolutionOutcome:
    """Check the caller's request, then run it."""
    return await evolve(population_id, check_request(**asdict(asked)))


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


@dataclass(frozen=True)
class EvolutionState:
    """Where a population's evolution stands: its best members and the last cycle's work."""

    population: models.Population
    best: list[models.Individual]
    last: models.GenerationRecord | None

    @property
    def active(self) -> bool:
        return self.population.size > 0

    @property
    def progress(self) -> float:
        return round(self.population.fitness_best, 6)

    @property
    def architecture_genes(self) -> list[str]:
        """Integer genes (layer and head counts …) shape the network; the others tune it."""
        return [name for name, gene in self.population.genome_spec.items() if gene.integer]


def _generations(population_id: str) -> FindMany[models.GenerationRecord]:
    return models.GenerationRecord.find(models.GenerationRecord.population_id == population_id)


async def state(population_id: str, top: int) -> EvolutionState:
    """The population, its `top` fittest members and its newest generation record."""
    population = await fetch(models.Population, population_id, "population")
    count = v.int_in("top", top, 0, MAX_LISTED)
    best = (
        await models.Individual.find(models.Individual.population_id == population.id)
        .sort("-fitness")
        .limit(count)
        .to_list()
        if count  # a limit of 0 means no limit to MongoDB
        else []
    )
    last = await _generations(population.id).sort("-generation").first_or_none()
    return EvolutionState(population=population, best=best, last=last)


@dataclass(frozen=True)
class Trends:
    total_generations: int
    fitness_improvement: float
    convergence_rate: float
    diversity_trend: str


def trends(records: list[models.GenerationRecord]) -> Trends:
    """Improvement of the best fitness; mean change of it and slope of diversity lately."""
    if not records:
        return Trends(0, 0.0, 0.0, "stable")
    best = [r.best_fitness for r in records]
    recent = records[-TREND_WINDOW:]
    steps = [
        abs(b - a) for a, b in zip(best[-TREND_WINDOW - 1 : -1], best[-TREND_WINDOW:], strict=False)
    ]
    slope = 0.0
    if len(recent) >= 2:
        slope = (recent[-1].diversity - recent[0].diversity) / (len(recent) - 1)
    trend = "stable" if abs(slope) < STABLE_SLOPE else ("increasing" if slope > 0 else "decreasing")
    return Trends(
        total_generations=len(records),
        fitness_improvement=round(best[-1] - best[0], 6),
        convergence_rate=round(statistics.fmean(steps), 6) if steps else 0.0,
        diversity_trend=trend,
    )


@dataclass(frozen=True)
class History:
    newest_first: list[models.GenerationRecord]
    trends: Trends


async def history(population_id: str, limit: int) -> History:
    """The newest `limit` generation records and the trends over all of them."""
    population = await fetch(models.Population, population_id, "population")
    size = v.int_in("limit", limit, 1, MAX_LISTED)
    records = await _generations(population.id).sort("generation").to_list()
    return History(newest_first=list(reversed(records[-size:])), trends=trends(records))
