"""Evolution, memory behaviour and the immune scan through GraphQL over real HTTP."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axonql import models
from axonql.models.base import utcnow
from axonql.services import tallies
from tests.support import GraphQLClient, error_codes, imported

EVOLVE = """mutation($id: ID!, $input: EvolutionInput) {
  evolvePopulation(id: $id, input: $input) {
    evolutionTriggered evolutionId generationStarted generation bestFitness mutations
    crossovers expectedImprovements population { generation size fitnessBest }
  }
}"""


async def _population(pid: str) -> None:
    await models.Population(id=pid, name=pid).insert()
    await models.Individual.insert_many(
        [
            models.Individual(
                population_id=pid, genome={"heads": float(i), "depth": 10.0 - i}, fitness=i / 10
            )
            for i in range(10)
        ]
    )


async def test_evolve_population_is_reproducible(gql: GraphQLClient, admin_token: str) -> None:
    await _population("p1")
    await _population("p2")
    variables: dict[str, Any] = {
        "input": {
            "fitnessFeedback": {"user_satisfaction": 0.9},
            "evolutionPressure": 0.3,
            "mutationRate": 0.3,
            "generations": 2,
            "seed": 5,
        }
    }
    one = await gql(EVOLVE, {"id": "p1", **variables}, admin_token)
    two = await gql(EVOLVE, {"id": "p2", **variables}, admin_token)
    assert "errors" not in one, one
    a, b = one["data"]["evolvePopulation"], two["data"]["evolvePopulation"]
    assert a["evolutionTriggered"] and a["generationStarted"] == 1 and a["generation"] == 2
    assert a["population"]["generation"] == 2 and a["population"]["size"] == 10
    for key in ("bestFitness", "mutations", "crossovers", "expectedImprovements"):
        assert a[key] == b[key]
    history = await gql(
        """query { evolutionHistory(populationId: "p1", limit: 1) {
      records { generation improvements } statistics { totalGenerations diversityTrend } } }""",
        token=admin_token,
    )
    got = history["data"]["evolutionHistory"]
    assert [r["generation"] for r in got["records"]] == [2]
    assert got["statistics"]["totalGenerations"] == 2
    status = await gql(
        """{ evolutionStatus(populationId: "p1", top: 3) { currentGeneration
      populationSize currentPopulation { fitness } } }""",
        token=admin_token,
    )
    best = [i["fitness"] for i in status["data"]["evolutionStatus"]["currentPopulation"]]
    assert len(best) == 3 and best == sorted(best, reverse=True)
    bad = await gql(EVOLVE, {"id": "p1", "input": {"mutationRate": 1.5}}, admin_token)
    assert error_codes(bad) == ["VALIDATION_ERROR"]
    assert bad["errors"][0]["extensions"]["field"] == "mutationRate"
    missing = await gql(EVOLVE, {"id": "nope"}, admin_token)
    assert error_codes(missing) == ["RESOURCE_NOT_FOUND"]
    population = await models.Population.get("p1")
    assert population is not None and population.generation == 2


async def test_memory_search_recall_usage_consolidation(
    gql: GraphQLClient, admin_token: str
) -> None:
    await imported(
        models.Memory(
            id="m1",
            title="Quantum entanglement",
            content="quantum physics lesson",
            related_ids=["m2"],
            importance=0.9,
        ),
        models.Memory(
            id="m2",
            title="Cooking",
            content="bread and flour",
            created_at=utcnow() - timedelta(days=30),
            importance=0.1,
        ),
    )
    search = await gql(
        """query { searchMemories(input: {query: "quantum physics", limit: 5}) {
      results { memory { id } relevanceScore } totalMatches } }""",
        token=admin_token,
    )
    hits = search["data"]["searchMemories"]
    assert [h["memory"]["id"] for h in hits["results"]] == ["m1"] and hits["totalMatches"] == 1
    assert 0 < hits["results"][0]["relevanceScore"] <= 1
    recall = await gql(
        """mutation { recallMemory(id: "m1") { memory { accessCount }
      relatedMemories { id } } }""",
        token=admin_token,
    )
    assert recall["data"]["recallMemory"] == {
        "memory": {"accessCount": 1},
        "relatedMemories": [{"id": "m2"}],
    }
    await tallies.rebuild()  # the memories were inserted directly, as a bulk import would
    usage = await gql("{ memoryUsage { usedMemory pools { pool used } } }", token=admin_token)
    assert usage["data"]["memoryUsage"]["usedMemory"] == 2
    report = await gql(
        """mutation { consolidateMemories { memoriesConsolidated pruned
      memoryFreedKb } }""",
        token=admin_token,
    )
    assert report["data"]["consolidateMemories"]["pruned"] == 1
    assert await models.Memory.get("m2") is None
    bad = await gql(
        """query { searchMemories(input: {query: "x", similarityThreshold: 2}) {
      totalMatches } }""",
        token=admin_token,
    )
    assert error_codes(bad) == ["VALIDATION_ERROR"]
    gone = await gql('mutation { recallMemory(id: "nope") { memory { id } } }', token=admin_token)
    assert error_codes(gone) == ["RESOURCE_NOT_FOUND"]


async def test_immune_scan_status_and_history(gql: GraphQLClient, admin_token: str) -> None:
    await models.Memory(id="m_drift", content="x", drift_score=0.95).insert()
    scan = await gql(
        """mutation { runImmuneScan(input: {scanTypes: ["bias"], autoHeal: true}) {
      scanId threatsFound threatsHealed results { check status healed healingMethod } } }""",
        token=admin_token,
    )
    result = scan["data"]["runImmuneScan"]
    assert result["threatsFound"] == 1 and result["threatsHealed"] == 1
    assert result["results"] == [
        {
            "check": "memory_drift",
            "status": "resolved",
            "healed": True,
            "healingMethod": "drift_reset",
        }
    ]
    status = await gql(
        "{ immuneStatus { healthScore threatsDetected threatsResolved lastScan } }",
        token=admin_token,
    )
    assert status["data"]["immuneStatus"]["threatsResolved"] == 1
    history = await gql(
        """{ threats(status: "resolved") { threats { check } summary {
      totalThreats resolvedThreats pendingThreats } } }""",
        token=admin_token,
    )
    assert history["data"]["threats"]["summary"] == {
        "totalThreats": 1,
        "resolvedThreats": 1,
        "pendingThreats": 0,
    }
    bad = await gql(
        'mutation { runImmuneScan(input: {scanTypes: ["x"]}) { scanId } }', token=admin_token
    )
    assert error_codes(bad) == ["VALIDATION_ERROR"]
