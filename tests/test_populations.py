"""Populations over real HTTP against a real database: CRUD, generation, statistics, relations."""

from __future__ import annotations

import itertools
import math
from datetime import timedelta
from typing import Any

from axonql import models
from axonql.models.base import utcnow
from axonql.models.population import GeneRange
from axonql.scopes import Scope
from axonql.services import genetics
from axonql.services.populations import diversity_index, random_genomes
from axonql.settings import Settings
from tests.support import GraphQLClient, error_codes, token_for

FIELDS = """
id name size specialization generation fitnessAverage fitnessBest diversityIndex
evolutionCycles lastEvolution performanceMetrics tags seed genomeSpec { name min max integer }
"""
CREATE = (
    f"mutation($input: CreatePopulationInput!) {{ createPopulation(input: $input) {{ {FIELDS} }} }}"
)
ADD = f"""mutation($id: ID!, $individuals: [IndividualInput!]!) {{
  addIndividuals(populationId: $id, individuals: $individuals) {{ {FIELDS} }} }}"""
SPEC = [
    {"name": "learning_rate", "min": 0.001, "max": 0.1},
    {"name": "layers", "min": 2, "max": 8, "integer": True},
]


async def create(gql: GraphQLClient, token: str, **fields: Any) -> dict[str, Any]:
    body = await gql(CREATE, {"input": fields}, token)
    assert "errors" not in body, body
    population: dict[str, Any] = body["data"]["createPopulation"]
    return population


def expected_diversity(genomes: list[dict[str, float]]) -> float:
    """The documented formula, written out independently: RMS of range-scaled gene gaps."""
    genes = sorted({g for genome in genomes for g in genome})
    spans = {g: (max(x[g] for x in genomes) - min(x[g] for x in genomes)) or 1.0 for g in genes}
    distances = [
        math.sqrt(sum(((a[g] - b[g]) / spans[g]) ** 2 for g in genes) / len(genes))
        for a, b in itertools.combinations(genomes, 2)
    ]
    return sum(distances) / len(distances)


def test_diversity_index_agrees_with_the_evolution_engine() -> None:
    spec = {f"g{i}": GeneRange(min=-5, max=5) for i in range(6)}
    genomes = random_genomes(spec, 40, seed=9)
    genomes[3].pop("g2")  # a missing gene counts as 0 in both
    genomes.append({"other": 1.0})
    assert math.isclose(diversity_index(genomes), genetics.diversity(genomes), rel_tol=1e-12)
    assert diversity_index(genomes[:1]) == 0.0 == diversity_index([])
    assert diversity_index([{"a": 1.0}, {"a": 1.0}]) == 0.0


async def test_create_with_individuals_and_statistics(gql: GraphQLClient, admin_token: str) -> None:
    population = await create(
        gql,
        admin_token,
        id="executive",
        name="Executive",
        specialization="executive_function",
        tags=["core"],
        performanceMetrics={"latency_ms": 12.5},
        individuals=[
            {"genome": {"a": 0.0, "b": 1.0}, "fitness": 0.2},
            {"genome": {"a": 1.0, "b": 1.0}, "fitness": 0.8, "metadata": {"origin": "seed"}},
            {"genome": {"a": 0.5, "b": 0.0}, "fitness": 0.5},
        ],
    )
    assert population["id"] == "executive"
    assert population["size"] == 3
    assert population["fitnessBest"] == 0.8
    assert math.isclose(population["fitnessAverage"], 0.5)
    genomes = [{"a": 0.0, "b": 1.0}, {"a": 1.0, "b": 1.0}, {"a": 0.5, "b": 0.0}]
    assert math.isclose(population["diversityIndex"], expected_diversity(genomes))
    assert population["performanceMetrics"] == {"latency_ms": 12.5}

    body = await gql(
        """{ population(id: "executive") {
             individuals { fitness genome metadata }
             top: individuals(limit: 1) { fitness }
             fit: individuals(minFitness: 0.5) { fitness } } }""",
        token=admin_token,
    )
    got = body["data"]["population"]
    assert [i["fitness"] for i in got["individuals"]] == [0.8, 0.5, 0.2]
    assert got["individuals"][0]["metadata"] == {"origin": "seed"}
    assert [i["fitness"] for i in got["top"]] == [0.8]
    assert [i["fitness"] for i in got["fit"]] == [0.8, 0.5]


async def test_generated_genomes_are_reproducible(gql: GraphQLClient, admin_token: str) -> None:
    one = await create(gql, admin_token, name="one", genomeSpec=SPEC, size=20, seed=42)
    two = await create(gql, admin_token, name="two", genomeSpec=SPEC, size=20, seed=42)
    other = await create(gql, admin_token, name="three", genomeSpec=SPEC, size=20, seed=7)
    assert one["size"] == 20 and one["seed"] == 42
    assert one["genomeSpec"][1] == {"name": "layers", "min": 2, "max": 8, "integer": True}

    async def genomes(pid: str) -> list[dict[str, float]]:
        docs = await models.Individual.find({"population_id": pid}).sort("_id").to_list()
        return sorted((d.genome for d in docs), key=lambda g: (g["learning_rate"], g["layers"]))

    first, second = await genomes(one["id"]), await genomes(two["id"])
    assert first == second
    assert first != await genomes(other["id"])
    for g in first:
        assert 0.001 <= g["learning_rate"] <= 0.1
        assert g["layers"] in {2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0}
    assert math.isclose(one["diversityIndex"], expected_diversity(first))
    assert one["fitnessBest"] == 0.0  # generated individuals are not yet evaluated

    unseeded = await create(gql, admin_token, name="free", genomeSpec=SPEC, size=3)
    assert isinstance(unseeded["seed"], int)  # stored, so the draw can be repeated


async def test_add_and_remove_individuals_recompute(gql: GraphQLClient, admin_token: str) -> None:
    population = await create(
        gql,
        admin_token,
        name="p",
        genomeSpec=SPEC,
        individuals=[{"genome": {"learning_rate": 0.01, "layers": 3}, "fitness": 0.4}],
    )
    assert population["diversityIndex"] == 0.0
    added = await gql(
        ADD,
        {
            "id": population["id"],
            "individuals": [
                {"genome": {"learning_rate": 0.05, "layers": 6}, "fitness": 0.9},
                {"genome": {"learning_rate": 0.02, "layers": 4}, "fitness": 0.2},
            ],
        },
        admin_token,
    )
    grown = added["data"]["addIndividuals"]
    assert grown["size"] == 3 and grown["fitnessBest"] == 0.9
    assert math.isclose(grown["fitnessAverage"], 0.5)
    assert grown["diversityIndex"] > 0

    best = await models.Individual.find_one({"population_id": population["id"], "fitness": 0.9})
    assert best is not None
    removed = await gql(
        "mutation($p: ID!, $i: ID!) { removeIndividual(populationId: $p, individualId: $i)"
        " { size fitnessBest fitnessAverage } }",
        {"p": population["id"], "i": best.id},
        admin_token,
    )
    assert removed["data"]["removeIndividual"] == {
        "size": 2,
        "fitnessBest": 0.4,
        "fitnessAverage": 0.30000000000000004,
    }
    stored = await models.Population.get(population["id"])
    assert stored is not None and stored.size == 2 and stored.fitness_best == 0.4
    again = await gql(
        "mutation($p: ID!, $i: ID!) { removeIndividual(populationId: $p, individualId: $i)"
        " { size } }",
        {"p": population["id"], "i": best.id},
        admin_token,
    )
    assert error_codes(again) == ["RESOURCE_NOT_FOUND"]
    events = await models.Event.find(
        {"population_id": population["id"], "type": "POPULATION_UPDATED"}
    ).to_list()
    assert [e.payload["change"] for e in events] == [
        "created",
        "individuals_added",
        "individual_removed",
    ]


async def test_capped_relations_are_capped_per_population(
    gql: GraphQLClient, admin_token: str
) -> None:
    for p in range(3):
        individuals = [{"genome": {"x": float(k)}, "fitness": (p + k) / 10} for k in range(4)]
        await create(gql, admin_token, id=f"pop{p}", name=f"pop{p}", individuals=individuals)
    body = await gql(
        "{ populations { id individuals(limit: 2) { populationId fitness } } }", token=admin_token
    )
    for population in body["data"]["populations"]:
        p = int(population["id"][3:])
        assert population["individuals"] == [
            {"populationId": population["id"], "fitness": (p + 3) / 10},
            {"populationId": population["id"], "fitness": (p + 2) / 10},
        ]


async def test_update_delete_and_history(gql: GraphQLClient, admin_token: str) -> None:
    await create(gql, admin_token, id="exec", name="Exec", genomeSpec=SPEC, size=4, seed=1)
    await models.GenerationRecord.insert_many(
        [
            models.GenerationRecord(
                population_id="exec",
                generation=g,
                best_fitness=g / 10,
                average_fitness=g / 20,
                diversity=0.5,
                mutations=g,
                improvements=[f"gen{g}"],
            )
            for g in (1, 2, 3)
        ]
    )
    body = await gql(
        '{ population(id: "exec") { history { generation bestFitness mutations improvements }'
        " last: history(limit: 1) { generation } } }",
        token=admin_token,
    )
    assert [h["generation"] for h in body["data"]["population"]["history"]] == [3, 2, 1]
    assert body["data"]["population"]["history"][0]["improvements"] == ["gen3"]
    assert body["data"]["population"]["last"] == [{"generation": 3}]

    updated = await gql(
        'mutation { updatePopulation(id: "exec", input: {name: "Executive", tags: ["x"],'
        ' specialization: "planning", performanceMetrics: {accuracy: 0.9}})'
        " { name tags specialization performanceMetrics size } }",
        token=admin_token,
    )
    assert updated["data"]["updatePopulation"] == {
        "name": "Executive",
        "tags": ["x"],
        "specialization": "planning",
        "performanceMetrics": {"accuracy": 0.9},
        "size": 4,
    }
    deleted = await gql('mutation { deletePopulation(id: "exec") }', token=admin_token)
    assert deleted["data"]["deletePopulation"] is True
    assert await models.Individual.find({"population_id": "exec"}).count() == 0
    assert await models.GenerationRecord.find({"population_id": "exec"}).count() == 0
    gone = await gql('{ population(id: "exec") { id } }', token=admin_token)
    assert error_codes(gone) == ["RESOURCE_NOT_FOUND"]


async def test_every_filter_and_paging(gql: GraphQLClient, admin_token: str) -> None:
    for i in range(7):
        await create(
            gql,
            admin_token,
            name=f"pop{i}",
            specialization="vision" if i % 2 else "language",
            tags=["even"] if i % 2 == 0 else ["odd"],
            individuals=[{"genome": {"x": float(i)}, "fitness": i / 10}],
        )
    await models.Population.find({"name": "pop0"}).update(
        {"$set": {"created_at": utcnow() - timedelta(days=2)}}
    )

    async def names(**flt: Any) -> list[str]:
        body = await gql(
            "query($f: PopulationFilter) { populations(filter: $f) { name } }",
            {"f": flt},
            admin_token,
        )
        assert "errors" not in body, body
        return sorted(p["name"] for p in body["data"]["populations"])

    assert await names(specialization="vision") == ["pop1", "pop3", "pop5"]
    assert await names(tags=["even"], minFitness=0.4) == ["pop4", "pop6"]
    assert await names(search="POP6") == ["pop6"]
    cutoff = (utcnow() - timedelta(days=1)).isoformat()
    assert await names(createdBefore=cutoff) == ["pop0"]
    assert len(await names(createdAfter=cutoff)) == 6
    assert len(await names(limit=2, offset=6)) == 1

    query = """query($after: String) {
      populationsConnection(first: 3, after: $after, sort: {field: FITNESS_BEST, direction: DESC})
      { totalCount edges { node { name fitnessBest } } pageInfo { hasNextPage endCursor } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = (await gql(query, {"after": after}, admin_token))["data"]["populationsConnection"]
        assert page["totalCount"] == 7
        seen += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [f"pop{i}" for i in reversed(range(7))]


async def test_bad_input_is_refused_and_nothing_changes(
    gql: GraphQLClient, admin_token: str
) -> None:
    await create(
        gql,
        admin_token,
        id="keep",
        name="keep",
        genomeSpec=SPEC,
        individuals=[{"genome": {"learning_rate": 0.01, "layers": 3}, "fitness": 0.5}],
    )
    snapshot = (await models.Population.get("keep"), await models.Individual.find_all().to_list())
    good = {"learning_rate": 0.01, "layers": 3}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": ""}, "name"),
        ({"name": "n" * 1000}, "name"),
        ({"name": "x", "id": "bad id!"}, "id"),
        (
            {"name": "x", "individuals": [{"genome": {"a": 1}, "fitness": 1.5}]},
            "individuals.0.fitness",
        ),
        ({"name": "x", "individuals": [{"genome": [1, 2]}]}, "individuals.0.genome"),
        ({"name": "x", "individuals": [{"genome": {"a": "big"}}]}, "individuals.0.genome.a"),
        (
            {"name": "x", "genomeSpec": SPEC, "individuals": [{"genome": {"layers": 3}}]},
            "individuals.0.genome",
        ),
        (
            {"name": "x", "genomeSpec": SPEC, "individuals": [{"genome": {**good, "layers": 3.5}}]},
            "individuals.0.genome.layers",
        ),
        (
            {
                "name": "x",
                "genomeSpec": SPEC,
                "individuals": [{"genome": {**good, "learning_rate": 5}}],
            },
            "individuals.0.genome.learning_rate",
        ),
        ({"name": "x", "size": 5}, "genomeSpec"),
        ({"name": "x", "genomeSpec": SPEC, "size": 0}, "size"),
        ({"name": "x", "genomeSpec": SPEC, "size": 100_000}, "size"),
        ({"name": "x", "genomeSpec": SPEC, "size": 2, "seed": -1}, "seed"),
        ({"name": "x", "genomeSpec": [{"name": "a", "min": 2, "max": 1}]}, "genomeSpec.0.min"),
        ({"name": "x", "performanceMetrics": {"a": "fast"}}, "performanceMetrics.a"),
        (
            {"name": "x", "genomeSpec": [{"name": f"g{i}", "min": 0, "max": 1} for i in range(51)]},
            "genomeSpec",
        ),
    ]
    for fields, field in cases:
        body = await gql(CREATE, {"input": fields}, admin_token)
        assert error_codes(body) == ["VALIDATION_ERROR"], (fields, body)
        assert body["errors"][0]["extensions"]["field"] == field, body
    wrong_type = await gql(CREATE, {"input": {"name": "x", "size": "ten"}}, admin_token)
    assert error_codes(wrong_type) == ["INVALID_REQUEST"]
    duplicate = await gql(CREATE, {"input": {"name": "again", "id": "keep"}}, admin_token)
    assert error_codes(duplicate) == ["CONFLICT"]
    bad_add = await gql(
        ADD, {"id": "keep", "individuals": [{"genome": {"learning_rate": 0.01}}]}, admin_token
    )
    assert error_codes(bad_add) == ["VALIDATION_ERROR"]
    unknown_add = await gql(ADD, {"id": "ghost", "individuals": [{"genome": good}]}, admin_token)
    assert error_codes(unknown_add) == ["RESOURCE_NOT_FOUND"]
    bad_update = await gql(
        'mutation { updatePopulation(id: "keep", input: {name: "  "}) { id } }', token=admin_token
    )
    assert error_codes(bad_update) == ["VALIDATION_ERROR"]
    bad_filter = await gql(
        '{ population(id: "keep") { individuals(minFitness: 3) { id } } }', token=admin_token
    )
    assert error_codes(bad_filter) == ["VALIDATION_ERROR"]

    assert await models.Population.find_all().count() == 1
    population, individuals = snapshot
    assert population is not None
    after = await models.Population.get("keep")
    assert after is not None and after.model_dump() == population.model_dump()
    assert [i.model_dump() for i in await models.Individual.find_all().to_list()] == [
        i.model_dump() for i in individuals
    ]


async def test_scopes(gql: GraphQLClient, settings: Settings, admin_token: str) -> None:
    await create(gql, admin_token, id="p1", name="p1")
    monitor = await token_for(settings, [Scope.NEURAL_MONITOR], user_id="monitor")
    read = await gql('{ population(id: "p1") { name size } }', token=monitor)
    assert read["data"]["population"] == {"name": "p1", "size": 0}
    write = await gql(CREATE, {"input": {"name": "nope"}}, monitor)
    assert error_codes(write) == ["AUTHORIZATION_DENIED"]
    assert await models.Population.find_all().count() == 1
