"""Drift simulations over GraphQL on a real database: control, records, statistics, export."""

from __future__ import annotations

import asyncio
import base64
import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from axonql import models
from axonql.models.base import utcnow
from tests.agents_support import register
from tests.processes import AgentProcess
from tests.support import GraphQLClient, RunningServer, error_codes

START = """mutation($input: StartSimulationInput!) {
  startSimulation(input: $input) { simulationId status totalDays isRunning taskId }
}"""
ASSESS = """mutation($input: RecordAssessmentInput!) {
  recordAssessment(input: $input) { id score severity }
}"""
EVENT = (
    """mutation($input: RecordEventInput!) { recordSimulationEvent(input: $input) { id day } }"""
)
STATUS = """{ simulationStatus { simulationId status currentDay progressPercentage activePersonas
  eventsProcessed assessmentsCompleted isRunning isPaused } }"""


async def _capable_agent() -> None:
    await models.Agent(
        id="agent_sim", name="sim", capabilities=["drift_simulation"], last_heartbeat=utcnow()
    ).insert()


async def _start(gql: GraphQLClient, token: str, **fields: Any) -> dict[str, Any]:
    body = await gql(
        START, {"input": {"experimentalCondition": "STRESS", "durationDays": 10, **fields}}, token
    )
    assert "errors" not in body, body
    run: dict[str, Any] = body["data"]["startSimulation"]
    return run


async def test_start_needs_a_capable_agent_and_runs_one_at_a_time(
    gql: GraphQLClient, admin_token: str
) -> None:
    refused = await gql(START, {"input": {}}, admin_token)
    assert error_codes(refused) == ["NO_AGENT_AVAILABLE"]
    assert refused["errors"][0]["extensions"]["status"] == 503
    assert await models.Task.find_all().count() == 0
    await _capable_agent()
    run = await _start(gql, admin_token)
    assert run["status"] == "running" and run["totalDays"] == 10 and run["isRunning"]
    task = await models.Task.get(run["taskId"])
    assert task is not None and task.status == "queued"
    assert task.required_capabilities == ["drift_simulation"]
    assert task.parameters["condition"] == "STRESS"
    second = await gql(START, {"input": {}}, admin_token)
    assert error_codes(second) == ["SIMULATION_ALREADY_RUNNING"]
    bad = await gql(START, {"input": {"experimentalCondition": "PANIC"}}, admin_token)
    assert error_codes(bad) == ["VALIDATION_ERROR"]


async def test_control_transitions(gql: GraphQLClient, admin_token: str) -> None:
    await _capable_agent()
    await _start(gql, admin_token)
    paused = await gql("mutation { pauseSimulation { status isPaused } }", token=admin_token)
    assert paused["data"]["pauseSimulation"] == {"status": "paused", "isPaused": True}
    again = await gql("mutation { pauseSimulation { status } }", token=admin_token)
    assert error_codes(again) == ["SIMULATION_STATE_CONFLICT"]
    resumed = await gql("mutation { resumeSimulation { status } }", token=admin_token)
    assert resumed["data"]["resumeSimulation"]["status"] == "running"
    stopped = await gql("mutation { stopSimulation { status simulationId } }", token=admin_token)
    assert stopped["data"]["stopSimulation"]["status"] == "stopped"
    sim_id = stopped["data"]["stopSimulation"]["simulationId"]
    sim = await models.Simulation.get(sim_id)
    assert sim is not None and sim.task_id is not None
    task = await models.Task.get(sim.task_id)
    assert task is not None and task.status == "cancelled"
    late = await gql(
        ASSESS,
        {
            "input": {
                "simulationId": sim_id,
                "personaId": "p1",
                "assessmentType": "phq9",
                "score": 3,
            }
        },
        admin_token,
    )
    assert error_codes(late) == ["SIMULATION_STATE_CONFLICT"]


async def test_records_status_results_and_drift(gql: GraphQLClient, admin_token: str) -> None:
    await _capable_agent()
    sim_id = (await _start(gql, admin_token))["simulationId"]
    scores = {"p1": (3, 12), "p2": (4, 9), "p3": (2, 3)}
    for persona, (before, after) in scores.items():
        for day, score in ((0, before), (10, after)):
            body = await gql(
                ASSESS,
                {
                    "input": {
                        "simulationId": sim_id,
                        "personaId": persona,
                        "assessmentType": "phq9",
                        "score": score,
                        "day": day,
                    }
                },
                admin_token,
            )
            assert "errors" not in body, body
    severities = {
        a.score: a.severity for a in await models.SimulationAssessment.find_all().to_list()
    }
    assert severities == {3: "minimal", 12: "moderate", 4: "minimal", 9: "mild", 2: "minimal"}
    await gql(
        EVENT,
        {
            "input": {
                "simulationId": sim_id,
                "personaId": "p1",
                "eventType": "stress",
                "title": "Loss of a close friend",
                "intensity": 0.8,
                "day": 5,
            }
        },
        admin_token,
    )
    status = (await gql(STATUS, token=admin_token))["data"]["simulationStatus"]
    assert status["currentDay"] == 10 and status["progressPercentage"] == 100.0
    assert status["activePersonas"] == 3
    assert (status["eventsProcessed"], status["assessmentsCompleted"]) == (1, 6)
    drift = await models.Event.find(models.Event.type == "SIMULATION_DRIFT").to_list()
    assert [(e.payload["persona_id"], e.payload["significance"]) for e in drift] == [
        ("p1", "high"),
        ("p2", "moderate"),
    ]
    results = await gql(
        "query($id: ID) { simulationResults(simulationId: $id) { totalPersonas totalAssessments "
        "baselineAssessments { assessmentType mean } finalAssessments { assessmentType mean } "
        "driftDetected significantChanges } }",
        {"id": sim_id},
        admin_token,
    )
    r = results["data"]["simulationResults"]
    assert r["totalPersonas"] == 3 and r["totalAssessments"] == 6
    assert r["baselineAssessments"] == [{"assessmentType": "phq9", "mean": 3.0}]
    assert r["finalAssessments"] == [{"assessmentType": "phq9", "mean": 8.0}]
    assert r["driftDetected"] is True and r["significantChanges"] == ["phq9"]


async def test_bad_records_are_refused(gql: GraphQLClient, admin_token: str) -> None:
    await _capable_agent()
    sim_id = (await _start(gql, admin_token))["simulationId"]
    base = {"simulationId": sim_id, "personaId": "p1", "assessmentType": "phq9", "score": 5}
    cases: list[tuple[dict[str, Any], str]] = [
        ({"score": 28}, "score"),
        ({"assessmentType": "bdi"}, "assessmentType"),
        ({"day": 11}, "day"),
        (
            {"score": 2, "responses": [{"question": "q", "response": "r", "score": 1}] * 9},
            "responses",
        ),
        ({"responses": [{"question": "q", "response": "r", "score": 4}]}, "responses"),
    ]
    for change, field in cases:
        body = await gql(ASSESS, {"input": {**base, **change}}, admin_token)
        assert error_codes(body) == ["VALIDATION_ERROR"], body
        assert body["errors"][0]["extensions"]["field"] == field
    unknown = await gql(ASSESS, {"input": {**base, "simulationId": "sim_nope"}}, admin_token)
    assert error_codes(unknown) == ["RESOURCE_NOT_FOUND"]
    assert await models.SimulationAssessment.find_all().count() == 0


async def _seed_records(gql: GraphQLClient, token: str) -> str:
    await _capable_agent()
    sim_id = str((await _start(gql, token))["simulationId"])
    for i in range(7):
        await gql(
            ASSESS,
            {
                "input": {
                    "simulationId": sim_id,
                    "personaId": f"p{i % 2}",
                    "assessmentType": "gad7" if i % 3 else "pss10",
                    "score": i,
                    "day": i,
                }
            },
            token,
        )
    for i in range(4):
        await gql(
            EVENT,
            {
                "input": {
                    "simulationId": sim_id,
                    "personaId": "p0",
                    "eventType": "stress" if i % 2 else "neutral",
                    "title": f"event {i}",
                    "intensity": i / 4,
                    "day": i,
                }
            },
            token,
        )
    await gql(
        """mutation($input: RecordMechanisticInput!) { recordMechanisticData(input: $input)
      { id } }""",
        {
            "input": {
                "simulationId": sim_id,
                "personaId": "p0",
                "dataType": "attention",
                "attentionWeights": {"layer_0": [[0.1, 0.2]]},
                "activationChanges": {"12": 0.9, "3": 0.1},
                "selfReferenceScore": 0.75,
                "emotionalSalience": 0.82,
            }
        },
        token,
    )
    return sim_id


async def test_data_queries_filter_page_and_summarise(gql: GraphQLClient, admin_token: str) -> None:
    sim_id = await _seed_records(gql, admin_token)
    page = await gql(
        """query($f: SimulationDataFilter) {
      simulationAssessments(filter: $f, page: 2, size: 2) {
        assessments { score } pageInfo { totalCount page size pageCount }
        summary { assessmentType count mean min max } } }""",
        {"f": {"simulationId": sim_id, "type": "gad7"}},
        admin_token,
    )
    got = page["data"]["simulationAssessments"]
    assert got["pageInfo"] == {"totalCount": 4, "page": 2, "size": 2, "pageCount": 2}
    assert [a["score"] for a in got["assessments"]] == [4, 5]
    assert got["summary"] == [
        {"assessmentType": "gad7", "count": 4, "mean": 3.0, "min": 1.0, "max": 5.0}
    ]
    persona = await gql(
        """{ simulationAssessments(filter: {personaId: "p1"}) {
      pageInfo { totalCount } } }""",
        token=admin_token,
    )
    assert persona["data"]["simulationAssessments"]["pageInfo"]["totalCount"] == 3
    events = await gql(
        """{ simulationEvents(filter: {type: "stress"}) {
      events { title } summary { stressEvents neutralEvents averageIntensity } } }""",
        token=admin_token,
    )
    assert [e["title"] for e in events["data"]["simulationEvents"]["events"]] == [
        "event 1",
        "event 3",
    ]
    assert events["data"]["simulationEvents"]["summary"] == {
        "stressEvents": 2,
        "neutralEvents": 0,
        "averageIntensity": 0.5,
    }
    mech = await gql(
        """{ mechanisticData { mechanisticData { dataType selfReferenceScore }
      summary { significantLayers selfReference emotional } } }""",
        token=admin_token,
    )
    assert mech["data"]["mechanisticData"]["summary"] == {
        "significantLayers": ["12"],
        "selfReference": 0.75,
        "emotional": 0.82,
    }
    too_big = await gql("{ simulationEvents(size: 101) { pageInfo { size } } }", token=admin_token)
    assert error_codes(too_big) == ["VALIDATION_ERROR"]


async def test_export_formats(gql: GraphQLClient, admin_token: str) -> None:
    sim_id = await _seed_records(gql, admin_token)
    query = """query($f: String!, $t: String, $s: ID) { exportSimulationData(format: $f,
      dataType: $t, simulationId: $s) { filename contentType rows contentBase64 } }"""

    async def export(fmt: str, kind: str) -> tuple[dict[str, Any], bytes]:
        body = await gql(query, {"f": fmt, "t": kind, "s": sim_id}, admin_token)
        assert "errors" not in body, body
        out: dict[str, Any] = body["data"]["exportSimulationData"]
        return out, base64.b64decode(out["contentBase64"])

    meta, raw = await export("csv", "assessments")
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    assert meta["rows"] == 7 and len(rows) == 7 and meta["filename"] == "simulation_assessments.csv"
    assert sorted(int(r["score"]) for r in rows) == list(range(7))
    meta, raw = await export("json", "events")
    assert [e["title"] for e in json.loads(raw)] == [f"event {i}" for i in range(4)]
    meta, raw = await export("parquet", "mechanistic")
    table = pq.read_table(io.BytesIO(raw))
    assert table.num_rows == 1 and table.column("self_reference_score").to_pylist() == [0.75]
    bad = await gql(query, {"f": "xlsx", "t": "events", "s": sim_id}, admin_token)
    assert error_codes(bad) == ["VALIDATION_ERROR"]


async def test_configs_are_listed(gql: GraphQLClient, admin_token: str) -> None:
    body = await gql(
        "{ simulationConfigs { name conditions durationDays personasPerCondition } }",
        token=admin_token,
    )
    names = [c["name"] for c in body["data"]["simulationConfigs"]]
    assert "experimental_design" in names


async def test_a_reference_agent_runs_the_simulation_and_records_it(
    gql: GraphQLClient, admin_token: str, server: RunningServer, tmp_path: Path
) -> None:
    _, key = await register(gql, admin_token, "drift", ["drift_simulation"], heartbeat=True)
    run = await _start(gql, admin_token, durationDays=7, experimentalCondition="TRAUMA")
    agent = AgentProcess(f"{server.url}/graphql", key, ["drift_simulation"], tmp_path).start()
    try:
        deadline = time.monotonic() + 90
        while True:
            status = (await gql(STATUS, token=admin_token))["data"]["simulationStatus"]
            if status["status"] != "running":
                break
            assert time.monotonic() < deadline, agent.log()
            await asyncio.sleep(0.3)
    finally:
        agent.stop()
    assert status["status"] == "completed", agent.log()
    assert status["currentDay"] == 7 and status["activePersonas"] == 3
    results = await gql(
        "query($id: ID) { simulationResults(simulationId: $id) { totalAssessments "
        "baselineAssessments { assessmentType count } driftDetected } }",
        {"id": run["simulationId"]},
        admin_token,
    )
    summary = results["data"]["simulationResults"]
    # day 0 and day 7 for 3 personas on 3 scales
    assert summary["totalAssessments"] == 2 * 3 * 3
    assert {s["assessmentType"] for s in summary["baselineAssessments"]} == {
        "phq9",
        "gad7",
        "pss10",
    }
    task = await models.Task.get(run["taskId"])
    assert task is not None and task.result is not None
    assert task.result["reference_implementation"] is True
