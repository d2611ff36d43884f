"""OCTOSPINE's GraphQL API: its schema overview and its three example operations."""

from __future__ import annotations

import re
from typing import Any

import httpx
import psutil
import pytest

from axonql import models
from axonql.models.system import SystemStatus
from axonql.services.metrics_sampler import disk_path
from axonql.settings import Settings
from tests.agents_support import register
from tests.support import GraphQLClient, error_codes, imported

# The "Schema Overview" of OCTOSPINE, verbatim (comments dropped).
SEED_SCHEMA = """
type Query {
  system: System
  health: HealthStatus
  tasks(filter: TaskFilter): [Task]
  task(id: ID!): Task
  agents(filter: AgentFilter): [Agent]
  agent(id: ID!): Agent
  consciousness: ConsciousnessStatus
  documentation: DocumentationStatus
  searchDocumentation(query: String!): [Document]
  automations(filter: AutomationFilter): [Automation]
  automation(id: ID!): Automation
  metrics(type: MetricType!, period: String!): [Metric]
}
type Mutation {
  createTask(input: CreateTaskInput!): Task
  updateTask(id: ID!, input: UpdateTaskInput!): Task
  deleteTask(id: ID!): Boolean
  createAgent(input: CreateAgentInput!): Agent
  updateAgent(id: ID!, input: UpdateAgentInput!): Agent
  deleteAgent(id: ID!): Boolean
  createAutomation(input: CreateAutomationInput!): Automation
  updateAutomation(id: ID!, input: UpdateAutomationInput!): Automation
  deleteAutomation(id: ID!): Boolean
  triggerLearning(input: LearningInput!): LearningSession
  generateDocumentation(input: DocumentationInput!): DocumentationJob
}
"""

GET_SYSTEM_STATUS = """
query GetSystemStatus {
  system {
    status
    metrics {
      cpuUsage
      memoryUsage
      diskUsage
    }
    applications {
      total
      running
      stopped
    }
  }
}
"""

GET_TASKS = """
query GetTasks($status: TaskStatus, $limit: Int) {
  tasks(filter: { status: $status, limit: $limit }) {
    id
    name
    type
    status
    progress
    createdAt
    lastRun
  }
}
"""

CREATE_TASK = """
mutation CreateTask($input: CreateTaskInput!) {
  createTask(input: $input) {
    id
    name
    status
    createdAt
  }
}
"""

PATHS = ["/graphql", "/api/graphql"]

TYPE_REF = "name kind ofType { name kind ofType { name kind ofType { name kind } } }"
INTROSPECT = (
    "query($name: String!) { __type(name: $name) { fields { name type { "
    + TYPE_REF
    + " } args { name defaultValue type { "
    + TYPE_REF
    + " } } } } }"
)


def _seed_fields(type_name: str) -> list[tuple[str, list[tuple[str, str]], str]]:
    """(field, [(arg, type)], return type) for each field of a seed root type."""
    block = re.search(type_name + r" \{(.*?)\n\}", SEED_SCHEMA, re.S)
    assert block is not None
    fields = []
    for line in block.group(1).strip().splitlines():
        m = re.match(r"\s*(\w+)(?:\((.*)\))?: (.+)$", line)
        assert m is not None, line
        args = [tuple(a.split(": ")) for a in m.group(2).split(", ")] if m.group(2) else []
        fields.append((m.group(1), [(a[0], a[1]) for a in args], m.group(3)))
    return fields


def _sdl(t: dict[str, Any]) -> str:
    if t["kind"] == "NON_NULL":
        return _sdl(t["ofType"]) + "!"
    if t["kind"] == "LIST":
        return "[" + _sdl(t["ofType"]) + "]"
    return str(t["name"])


@pytest.mark.parametrize("root", ["Query", "Mutation"])
async def test_every_seed_field_exists_with_its_arguments(gql: GraphQLClient, root: str) -> None:
    body = await gql(INTROSPECT, {"name": root})
    ours = {f["name"]: f for f in body["data"]["__type"]["fields"]}
    for name, args, returns in _seed_fields(root):
        assert name in ours, f"{root}.{name} is missing"
        field = ours[name]
        # A non-null result (or list item) still satisfies the seed's nullable one.
        assert _sdl(field["type"]).replace("!", "") == returns, name
        our_args = {a["name"]: _sdl(a["type"]) for a in field["args"]}
        for arg, arg_type in args:
            assert our_args.get(arg) == arg_type, f"{root}.{name}({arg}: {arg_type})"
        required = {
            a["name"]
            for a in field["args"]
            if a["type"]["kind"] == "NON_NULL" and a["defaultValue"] is None
        }
        assert required <= {a for a, _ in args}, f"{root}.{name} requires more than the seed"


async def _register_applications() -> None:
    for name, status in [
        ("app-a", SystemStatus.HEALTHY),
        ("app-b", SystemStatus.DEGRADED),
        ("app-c", SystemStatus.STOPPED),
    ]:
        await models.System(name=name, status=status).insert()


@pytest.mark.parametrize("path", PATHS)
async def test_get_system_status_verbatim(
    http: httpx.AsyncClient, admin_token: str, settings: Settings, path: str
) -> None:
    await _register_applications()
    body = await GraphQLClient(http, path)(GET_SYSTEM_STATUS, token=admin_token)
    assert "errors" not in body, body
    system = body["data"]["system"]
    assert system["status"] == "HEALTHY"
    assert system["applications"] == {"total": 3, "running": 2, "stopped": 1}
    metrics = system["metrics"]
    assert 0.0 <= metrics["cpuUsage"] <= 100.0
    assert abs(metrics["memoryUsage"] - psutil.virtual_memory().percent) < 15
    assert abs(metrics["diskUsage"] - psutil.disk_usage(disk_path(settings)).percent) < 5


@pytest.mark.parametrize("path", PATHS)
async def test_get_tasks_with_filtering_verbatim(
    http: httpx.AsyncClient, admin_token: str, path: str
) -> None:
    gql = GraphQLClient(http, path)
    for name in ["one", "two", "three"]:
        created = await gql(CREATE_TASK, {"input": {"name": name}}, admin_token)
        assert "errors" not in created, created
    await models.Task.find(models.Task.name == "two").update({"$set": {"status": "running"}})
    body = await gql(GET_TASKS, {"status": "RUNNING", "limit": 10}, admin_token)
    assert [t["name"] for t in body["data"]["tasks"]] == ["two"]
    assert set(body["data"]["tasks"][0]) == {
        "id",
        "name",
        "type",
        "status",
        "progress",
        "createdAt",
        "lastRun",
    }
    body = await gql(GET_TASKS, {"limit": 2}, admin_token)
    assert len(body["data"]["tasks"]) == 2


@pytest.mark.parametrize("path", PATHS)
async def test_create_task_verbatim(http: httpx.AsyncClient, admin_token: str, path: str) -> None:
    body = await GraphQLClient(http, path)(
        CREATE_TASK,
        {"input": {"name": "Data Processing Task", "type": "data_processing"}},
        admin_token,
    )
    task = body["data"]["createTask"]
    assert task["name"] == "Data Processing Task"
    assert task["status"] == "CREATED"
    stored = await models.Task.get(task["id"])
    assert stored is not None and stored.type == "data_processing"


async def test_health_is_public_and_pings_the_database(http: httpx.AsyncClient) -> None:
    gql = GraphQLClient(http, "/api/graphql")
    body = await gql(
        "{ health { status timestamp version uptime services { database cache queue } } }"
    )
    health = body["data"]["health"]
    assert health["status"] == "healthy"
    assert health["services"] == {"database": "healthy", "cache": "healthy", "queue": "healthy"}
    assert health["uptime"] > 0


async def test_remaining_seed_queries_answer(http: httpx.AsyncClient, admin_token: str) -> None:
    """consciousness, documentation, searchDocumentation, automations, automation, metrics."""
    gql = GraphQLClient(http, "/api/graphql")
    await imported(
        models.Memory(
            type="document",
            title="Authentication API Reference",
            content="Authentication methods and endpoints.",
            context={"doc_type": "api_reference"},
        )
    )
    await models.MetricSample(metric="cpu_usage", value=42.0).insert()
    body = await gql(
        """{
          consciousness { status consciousnessLevel memoryUsage { shortTerm longTerm }
            learningProgress { totalPatterns newPatternsToday adaptationRate }
            decisionMetrics { totalDecisions successfulDecisions confidenceAverage } }
          documentation { totalDocuments types { type count } }
          searchDocumentation(query: "authentication") { title type relevanceScore }
          automations { id }
          metrics(type: CPU_USAGE, period: "1h") { value }
        }""",
        token=admin_token,
    )
    assert "errors" not in body, body
    data = body["data"]
    assert data["consciousness"]["status"] == "active"
    assert data["documentation"]["types"] == [{"type": "api_reference", "count": 1}]
    assert data["searchDocumentation"][0]["title"] == "Authentication API Reference"
    assert 0 < data["searchDocumentation"][0]["relevanceScore"] <= 1
    assert data["automations"] == []
    assert 42.0 in [m["value"] for m in data["metrics"]]
    missing = await gql('{ automation(id: "task_nope") { id } }', token=admin_token)
    assert error_codes(missing) == ["RESOURCE_NOT_FOUND"]


async def test_remaining_seed_mutations_answer(http: httpx.AsyncClient, admin_token: str) -> None:
    """createAutomation … deleteAutomation, triggerLearning, generateDocumentation."""
    gql = GraphQLClient(http, "/api/graphql")
    created = await gql(
        """mutation { createAutomation(input: {name: "Data Pipeline Automation",
             triggers: [{type: SCHEDULE, value: "0 */6 * * *"}],
             steps: [{name: "data_extraction", type: "extract"}]}) { id status } }""",
        token=admin_token,
    )
    automation = created["data"]["createAutomation"]
    assert automation["status"] == "ACTIVE"
    updated = await gql(
        "mutation($id: ID!) { updateAutomation(id: $id, input: {enabled: false}) { status } }",
        {"id": automation["id"]},
        admin_token,
    )
    assert updated["data"]["updateAutomation"]["status"] == "PAUSED"
    learning = await gql(
        """mutation { triggerLearning(input: {sessionType: "pattern_recognition",
             duration: 3600, focusAreas: ["data_processing"]}) {
             sessionId status estimatedCompletion focusAreas } }""",
        token=admin_token,
    )
    session = learning["data"]["triggerLearning"]
    assert session["status"] == "started"
    assert session["focusAreas"] == ["data_processing"]
    document = """mutation { generateDocumentation(input: {type: "api_reference",
             targets: ["services", "components"]}) { jobId status targets } }"""
    unserved = await gql(document, token=admin_token)
    assert error_codes(unserved) == ["NO_CAPABLE_AGENT"]  # a job needs a writer online
    await register(gql, admin_token, "writer", ["documentation"])
    docs = await gql(document, token=admin_token)
    assert docs["data"]["generateDocumentation"]["targets"] == ["services", "components"]
    assert docs["data"]["generateDocumentation"]["status"] == "queued"
    deleted = await gql(
        "mutation($id: ID!) { deleteAutomation(id: $id) }", {"id": automation["id"]}, admin_token
    )
    assert deleted["data"]["deleteAutomation"] is True
