"""Systems, health, consciousness, documentation and metrics over real HTTP and a real database."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from axonql import models
from axonql.app import create_app
from axonql.database import make_client
from axonql.models.base import utcnow
from axonql.models.system import SERVER_SYSTEM_ID
from axonql.scopes import Scope
from axonql.services import latest_metrics, tallies
from axonql.services.metric_series import bucket
from axonql.services.metrics_sampler import MetricsSampler
from axonql.services.systems import check_health
from axonql.settings import Settings
from tests.agents_support import register
from tests.support import (
    GraphQLClient,
    RequestCommands,
    RunningServer,
    error_codes,
    extra_server,
    free_port,
    imported,
    token_for,
)

SYSTEM_FIELDS = """id name kind status version consciousnessLevel awarenessState tags config
  components { componentId type state healthScore errorRate configuration }"""

CREATE = f"""mutation($input: CreateSystemInput!) {{
  createSystem(input: $input) {{ {SYSTEM_FIELDS} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: UpdateSystemInput!) {{
  updateSystem(id: $id, input: $input) {{ {SYSTEM_FIELDS} }} }}"""


def ext(body: dict[str, Any]) -> dict[str, Any]:
    return dict(body["errors"][0]["extensions"])


async def _create(gql: GraphQLClient, token: str, **fields: Any) -> dict[str, Any]:
    body = await gql(CREATE, {"input": fields}, token)
    assert "errors" not in body, body
    return dict(body["data"]["createSystem"])


async def test_system_crud_with_config_patch(gql: GraphQLClient, admin_token: str) -> None:
    created = await _create(
        gql,
        admin_token,
        id="nexusnet",
        name="NexusNet",
        kind="nexusnet",
        consciousnessLevel=0.66,
        components=[{"componentId": "neural_processor", "type": "plugin"}],
        config={"features": {"evolution": True}, "limits": {"max_agents": 100}},
        tags=["neural"],
    )
    assert created["id"] == "nexusnet"
    assert created["status"] == "HEALTHY"
    assert created["components"][0]["componentId"] == "neural_processor"

    updated = await gql(
        UPDATE,
        {
            "id": "nexusnet",
            "input": {
                "status": "DEGRADED",
                "configPatch": {"limits.max_agents": 50, "features.evolution": None, "x.y": 1},
            },
        },
        admin_token,
    )
    system = updated["data"]["updateSystem"]
    assert system["status"] == "DEGRADED"
    assert system["config"] == {"features": {}, "limits": {"max_agents": 50}, "x": {"y": 1}}

    bad_path = await gql(
        UPDATE, {"id": "nexusnet", "input": {"configPatch": {"limits..x": 1}}}, admin_token
    )
    assert ext(bad_path)["code"] == "VALIDATION_ERROR"
    assert ext(bad_path)["field"] == "configPatch.limits..x"

    fetched = await gql('{ system(id: "nexusnet") { name uptime } }', token=admin_token)
    assert fetched["data"]["system"]["name"] == "NexusNet"
    assert fetched["data"]["system"]["uptime"] >= 0

    deleted = await gql('mutation { deleteSystem(id: "nexusnet") }', token=admin_token)
    assert deleted["data"]["deleteSystem"] is True
    assert await models.System.get("nexusnet") is None
    changes = [e.payload["change"] async for e in models.Event.find({"system_id": "nexusnet"})]
    assert changes == ["created", "updated", "deleted"]


async def test_system_filters_and_connection(gql: GraphQLClient, admin_token: str) -> None:
    for name, status, kind, level, tags in [
        ("Alpha", "HEALTHY", "lukhas", 0.2, ["a"]),
        ("Beta", "STOPPED", "lukhas", 0.4, ["a", "b"]),
        ("Gamma", "HEALTHY", "nexusnet", 0.6, ["b"]),
        ("Delta", "OFFLINE", "nexusnet", 0.8, []),
    ]:
        await _create(
            gql,
            admin_token,
            name=name,
            status=status,
            kind=kind,
            consciousnessLevel=level,
            tags=tags,
        )

    async def names(filter: dict[str, Any]) -> list[str]:
        body = await gql(
            "query($f: SystemFilter) { systems(filter: $f) { name } }", {"f": filter}, admin_token
        )
        assert "errors" not in body, body
        return sorted(s["name"] for s in body["data"]["systems"])

    assert await names({"status": "HEALTHY", "kind": "lukhas"}) == ["Alpha"]
    assert await names({"tags": ["b"]}) == ["Beta", "Gamma"]
    assert await names({"minConsciousnessLevel": 0.55, "maxConsciousnessLevel": 0.7}) == ["Gamma"]
    assert await names({"search": "ELT"}) == ["Delta"]
    assert len(await names({"limit": 2})) == 2

    page_query = """query($after: String) {
      systemsConnection(first: 2, after: $after, sort: {field: CONSCIOUSNESS_LEVEL, direction: ASC},
                        filter: {kind: "nexusnet"}) {
        totalCount pageInfo { hasNextPage endCursor } nodes { name } } }"""
    first = (await gql(page_query, {}, admin_token))["data"]["systemsConnection"]
    assert first["totalCount"] == 2
    assert [n["name"] for n in first["nodes"]] == ["Gamma", "Delta"]
    assert first["pageInfo"]["hasNextPage"] is False

    all_pages: list[str] = []
    after = None
    while True:
        body = await gql(
            """query($after: String) { systemsConnection(first: 2, after: $after,
                 sort: {field: NAME, direction: ASC}) {
                 pageInfo { hasNextPage endCursor } nodes { name } } }""",
            {"after": after},
            admin_token,
        )
        conn = body["data"]["systemsConnection"]
        all_pages += [n["name"] for n in conn["nodes"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert all_pages == ["Alpha", "AxonQL", "Beta", "Delta", "Gamma"]


async def test_system_relations_and_application_counts(
    gql: GraphQLClient, admin_token: str
) -> None:
    await _create(
        gql,
        admin_token,
        id="lukhas",
        name="LUKHAS",
        components=[
            {"componentId": "memory", "state": "active"},
            {"componentId": "attention", "state": "stopped"},
        ],
    )
    await models.Agent(name="worker", system_id="lukhas").insert()
    await models.Task(name="t-run", system_id="lukhas", status="running").insert()
    await models.Task(name="t-new", system_id="lukhas").insert()
    await models.Task(name="elsewhere", system_id="other").insert()
    body = await gql(
        """{ system(id: "lukhas") { agents { name } tasks { name } running: tasks(status: RUNNING)
             { name } applications { total running stopped } metrics { cpuUsage source } } }""",
        token=admin_token,
    )
    system = body["data"]["system"]
    assert system["agents"] == [{"name": "worker"}]
    assert sorted(t["name"] for t in system["tasks"]) == ["t-new", "t-run"]
    assert system["running"] == [{"name": "t-run"}]
    assert system["applications"] == {"total": 2, "running": 1, "stopped": 1}
    assert system["metrics"] == {"cpuUsage": None, "source": "samples"}

    await latest_metrics.store(
        [models.MetricSample(system_id="lukhas", metric="cpu_usage", value=12.5)]
    )
    body = await gql('{ system(id: "lukhas") { metrics { cpuUsage } } }', token=admin_token)
    assert body["data"]["system"]["metrics"]["cpuUsage"] == 12.5


async def test_components_upsert_and_remove(gql: GraphQLClient, admin_token: str) -> None:
    await _create(gql, admin_token, id="octo", name="OCTOSPINE")
    upsert = """mutation($input: ComponentInput!) {
      upsertComponent(systemId: "octo", input: $input) { components { componentId type state
        healthScore errorRate } } }"""
    body = await gql(
        upsert, {"input": {"componentId": "agent_network", "type": "plugin"}}, admin_token
    )
    assert body["data"]["upsertComponent"]["components"][0]["type"] == "plugin"
    body = await gql(
        upsert,
        {"input": {"componentId": "agent_network", "healthScore": 0.4, "errorRate": 0.1}},
        admin_token,
    )
    assert body["data"]["upsertComponent"]["components"] == [
        {
            "componentId": "agent_network",
            "type": "plugin",
            "state": "active",
            "healthScore": 0.4,
            "errorRate": 0.1,
        }
    ]
    bad = await gql(upsert, {"input": {"componentId": "x", "healthScore": 1.5}}, admin_token)
    assert (ext(bad)["code"], ext(bad)["field"]) == ("VALIDATION_ERROR", "healthScore")
    stored = await models.System.get("octo")
    assert stored is not None and [c.component_id for c in stored.components] == ["agent_network"]
    charted = await gql(
        '{ metrics(type: ERROR_RATE, period: "1h", componentId: "agent_network") { value } }',
        token=admin_token,
    )
    assert charted["data"]["metrics"] == [{"value": 0.1}]

    removed = await gql(
        'mutation { removeComponent(systemId: "octo", componentId: "agent_network") '
        "{ components { componentId } } }",
        token=admin_token,
    )
    assert removed["data"]["removeComponent"]["components"] == []
    again = await gql(
        'mutation { removeComponent(systemId: "octo", componentId: "agent_network") { id } }',
        token=admin_token,
    )
    assert error_codes(again) == ["RESOURCE_NOT_FOUND"]


async def test_concurrent_component_reports_are_all_kept(
    gql: GraphQLClient, admin_token: str
) -> None:
    await _create(gql, admin_token, id="busy", name="Busy")
    upsert = """mutation($id: ID!) { upsertComponent(systemId: "busy",
      input: {componentId: $id, state: "active"}) { id } }"""
    ids = [f"c{i}" for i in range(20)] * 2
    bodies = await asyncio.gather(*(gql(upsert, {"id": c}, admin_token) for c in ids))
    assert all("errors" not in b for b in bodies)
    stored = await models.System.get("busy")
    assert stored is not None
    assert sorted(c.component_id for c in stored.components) == sorted(set(ids))


NEW_PATTERNS = "{ consciousness { learningProgress { totalPatterns newPatternsToday } } }"
CREATE_MEMORY = "mutation($i: CreateMemoryInput!) { createMemory(input: $i) { id } }"


async def test_new_patterns_today_come_from_counts_the_writes_keep(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    """`newPatternsToday` is kept per day by the writes that store, retype and delete memories:
    reading it reads no memory, however many were stored today (it counted them before)."""

    async def store(kind: str) -> str:
        body = await gql(CREATE_MEMORY, {"i": {"content": kind, "type": kind}}, admin_token)
        assert "errors" not in body, body
        memory_id: str = body["data"]["createMemory"]["id"]
        return memory_id

    semantic = [await store("semantic") for _ in range(3)]
    await store("procedural")
    episodic = await store("episodic")
    with request_commands.kept():
        body = await gql(NEW_PATTERNS, token=admin_token)
    assert body["data"]["consciousness"]["learningProgress"] == {
        "totalPatterns": 4,
        "newPatternsToday": 4,
    }
    read = [c for c in request_commands.commands if "memories" in c.values()]
    assert read == [], read

    # retyped into a pattern and out of one, and deleted: the day's count follows
    retype = "mutation($id: ID!, $t: String!) { updateMemory(id: $id, input: {type: $t}) { id } }"
    for memory_id, kind in ((episodic, "procedural"), (semantic[0], "episodic")):
        assert "errors" not in await gql(retype, {"id": memory_id, "t": kind}, admin_token)
    gone = await gql(
        "mutation($id: ID!) { deleteMemory(id: $id) }", {"id": semantic[1]}, admin_token
    )
    assert gone["data"]["deleteMemory"] is True, gone
    body = await gql(NEW_PATTERNS, token=admin_token)
    assert body["data"]["consciousness"]["learningProgress"]["newPatternsToday"] == 3


async def test_past_days_memory_counts_are_forgotten_today_and_yesterday_kept() -> None:
    """Each day leaves its own tally kind; the scheduler's pass (every second here) deletes
    those before yesterday, never read again, by a range of the `kind` index."""
    today = utcnow().date()
    days = [today - timedelta(days=n) for n in range(4)]
    deltas = tallies.Deltas()
    deltas.add(tallies.MEMORIES, tallies.memory_cell(None, "short_term", "semantic"), 4)
    for day in days:
        deltas.add(tallies.memory_day_kind(day), "o=|y=semantic", 1)
    await tallies.apply(deltas)
    kept = {tallies.MEMORIES, tallies.memory_day_kind(today), tallies.memory_day_kind(days[1])}
    async with asyncio.timeout(10):
        while {t.kind for t in await models.Tally.find({}).to_list()} != kept:
            await asyncio.sleep(0.1)
    assert await tallies.forget_past_days(today) == 0
    assert (await tallies.read(tallies.memory_day_kind(today))).counts == {"o=|y=semantic": 1}


async def test_consciousness_level_out_of_range_changes_nothing(
    gql: GraphQLClient, admin_token: str
) -> None:
    before = await models.System.get(SERVER_SYSTEM_ID)
    assert before is not None
    body = await gql("mutation { updateConsciousness(level: 1.5) { id } }", token=admin_token)
    assert ext(body)["code"] == "CONSCIOUSNESS_LEVEL_INVALID"
    assert ext(body)["field"] == "level"
    body = await gql(
        UPDATE, {"id": SERVER_SYSTEM_ID, "input": {"consciousnessLevel": -0.1}}, admin_token
    )
    assert ext(body)["code"] == "CONSCIOUSNESS_LEVEL_INVALID"
    body = await gql(
        CREATE, {"input": {"name": "Too aware", "consciousnessLevel": 1.5}}, admin_token
    )
    assert ext(body)["code"] == "CONSCIOUSNESS_LEVEL_INVALID"
    after = await models.System.get(SERVER_SYSTEM_ID)
    assert after is not None
    assert after.model_dump() == before.model_dump()
    assert await models.System.find({"name": "Too aware"}).count() == 0
    assert await models.Event.find({"type": "CONSCIOUSNESS_UPDATE"}).count() == 0


async def test_update_consciousness_emits_event(gql: GraphQLClient, admin_token: str) -> None:
    body = await gql(
        'mutation { updateConsciousness(level: 0.9, awarenessState: "focused") '
        "{ id consciousnessLevel awarenessState } }",
        token=admin_token,
    )
    assert body["data"]["updateConsciousness"] == {
        "id": SERVER_SYSTEM_ID,
        "consciousnessLevel": 0.9,
        "awarenessState": "focused",
    }
    events = await models.Event.find({"type": "CONSCIOUSNESS_UPDATE"}).to_list()
    assert len(events) == 1
    assert events[0].system_id == SERVER_SYSTEM_ID
    assert events[0].payload["previous_level"] == 0.5
    assert events[0].payload["consciousness_level"] == 0.9
    empty = await gql("mutation { updateConsciousness { id } }", token=admin_token)
    assert ext(empty)["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "operation",
    [
        '{ system(id: "sys_missing") { id } }',
        '{ consciousness(systemId: "sys_missing") { status } }',
        '{ documentationJob(id: "task_missing") { status } }',
        'mutation { updateSystem(id: "sys_missing", input: {name: "x"}) { id } }',
        'mutation { deleteSystem(id: "sys_missing") }',
        'mutation { upsertComponent(systemId: "sys_missing", input: {componentId: "c"}) { id } }',
        'mutation { updateConsciousness(systemId: "sys_missing", level: 0.3) { id } }',
        'mutation { triggerLearning(input: {sessionType: "x", systemId: "sys_missing"}) '
        "{ sessionId } }",
        'mutation { generateDocumentation(input: {type: "x", targets: ["y"], '
        'systemId: "sys_missing"}) { jobId } }',
    ],
)
async def test_unknown_ids_are_not_found(
    gql: GraphQLClient, admin_token: str, operation: str
) -> None:
    assert error_codes(await gql(operation, token=admin_token)) == ["RESOURCE_NOT_FOUND"]
    assert await models.Task.find({}).count() == 0


async def test_bad_input_is_refused_and_stores_nothing(
    gql: GraphQLClient, admin_token: str
) -> None:
    long_name = await gql(CREATE, {"input": {"name": "n" * 5000}}, admin_token)
    assert (ext(long_name)["code"], ext(long_name)["field"]) == ("VALIDATION_ERROR", "name")
    bad_id = await gql(CREATE, {"input": {"id": "no spaces", "name": "x"}}, admin_token)
    assert ext(bad_id)["field"] == "id"
    wrong_type = await gql(
        CREATE, {"input": {"name": "x", "consciousnessLevel": "high"}}, admin_token
    )
    assert wrong_type["errors"]
    assert await models.System.find({"_id": {"$ne": SERVER_SYSTEM_ID}}).count() == 0

    await _create(gql, admin_token, name="Unique")
    duplicate = await gql(CREATE, {"input": {"name": "Unique"}}, admin_token)
    assert error_codes(duplicate) == ["CONFLICT"]
    server = await gql(f'mutation {{ deleteSystem(id: "{SERVER_SYSTEM_ID}") }}', token=admin_token)
    assert error_codes(server) == ["CONFLICT"]
    assert await models.System.get(SERVER_SYSTEM_ID) is not None


async def test_scopes_guard_system_fields(gql: GraphQLClient, settings: Settings) -> None:
    reader = await token_for(settings, [Scope.CONSCIOUSNESS_READ], user_id="user_reader")
    assert "errors" not in await gql("{ system { id } consciousness { status } }", token=reader)
    refused = await gql('mutation { createSystem(input: {name: "x"}) { id } }', token=reader)
    assert error_codes(refused) == ["AUTHORIZATION_DENIED"]
    refused = await gql("mutation { updateConsciousness(level: 0.2) { id } }", token=reader)
    assert error_codes(refused) == ["AUTHORIZATION_DENIED"]
    refused = await gql('{ metrics(type: CPU_USAGE, period: "1h") { value } }', token=reader)
    assert error_codes(refused) == ["AUTHORIZATION_DENIED"]
    assert error_codes(await gql("{ system { id } }")) == ["AUTHENTICATION_FAILED"]
    assert "errors" not in await gql("{ health { status } }")


async def test_health_reports_unreachable_dependencies(settings: Settings) -> None:
    dead: AsyncMongoClient[Any] = AsyncMongoClient(
        f"mongodb://127.0.0.1:{free_port()}/?directConnection=true", serverSelectionTimeoutMS=300
    )
    try:
        report = await check_health(dead, settings, time.time(), timeout=1.0)
    finally:
        await dead.close()
    assert (report.status, report.database, report.queue) == ("unhealthy", "unhealthy", "unhealthy")

    redis_down = settings.model_copy(update={"broadcast_url": f"redis://127.0.0.1:{free_port()}"})
    live = make_client(settings.mongodb_url)
    try:
        report = await check_health(live, redis_down, time.time(), timeout=1.0)
    finally:
        await live.close()
    assert (report.status, report.database, report.cache) == ("degraded", "healthy", "unhealthy")


async def test_health_queue_degraded_by_expired_leases(gql: GraphQLClient) -> None:
    await models.Task(
        name="stuck", status="running", lease_expires_at=utcnow() - timedelta(minutes=5)
    ).insert()
    body = await gql("{ health { status services { queue } } }")
    assert body["data"]["health"] == {"status": "degraded", "services": {"queue": "degraded"}}


async def test_consciousness_figures_come_from_stored_data(
    gql: GraphQLClient, admin_token: str
) -> None:
    yesterday = utcnow() - timedelta(days=1, hours=1)
    memories = [
        models.Memory(content="a", pool="short_term", type="episodic"),
        models.Memory(content="b", pool="long_term", type="semantic"),
        models.Memory(content="c", pool="long_term", type="procedural", created_at=yesterday),
        models.Memory(content="d", pool="long_term", type="semantic"),
        models.Memory(content="e", pool="episodic", type="semantic", owner_system_id="other"),
    ]
    await models.Memory.insert_many(memories)
    tasks = [
        models.Task(name="l1", type="learning", status="completed"),
        models.Task(name="l2", type="learning", status="completed"),
        models.Task(name="l3", type="learning", status="failed"),
        models.Task(name="l4", type="learning", status="running"),
        models.Task(name="d1", status="completed", result={"confidence": 0.8}),
        models.Task(name="d2", status="completed", result={"confidence": 0.6}),
        models.Task(name="auto", status="completed", is_automation=True),
    ]
    await models.Task.insert_many(tasks)
    await tallies.rebuild()  # inserted directly, as a bulk import would
    body = await gql(
        """{ consciousness { systemId status consciousnessLevel
            memoryUsage { shortTerm longTerm shortTermCount longTermCount totalCount }
            learningProgress { totalPatterns newPatternsToday adaptationRate }
            decisionMetrics { totalDecisions successfulDecisions confidenceAverage } } }""",
        token=admin_token,
    )
    status = body["data"]["consciousness"]
    assert status["systemId"] == SERVER_SYSTEM_ID
    assert status["memoryUsage"] == {
        "shortTerm": 20.0,
        "longTerm": 60.0,
        "shortTermCount": 1,
        "longTermCount": 3,
        "totalCount": 5,
    }
    assert status["learningProgress"] == {
        "totalPatterns": 4,
        "newPatternsToday": 3,
        "adaptationRate": 0.6667,
    }
    assert status["decisionMetrics"] == {
        "totalDecisions": 5,
        "successfulDecisions": 4,
        "confidenceAverage": 0.7,
    }

    scoped = await gql(
        '{ consciousness(systemId: "other") { memoryUsage { totalCount } '
        "decisionMetrics { totalDecisions confidenceAverage } } }",
        token=admin_token,
    )
    assert "errors" in scoped  # "other" is not a registered system
    await models.System(id="other", name="Other", status="stopped").insert()
    scoped = await gql(
        '{ consciousness(systemId: "other") { status memoryUsage { totalCount } '
        "learningProgress { adaptationRate } "
        "decisionMetrics { totalDecisions confidenceAverage } } }",
        token=admin_token,
    )
    assert scoped["data"]["consciousness"] == {
        "status": "inactive",
        "memoryUsage": {"totalCount": 1},
        "learningProgress": {"adaptationRate": None},
        "decisionMetrics": {"totalDecisions": 0, "confidenceAverage": None},
    }


CORPUS = [
    (
        "doc_auth",
        "Authentication API Reference",
        "Authentication methods and endpoints.",
        "api_reference",
    ),
    ("doc_guide", "API Guide", "How to call the server from a client.", "guide"),
    ("doc_tokens", "Tokens", "Refresh tokens support authentication for long sessions.", "guide"),
    ("doc_other", "Deployment", "Containers and volumes.", "guide"),
]


async def _corpus() -> None:
    await imported(
        *(
            models.Memory(
                id=doc_id, type="document", title=title, content=content, context={"doc_type": kind}
            )
            for doc_id, title, content, kind in CORPUS
        ),
        models.Memory(type="semantic", title="Authentication API", content="not a document"),
    )


async def test_search_ranks_title_over_content(gql: GraphQLClient, admin_token: str) -> None:
    await _corpus()
    search = """query($q: String!, $type: String, $limit: Int) {
      searchDocumentation(query: $q, type: $type, limit: $limit) {
        id title type contentSnippet relevanceScore lastUpdated } }"""
    body = await gql(search, {"q": "authentication API"}, admin_token)
    hits = body["data"]["searchDocumentation"]
    assert [h["id"] for h in hits] == ["doc_auth", "doc_guide", "doc_tokens"]
    scores = [h["relevanceScore"] for h in hits]
    assert 1 >= scores[0] > scores[1] > scores[2] > 0
    assert hits[0]["type"] == "api_reference"
    assert "support authentication" in hits[2]["contentSnippet"]

    typed = await gql(search, {"q": "authentication", "type": "api"}, admin_token)
    assert [h["id"] for h in typed["data"]["searchDocumentation"]] == ["doc_auth"]
    limited = await gql(search, {"q": "authentication api", "limit": 1}, admin_token)
    assert len(limited["data"]["searchDocumentation"]) == 1

    for bad, field in [("x" * 600, "query"), ("the a of", "query")]:
        refused = await gql(search, {"q": bad}, admin_token)
        assert (ext(refused)["code"], ext(refused)["field"]) == ("VALIDATION_ERROR", field)
    refused = await gql(search, {"q": "api", "limit": 0}, admin_token)
    assert ext(refused)["field"] == "limit"


async def test_documentation_job_reports_what_the_agent_did(
    gql: GraphQLClient, admin_token: str
) -> None:
    await _corpus()
    await register(gql, admin_token, "writer", ["documentation"])  # online, never claims
    body = await gql(
        """mutation { generateDocumentation(input: {type: "api_reference",
             targets: ["services", "components", "frameworks"], format: "markdown",
             includeExamples: true}) { jobId status estimatedCompletion targets
             documentsGenerated } }""",
        token=admin_token,
    )
    job = body["data"]["generateDocumentation"]
    assert job["status"] == "queued"
    assert job["documentsGenerated"] is None
    assert job["estimatedCompletion"] is None  # no finished documentation task to learn from
    task = await models.Task.get(job["jobId"])
    assert task is not None
    assert (task.type, task.required_capabilities) == ("documentation", ["documentation"])
    assert task.parameters == {
        "type": "api_reference",
        "targets": ["services", "components", "frameworks"],
        "format": "markdown",
        "include_examples": True,
    }

    started = utcnow() - timedelta(minutes=8)
    await task.set(
        {
            "status": "completed",
            "progress": 100,
            "started_at": started,
            "completed_at": started + timedelta(minutes=8, seconds=30),
            "result": {"documents_generated": 45, "files_processed": 120},
        }
    )
    await tallies.rebuild()  # completed directly, not through the services: recount
    status = await gql(
        """query($id: ID!) { documentationJob(id: $id) { status progress documentsGenerated
             filesProcessed completionTime } documentation { totalDocuments
             types { type count } jobs { queued completed } } }""",
        {"id": job["jobId"]},
        admin_token,
    )
    assert status["data"]["documentationJob"]["status"] == "completed"
    assert status["data"]["documentationJob"]["documentsGenerated"] == 45
    assert status["data"]["documentationJob"]["filesProcessed"] == 120
    assert status["data"]["documentation"] == {
        "totalDocuments": 4,
        "types": [{"type": "api_reference", "count": 1}, {"type": "guide", "count": 3}],
        "jobs": {"queued": 0, "completed": 1},
    }

    second = await gql(
        'mutation { generateDocumentation(input: {type: "guide", targets: ["cli"]}) '
        "{ estimatedCompletion } }",
        token=admin_token,
    )
    eta = datetime.fromisoformat(second["data"]["generateDocumentation"]["estimatedCompletion"])
    assert timedelta(minutes=8) < eta - utcnow() <= timedelta(minutes=9)

    refused = await gql(
        'mutation { generateDocumentation(input: {type: "x", targets: []}) { jobId } }',
        token=admin_token,
    )
    assert ext(refused)["field"] == "targets"


async def test_trigger_learning_queues_a_task(gql: GraphQLClient, admin_token: str) -> None:
    body = await gql(
        """mutation { triggerLearning(input: {sessionType: "pattern_recognition", duration: 3600,
             focusAreas: ["data_processing", "automation_optimization"]}) {
             sessionId status estimatedCompletion focusAreas } }""",
        token=admin_token,
    )
    session = body["data"]["triggerLearning"]
    task = await models.Task.get(session["sessionId"])
    assert task is not None
    assert (task.type, task.required_capabilities, task.system_id) == (
        "learning",
        ["learning"],
        SERVER_SYSTEM_ID,
    )
    assert task.parameters["duration"] == 3600
    eta = datetime.fromisoformat(session["estimatedCompletion"])
    assert abs((eta - task.created_at).total_seconds() - 3600) < 1
    refused = await gql(
        'mutation { triggerLearning(input: {sessionType: "x", duration: 0}) { sessionId } }',
        token=admin_token,
    )
    assert (ext(refused)["code"], ext(refused)["field"]) == ("VALIDATION_ERROR", "duration")
    assert await models.Task.find({"type": "learning"}).count() == 1


METRICS = """query($type: MetricType!, $period: String!, $interval: String, $app: String,
                  $system: ID) {
  metrics(type: $type, period: $period, interval: $interval, appId: $app, systemId: $system) {
    type timestamp value samples } }"""


async def test_metrics_from_real_samples(
    gql: GraphQLClient, admin_token: str, server: RunningServer
) -> None:
    sampler = MetricsSampler(server.app.state.axon, system_id="sys_probe")
    first = await sampler.sample_once()
    await asyncio.sleep(0.6)
    second = await sampler.sample_once()
    body = await gql(
        METRICS, {"type": "CPU_USAGE", "period": "5m", "system": "sys_probe"}, admin_token
    )
    points = body["data"]["metrics"]
    stored = [s.value for s in first + second if s.metric == "cpu_usage"]
    assert [p["value"] for p in points] == stored
    assert all(0 <= v <= 100 for v in stored)
    network = await gql(
        METRICS, {"type": "NETWORK_IN", "period": "5m", "system": "sys_probe"}, admin_token
    )
    assert len(network["data"]["metrics"]) == 1  # a rate needs two readings


async def test_sampled_series_are_read_from_rollups(
    gql: GraphQLClient, admin_token: str, server: RunningServer
) -> None:
    state = server.app.state.axon
    sampler = MetricsSampler(state, system_id="sys_roll")
    for _ in range(3):
        await sampler.sample_once()
    raw = [
        (s.timestamp, s.value)
        async for s in models.MetricSample.find({"system_id": "sys_roll", "metric": "cpu_usage"})
    ]
    expected = [(p.value, p.samples) for p in bucket(raw, timedelta(minutes=1))]
    variables = {"type": "CPU_USAGE", "period": "1h", "interval": "1m", "system": "sys_roll"}

    async def points(interval: str) -> list[tuple[float, int]]:
        body = await gql(METRICS, {**variables, "interval": interval}, admin_token)
        return [(p["value"], p["samples"]) for p in body["data"]["metrics"]]

    assert sum(n for _, n in await points("1m")) == 3
    assert [(round(v, 4), n) for v, n in await points("1m")] == [
        (round(v, 4), n) for v, n in expected
    ]
    hourly = await models.MetricRollup.find(
        {"system_id": "sys_roll", "resolution": 3600, "metric": "cpu_usage"}
    ).to_list()
    assert sum(r.samples for r in hourly) == 3
    assert abs(sum(r.total for r in hourly) - sum(v for _, v in raw)) < 1e-6
    await models.MetricSample.find({"system_id": "sys_roll"}).delete()
    assert [(round(v, 4), n) for v, n in await points("1m")] == [
        (round(v, 4), n) for v, n in expected
    ]
    assert await points("90s") == []  # not a whole number of minutes: raw samples only


async def test_metrics_bucketed_by_interval(gql: GraphQLClient, admin_token: str) -> None:
    minute = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=5)
    for offset, value in [(0, 100.0), (10, 200.0), (70, 50.0), (400, 7.0)]:
        await models.MetricSample(
            system_id="sys_app",
            app_id="app_123",
            metric="response_time",
            value=value,
            timestamp=minute + timedelta(seconds=offset),
        ).insert()
    await models.MetricSample(
        metric="response_time", value=1.0, timestamp=utcnow() - timedelta(hours=2)
    ).insert()
    body = await gql(
        METRICS,
        {"type": "RESPONSE_TIME", "period": "1h", "interval": "1m", "app": "app_123"},
        admin_token,
    )
    points = body["data"]["metrics"]
    assert [(p["value"], p["samples"]) for p in points] == [(150.0, 2), (50.0, 1), (7.0, 1)]
    assert datetime.fromisoformat(points[0]["timestamp"]) == minute.astimezone(UTC)
    assert {p["type"] for p in points} == {"RESPONSE_TIME"}

    raw = await gql(METRICS, {"type": "RESPONSE_TIME", "period": "24h"}, admin_token)
    assert [p["value"] for p in raw["data"]["metrics"]] == [1.0]

    for variables, field in [
        ({"period": "5x"}, "period"),
        ({"period": "0m"}, "period"),
        ({"period": "1h", "interval": "2h"}, "interval"),
        ({"period": "7d", "interval": "1s"}, "interval"),
    ]:
        refused = await gql(METRICS, {"type": "THROUGHPUT", **variables}, admin_token)
        assert (ext(refused)["code"], ext(refused)["field"]) == ("VALIDATION_ERROR", field)


async def test_sampler_runs_in_background_and_stops(server: RunningServer) -> None:
    state = server.app.state.axon
    sampler = MetricsSampler(state, system_id="sys_loop", interval=0.05)
    sampler.start()
    await asyncio.sleep(0.4)
    await sampler.stop()
    count = await models.MetricSample.find({"system_id": "sys_loop"}).count()
    assert count >= 6
    await asyncio.sleep(0.2)
    assert await models.MetricSample.find({"system_id": "sys_loop"}).count() == count


async def test_app_lifespan_samples_and_stops_cleanly(
    server: RunningServer, settings: Settings
) -> None:
    fast = settings.model_copy(update={"metrics_interval_seconds": 0.05})
    samples = models.MetricSample.find({"system_id": SERVER_SYSTEM_ID, "metric": "cpu_usage"})
    async with extra_server(create_app(fast), server) as second:
        assert second.app.state.axon.metrics_sampler.interval == 0.05  # the lifespan's
        async with asyncio.timeout(20):  # a busy machine samples late, not never
            while await samples.count() < 3:
                await asyncio.sleep(0.05)
    count = await samples.count()
    assert count >= 3
    await asyncio.sleep(0.3)
    assert await samples.count() == count
