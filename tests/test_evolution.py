"""Evolution cycles on stored populations: reproducible, recorded, validated."""

from __future__ import annotations

import random

import pytest

from axonql import models
from axonql.errors import NotFound, ValidationError
from axonql.services import genetics
from axonql.services.evolution import check_request, evolve


async def _population(pid: str = "executive", size: int = 12, seed: int = 3) -> None:
    rng = random.Random(seed)
    await models.Population(id=pid, name=pid).insert()
    await models.Individual.insert_many(
        [
            models.Individual(
                population_id=pid,
                genome={"learning_rate": rng.uniform(0.001, 0.01), "layers": rng.randint(2, 8)},
                fitness=rng.random(),
            )
            for _ in range(size)
        ]
    )


async def _snapshot(pid: str) -> list[tuple[tuple[tuple[str, float], ...], float]]:
    found = await models.Individual.find(models.Individual.population_id == pid).to_list()
    return sorted((tuple(sorted(i.genome.items())), i.fitness) for i in found)


def _request(**overrides: object) -> object:
    values: dict[str, object] = {
        "fitness_feedback": {"user_satisfaction": 0.9, "task_completion": 0.85},
        "evolution_pressure": 0.3,
        "mutation_rate": 0.2,
        "crossover_rate": 0.7,
        "elite_fraction": 0.1,
        "generations": 1,
        "seed": 11,
    }
    values.update(overrides)
    return check_request(**values)  # type: ignore[arg-type]


async def test_same_seed_same_generation() -> None:
    await _population("a")
    await _population("b")
    await evolve("a", _request())  # type: ignore[arg-type]
    await evolve("b", _request())  # type: ignore[arg-type]
    assert await _snapshot("a") == await _snapshot("b")
    await evolve("b", _request(seed=12))  # type: ignore[arg-type]
    await evolve("a", _request(seed=99))  # type: ignore[arg-type]
    assert await _snapshot("a") != await _snapshot("b")


async def test_cycle_records_history_statistics_and_event() -> None:
    await _population()
    best_before = max(i.fitness for i in await models.Individual.find_all().to_list())
    outcome = await evolve("executive", _request(generations=3))  # type: ignore[arg-type]
    population = await models.Population.get("executive")
    assert population is not None
    assert population.generation == 3 and population.evolution_cycles == 3
    assert population.size == 12
    assert population.last_evolution is not None
    records = await models.GenerationRecord.find_all().sort("generation").to_list()
    assert [r.generation for r in records] == [1, 2, 3]
    assert [r.id for r in outcome.records] == [r.id for r in records]
    assert all(r.crossovers > 0 for r in records)
    assert population.fitness_best == pytest.approx(records[-1].best_fitness)
    assert 0.0 <= population.diversity_index <= 1.0
    individuals = await models.Individual.find_all().to_list()
    assert len(individuals) == 12 and all(i.generation == 3 for i in individuals)
    assert max(i.fitness for i in individuals) <= 1.0
    assert best_before > 0
    events = await models.Event.find(models.Event.type == "NEURAL_EVOLUTION_COMPLETE").to_list()
    assert len(events) == 1 and events[0].population_id == "executive"
    assert events[0].payload["generation"] == 3


async def test_elites_survive_and_no_mutation_means_no_new_genes() -> None:
    await _population(size=10)
    before = await models.Individual.find_all().to_list()
    best = max(before, key=lambda i: i.fitness)
    known = {tuple(sorted(i.genome.items())) for i in before}
    await evolve(
        "executive",
        _request(mutation_rate=0.0, crossover_rate=0.0, fitness_feedback={}),  # type: ignore[arg-type]
    )
    after = await models.Individual.find_all().to_list()
    assert {tuple(sorted(i.genome.items())) for i in after} <= known
    assert tuple(sorted(best.genome.items())) in {tuple(sorted(i.genome.items())) for i in after}
    record = await models.GenerationRecord.find_one()
    assert record is not None and record.mutations == 0 and record.crossovers == 0


def test_feedback_moves_fitness_toward_score() -> None:
    members = [genetics.Member({"x": 1.0}, 0.5), genetics.Member({"x": 2.0}, 1.0)]
    moved = genetics.apply_feedback(members, {"a": 0.0}, pressure=0.5)
    assert [m.fitness for m in moved] == [0.25, 0.5]
    assert genetics.apply_feedback(members, {}, pressure=0.5) == members


def test_diversity_bounds() -> None:
    assert genetics.diversity([{"x": 1.0}]) == 0.0
    assert genetics.diversity([{"x": 1.0}, {"x": 1.0}]) == 0.0
    assert genetics.diversity([{"x": 0.0}, {"x": 1.0}]) == 1.0


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"mutation_rate": 1.5}, "mutationRate"),
        ({"crossover_rate": -0.1}, "crossoverRate"),
        ({"evolution_pressure": 2}, "evolutionPressure"),
        ({"generations": 0}, "generations"),
        ({"fitness_feedback": {"x": 3}}, "fitnessFeedback.x"),
        ({"fitness_feedback": {"x": "high"}}, "fitnessFeedback.x"),
    ],
)
def test_bad_requests_name_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _request(**overrides)
    assert caught.value.field == field


async def test_unknown_population() -> None:
    with pytest.raises(NotFound):
        await evolve("nope", _request())  # type: ignore[arg-type]
