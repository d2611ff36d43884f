"""What the legacy paths answer is computed behind GraphQL fields (issue #13): a GraphQL client
asking the field gets the REST answer's figures, and the writes are single conditional ones."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import httpx

from axonql import models
from axonql.agent.nexus_handlers import process_one
from axonql.models.base import utcnow
from axonql.models.system import MetricName
from tests.agents_support import COMPLETE, FAIL, HEARTBEAT, claim, queued_task, register
from tests.support import GraphQLClient, error_codes


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def ok(gql: GraphQLClient, token: str, query: str, **variables: Any) -> dict[str, Any]:
    body = await gql(query, variables, token)
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def _nexusnet(gql: GraphQLClient, token: str) -> None:
    """NexusNet's system with one plugin and one component of another type."""
    await ok(
        gql,
        token,
        "mutation($input: CreateSystemInput!) { createSystem(input: $input) { id } }",
        input={
            "id": "nexusnet",
            "name": "NexusNet",
            "components": [
                {
                    "componentId": "encoder",
                    "type": "plugin",
                    "state": "active",
                    "configuration": {"version": "2.1.0", "max_length": 512},
                },
                {"componentId": "scheduler", "type": "module", "state": "active"},
            ],
        },
    )


CHANGE = """mutation($name: String!, $active: Boolean, $config: JSON) {
  changePlugin(name: $name, active: $active, configuration: $config) {
    name status active version configuration
  }
}"""


async def test_plugins_answer_the_same_over_graphql_and_rest(
    gql: GraphQLClient, http: httpx.AsyncClient, admin_token: str
) -> None:
    await _nexusnet(gql, admin_token)
    listed = await ok(
        gql, admin_token, "{ plugins { totalPlugins activePlugins plugins { name } } }"
    )
    assert listed["plugins"] == {
        "totalPlugins": 1,
        "activePlugins": 1,
        "plugins": [{"name": "encoder"}],
    }
    rest = (await http.get("/plugins", headers=auth(admin_token))).json()
    assert (rest["total_plugins"], rest["active_plugins"]) == (1, 1)

    changed = await ok(gql, admin_token, CHANGE, name="encoder", active=False)
    assert changed["changePlugin"]["status"] == "inactive"
    status = (await http.get("/plugins/encoder/status", headers=auth(admin_token))).json()
    assert status["status"] == "inactive" and status["initialized"] is False

    # A settings change merges into the configuration: the plugin's version stays.
    merged = await ok(gql, admin_token, CHANGE, name="encoder", config={"max_length": 1024})
    assert merged["changePlugin"]["configuration"] == {"version": "2.1.0", "max_length": 1024}
    assert merged["changePlugin"]["version"] == "2.1.0"


async def test_changing_an_unknown_plugin_changes_nothing(
    gql: GraphQLClient, http: httpx.AsyncClient, admin_token: str
) -> None:
    await _nexusnet(gql, admin_token)
    for name in ("ghost", "scheduler"):  # no such component; a component that is no plugin
        body = await gql(CHANGE, {"name": name, "active": False}, admin_token)
        assert error_codes(body) == ["RESOURCE_NOT_FOUND"], body
    response = await http.post("/plugins/scheduler/deactivate", headers=auth(admin_token))
    assert response.status_code == 404, response.text
    system = await models.System.get("nexusnet")
    assert system is not None
    assert [(c.component_id, c.state) for c in system.components] == [
        ("encoder", "active"),
        ("scheduler", "active"),
    ]


STATUS = """query($id: ID!) {
  trainingStatus(id: $id) {
    trainingId status progress currentEpoch totalEpochs estimatedTimeRemaining
    metrics { loss accuracy validationLoss validationAccuracy }
  }
}"""
CREATE_TASK = "mutation($i: CreateTaskInput!) { createTask(input: $i) { id status } }"


async def test_a_queued_training_reports_no_figures_yet(
    gql: GraphQLClient, http: httpx.AsyncClient, admin_token: str
) -> None:
    created = await ok(
        gql,
        admin_token,
        CREATE_TASK,
        i={"name": "t", "type": "training", "parameters": {"training_config": {"epochs": 7}}},
    )
    training_id = created["createTask"]["id"]
    found = (await ok(gql, admin_token, STATUS, id=training_id))["trainingStatus"]
    assert found == {
        "trainingId": training_id,
        "status": "queued",
        "progress": 0.0,
        "currentEpoch": 0,
        "totalEpochs": 7,
        "estimatedTimeRemaining": None,
        "metrics": {
            "loss": None,
            "accuracy": None,
            "validationLoss": None,
            "validationAccuracy": None,
        },
    }
    rest = (await http.get(f"/train/{training_id}/status", headers=auth(admin_token))).json()
    assert rest["status"] == "queued" and rest["total_epochs"] == 7
    assert rest["metrics"] == dict.fromkeys(
        ("loss", "accuracy", "validation_loss", "validation_accuracy")
    )


async def test_cancel_training_touches_only_trainings(gql: GraphQLClient, admin_token: str) -> None:
    other = await ok(gql, admin_token, CREATE_TASK, i={"name": "e", "type": "echo"})
    other_id = other["createTask"]["id"]
    cancel = "mutation($id: ID!) { cancelTraining(id: $id) { id status } }"
    body = await gql(cancel, {"id": other_id}, admin_token)
    assert error_codes(body) == ["RESOURCE_NOT_FOUND"], body
    task = await models.Task.get(other_id)
    assert task is not None and task.status.value == "created"

    training = await ok(gql, admin_token, CREATE_TASK, i={"name": "t", "type": "training"})
    training_id = training["createTask"]["id"]
    done = await ok(gql, admin_token, cancel, id=training_id)
    assert done["cancelTraining"]["status"] == "CANCELLED"
    again = await gql(cancel, {"id": training_id}, admin_token)
    assert error_codes(again) == ["ILLEGAL_TRANSITION"], again


PIPELINE = "{ matrizPipeline { status agentsOnline activePillars } }"
REGISTRY = "{ registry { totalCount health nodes { nodeId online } } }"


async def test_one_definition_of_an_online_agent(
    gql: GraphQLClient, http: httpx.AsyncClient, admin_token: str
) -> None:
    """A registered agent is online once it sends heartbeats, for the pipeline and registry
    alike; a registration alone does not make a node online."""
    _, key = await register(gql, admin_token, "matriz worker", ["matriz"], heartbeat=False)
    offline = (await ok(gql, admin_token, PIPELINE))["matrizPipeline"]
    assert offline == {"status": "offline", "agentsOnline": 0, "activePillars": []}
    beat = await gql(HEARTBEAT, {}, key)
    assert "errors" not in beat, beat
    online = (await ok(gql, admin_token, PIPELINE))["matrizPipeline"]
    assert online["status"] == "active" and online["agentsOnline"] == 1

    node = {"node_id": "n1", "constellation_metadata": {"compatible_pillars": ["🧠"]}}
    response = await http.post(
        "/v1/constellation/registry/nodes", json=node, headers=auth(admin_token)
    )
    assert response.status_code == 200, response.text
    checks = response.json()["validation_results"]
    assert checks["constellation_compatibility"] == "verified"
    registry = (await ok(gql, admin_token, REGISTRY))["registry"]
    assert registry == {
        "totalCount": 1,
        "health": "degraded",
        "nodes": [{"nodeId": "n1", "online": False}],
    }
    listed = (await http.get("/v1/constellation/registry/nodes", headers=auth(admin_token))).json()
    assert listed["registry_health"] == "degraded"
    assert listed["nodes"][0]["availability"] == "offline"


async def test_automation_count_is_not_capped(
    gql: GraphQLClient, http: httpx.AsyncClient, admin_token: str
) -> None:
    now = utcnow()
    await models.Task.insert_many(
        [models.Task(name=f"a{i}", is_automation=True, created_at=now) for i in range(503)]
    )
    counted = await ok(gql, admin_token, "{ automationCount }")
    assert counted["automationCount"] == 503
    page = await http.get("/api/automations", params={"limit": 2}, headers=auth(admin_token))
    assert page.status_code == 200, page.text
    assert page.json()["data"]["pagination"]["total"] == 503


async def test_metric_summary_averages_over_samples(gql: GraphQLClient, admin_token: str) -> None:
    now = utcnow()
    values = [(now - timedelta(minutes=m), v) for m, v in ((30, 10.0), (20, 40.0), (10, 25.0))]
    await models.MetricSample.insert_many(
        [
            models.MetricSample(
                system_id="sys_measured",
                metric=MetricName.RESPONSE_TIME.value,
                value=v,
                timestamp=t,
            )
            for t, v in values
        ]
    )
    query = """{ metricSummary(type: RESPONSE_TIME, period: "1h", systemId: "sys_measured") {
      average peak latest samples points { value } } }"""
    found = (await ok(gql, admin_token, query))["metricSummary"]
    assert found == {
        "average": 25.0,
        "peak": 40.0,
        "latest": 25.0,
        "samples": 3,
        "points": [{"value": 10.0}, {"value": 40.0}, {"value": 25.0}],
    }
    empty = await ok(gql, admin_token, query.replace("sys_measured", "sys_silent"))
    assert empty["metricSummary"]["average"] is None and empty["metricSummary"]["samples"] == 0


CREATE_POPULATION = "mutation($i: CreatePopulationInput!) { createPopulation(input: $i) { id } }"


async def test_evolution_names_the_architecture_genes(
    gql: GraphQLClient, http: httpx.AsyncClient, admin_token: str
) -> None:
    genes = [
        {"name": "layers", "min": 1, "max": 12, "integer": True},
        {"name": "dropout", "min": 0, "max": 0.5},
    ]
    population = {"id": "net", "name": "net", "size": 4, "seed": 5, "genomeSpec": genes}
    await ok(gql, admin_token, CREATE_POPULATION, i=population)
    query = '{ evolutionStatus(populationId: "net") { architectureGenes } }'
    found = await ok(gql, admin_token, query)
    assert found["evolutionStatus"]["architectureGenes"] == ["layers"]
    response = await http.get(
        "/evolution/status", params={"population_id": "net"}, headers=auth(admin_token)
    )
    assert response.status_code == 200, response.text
    for individual in response.json()["current_population"]:
        assert set(individual["architecture"]) == {"layers"}
        assert set(individual["hyperparameters"]) == {"dropout"}


async def test_intelligence_score_is_the_mean_over_every_population(
    gql: GraphQLClient, http: httpx.AsyncClient, admin_token: str
) -> None:
    empty = await ok(gql, admin_token, "{ systemIntelligenceScore }")
    assert empty["systemIntelligenceScore"] == 0.0
    for name, fitness in (("a", [0.2, 0.4]), ("b", [0.9])):
        individuals = [{"genome": {"g": 0.5}, "fitness": f} for f in fitness]
        await ok(
            gql,
            admin_token,
            CREATE_POPULATION,
            i={"id": name, "name": name, "individuals": individuals},
        )
    found = await ok(gql, admin_token, "{ systemIntelligenceScore }")
    assert found["systemIntelligenceScore"] == round((0.3 + 0.9) / 2, 4)
    rest = (await http.get("/api/v2/neural/populations", headers=auth(admin_token))).json()
    assert rest["system_intelligence_score"] == found["systemIntelligenceScore"]


def test_reference_confidence_is_the_share_of_the_input_read() -> None:
    """NexusNet `/process` from the reference agent: a deterministic, labelled score."""
    text = process_one({"input_data": "plain words here --- ???", "input_type": "text"})
    assert text["metadata"]["confidence_score"] == 0.6  # 3 of 5 words have a letter or digit
    assert "not a model's confidence" in text["metadata"]["confidence_basis"]
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(16)).decode()
    image = process_one({"input_data": png, "input_type": "image"})
    assert image["metadata"]["confidence_score"] == 1.0
    unread = process_one({"input_data": "not base64 at all!", "input_type": "image"})
    assert unread["metadata"]["confidence_score"] == 0.0
    again = process_one({"input_data": "plain words here --- ???", "input_type": "text"})
    assert again["metadata"]["confidence_score"] == text["metadata"]["confidence_score"]


async def test_guardian_figures_come_from_the_validations(
    gql: GraphQLClient, http: httpx.AsyncClient, admin_token: str
) -> None:
    _, key = await register(gql, admin_token, "guardian", ["guardian"])
    for outcome in ("approved", "failed"):
        await queued_task(gql, admin_token, type="guardian", requiredCapabilities=["guardian"])
        task = await claim(gql, key, caps=["guardian"])
        assert task is not None
        if outcome == "approved":
            done = await gql(COMPLETE, {"id": task["id"], "r": {"decision": "APPROVED"}}, key)
        else:
            done = await gql(FAIL, {"id": task["id"], "e": "no", "retry": False}, key)
        assert "errors" not in done, done
    query = """{ guardianDecisions { totalValidations failedValidations approvals rejections
      approvalRate averageValidationTimeMs } }"""
    found = (await ok(gql, admin_token, query))["guardianDecisions"]
    assert found["averageValidationTimeMs"] >= 0
    del found["averageValidationTimeMs"]
    assert found == {
        "totalValidations": 2,
        "failedValidations": 1,
        "approvals": 1,
        "rejections": 0,
        "approvalRate": 1.0,
    }
    status = (await http.get("/v1/status", headers=auth(admin_token))).json()
    assert status["guardian"]["total_validations"] == 2
    assert status["guardian"]["failed_validations"] == 1


async def test_one_definition_of_an_inactive_component(
    gql: GraphQLClient, admin_token: str
) -> None:
    states = ["active", "inactive", "unhealthy", "disabled", "degraded"]
    components = [{"componentId": f"c{i}", "state": s} for i, s in enumerate(states)]
    await ok(
        gql,
        admin_token,
        "mutation($input: CreateSystemInput!) { createSystem(input: $input) { id } }",
        input={"id": "many", "name": "many", "components": components},
    )
    query = '{ system(id: "many") { activeComponents applications { running stopped } } }'
    found = (await ok(gql, admin_token, query))["system"]
    assert found == {"activeComponents": 2, "applications": {"running": 2, "stopped": 3}}
