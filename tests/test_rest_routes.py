"""Every documented REST path of the five APIs as one table: example request → status and keys.

A row whose path is not in a route table yet is skipped and counted; every mapped row must
pass, and the mapped count must equal the number of table entries (nothing disappears).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from axonql import models
from axonql.rest_compat.mount import engine_of
from axonql.rest_compat.route import Api
from axonql.rest_compat.tables import APIS
from axonql.services.auth import hash_password
from axonql.services.users import create_account
from axonql.settings import Settings
from tests.support import RunningServer, password_login


@dataclass(frozen=True)
class Ctx:
    """What a row's setup may use: the settings and a real client with an admin token."""

    settings: Settings
    http: httpx.AsyncClient
    token: str
    background: list[asyncio.Task[None]] = field(default_factory=list)

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        response = await self.http.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {self.token}"},
        )
        body = response.json()
        assert not body.get("errors"), body
        return body["data"]


Setup = Callable[[Ctx], Awaitable[dict[str, str]]]

APIS_BY_NAME: dict[str, Api] = {api.name: api for api in APIS}
DOCUMENTED_COUNTS = {"synapticos": 14, "octospine": 20, "lukhas": 19, "nexusnet": 28, "drift": 13}


@dataclass(frozen=True)
class Row:
    """One documented path with the document's example request and what it promises."""

    api: str
    method: str
    path: str
    keys: tuple[str, ...] = ()
    body: Mapping[str, Any] | None = None
    query: Mapping[str, str] | None = None
    status: int = 200
    setup: str | None = None
    auth: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.api} {self.method} {self.path}"

    def mapped(self) -> bool:
        api = APIS_BY_NAME[self.api]
        return any(r.method == self.method and r.path == self.path for r in api.routes)


# ---------------------------------------------------------------- fixtures rows depend on


async def _task(ctx: Ctx) -> dict[str, str]:
    task = models.Task(name="Data Processing Task", type="data_processing")
    await task.insert()
    return {"task_id": task.id}


async def _agent(ctx: Ctx) -> dict[str, str]:
    agent = models.Agent(name="Data Processing Agent", type="data_processor")
    await agent.insert()
    return {"agent_id": agent.id}


async def _account(settings: Settings, username: str, password: str) -> None:
    await create_account(settings, username=username, password=password, scopes=[])


async def _nexusnet_user(ctx: Ctx) -> dict[str, str]:
    await _account(ctx.settings, "your-username", "your-password")
    return {}


async def _lukhas_user(ctx: Ctx) -> dict[str, str]:
    # The document logs in with an e-mail address as the user name; stored directly because
    # account creation only allows id-like user names.
    user = models.User(
        username="user@example.com", password_hash=hash_password("secure_password"), scopes=[]
    )
    await user.insert()
    return {}


async def _lambda_user(ctx: Ctx) -> dict[str, str]:
    await _account(ctx.settings, "ΛPRIME-2025-0001", "base64_encoded_biometric")
    return {}


async def _refresh_token(ctx: Ctx) -> dict[str, str]:
    await _account(ctx.settings, "refresh-user", "refresh-password")
    pair = await password_login(ctx.settings, "refresh-user", "refresh-password")
    return {"body.refresh_token": pair.refresh_token}


async def _doc_job(ctx: Ctx) -> dict[str, str]:
    """A documentation job as an agent left it (generating one needs an agent online)."""
    task = models.Task(
        name="Generate api_reference documentation",
        type="documentation",
        parameters={"type": "api_reference", "targets": ["services"]},
        required_capabilities=["documentation"],
    )
    await task.insert()
    return {"job_id": task.id}


async def _user(ctx: Ctx) -> dict[str, str]:
    await ctx.gql('mutation { createUser(input: {id: "user123", username: "user123"}) { id } }')
    return {"user_id": "user123"}


async def _user_context(ctx: Ctx) -> dict[str, str]:
    found = await _user(ctx)
    await ctx.gql(
        "mutation($input: UserContextInput!) {"
        ' createUserContext(userId: "user123", input: $input) { contextCreated } }',
        {"input": {"skillLevels": {"python": "intermediate", "security": "beginner"}}},
    )
    return found


async def _session(ctx: Ctx) -> dict[str, str]:
    found = await _user_context(ctx)
    data = await ctx.gql(
        'mutation { startLearningSession(userId: "user123",'
        ' input: {moduleId: "python_advanced_functions"}) { sessionId } }'
    )
    return {**found, "session_id": data["startLearningSession"]["sessionId"]}


async def _sim_agent(ctx: Ctx) -> dict[str, str]:
    """An online agent that can run drift simulations (the server only queues the work)."""
    from axonql.models.base import utcnow
    from axonql.services.simulation_runs import CAPABILITY

    agent = models.Agent(name="sim worker", capabilities=[CAPABILITY], last_heartbeat=utcnow())
    await agent.insert()
    return {}


async def _simulation(ctx: Ctx) -> dict[str, str]:
    await _sim_agent(ctx)
    await ctx.gql(
        'mutation { startSimulation(input: {experimentalCondition: "CONTROL"}) { status } }'
    )
    return {}


async def _paused_simulation(ctx: Ctx) -> dict[str, str]:
    await _simulation(ctx)
    await ctx.gql("mutation { pauseSimulation { status } }")
    return {}


async def _nexusnet_system(ctx: Ctx) -> dict[str, str]:
    await ctx.gql(
        "mutation($input: CreateSystemInput!) { createSystem(input: $input) { id } }",
        {
            "input": {
                "id": "nexusnet",
                "name": "NexusNet",
                "kind": "nexusnet",
                "config": {"features": {"enable_dreaming": True}, "api": {"timeout": 300}},
                "components": [
                    {
                        "componentId": "TextEncoderPlugin",
                        "type": "plugin",
                        "state": "active",
                        "configuration": {"version": "1.0.0", "max_length": 512},
                    }
                ],
            }
        },
    )
    return {"plugin_name": "TextEncoderPlugin"}


async def _nexusnet_population(ctx: Ctx) -> dict[str, str]:
    await ctx.gql(
        'mutation { createPopulation(input: {id: "nexusnet", name: "NexusNet", size: 10,'
        ' seed: 7, genomeSpec: [{name: "learning_rate", min: 0.0001, max: 0.1},'
        ' {name: "layers", min: 1, max: 12, integer: true}]}) { id } }'
    )
    return {}


async def _scenario(ctx: Ctx) -> dict[str, str]:
    await _user(ctx)
    data = await ctx.gql(
        'mutation { generateSecurityScenario(input: {userId: "user123",'
        ' scenarioType: "phishing"}) { scenarioId } }'
    )
    return {"scenario_id": data["generateSecurityScenario"]["scenarioId"]}


async def _executive(ctx: Ctx) -> dict[str, str]:
    await ctx.gql(
        'mutation { createPopulation(input: {id: "executive", name: "Executive", size: 8,'
        ' seed: 3, specialization: "executive_control",'
        ' genomeSpec: [{name: "gain", min: 0, max: 1}]}) { id } }'
    )
    return {"population_id": "executive"}


async def _memory(ctx: Ctx) -> dict[str, str]:
    data = await ctx.gql(
        'mutation { createMemory(input: {content: "User learned about quantum entanglement",'
        ' tags: ["physics"]}) { id } }'
    )
    return {"memory_id": data["createMemory"]["id"]}


# What the stand-in agents answer: each documented response, produced by a real agent
# process talking to the real API (claim → complete), passed through untouched by REST.
AGENT_ANSWERS: dict[str, dict[str, Any]] = {
    "matriz": {"response": "Two linked coins…", "metadata": {"confidence": 0.92}},
    "matriz_stage": {
        "stage_result": {},
        "next_stage": "attention",
        "confidence": 0.92,
        "processing_time_ms": 45,
    },
    "reflection": {"reflection_id": "ref_123", "insights": [], "emotional_assessment": {}},
    "reasoning": {"analysis_id": "analysis_789", "reasoning_steps": [], "confidence": 0.78},
    "causal_inference": {"causal_strength": 0.72, "recommendation": "Gather more data"},
    "dream": {"dream_session_id": "dream_1", "realities": [], "synthesis": {}},
    "guardian": {"validation_id": "val_456", "decision": "APPROVED", "ethics_score": 0.95},
    "text_processing": {"output": "Paris", "metadata": {"confidence_score": 0.95}},
    "process_batch": {"results": [], "total_processing_time": 0.279},
    "training": {"epochs": 10, "final_loss": 0.2, "final_accuracy": 0.9},
    "model_info": {"model_name": "NexusNet", "version": "1.0.0", "capabilities": []},
    "model_load": {"status": "success", "model_name": "nexusnet-large", "version": "1.1.0"},
    "model_save": {"status": "success", "save_path": "/models/custom_model"},
    "documentation": {"documents_generated": 3, "files_processed": 40},
}


async def start_agent(ctx: Ctx, capability: str, answer: dict[str, Any]) -> None:
    """Register an agent with an API key, heartbeat, then claim one task and complete it."""
    created = await ctx.gql(
        "mutation($i: CreateAgentInput!) { createAgent(input: $i) { id } }",
        {"i": {"name": f"{capability} worker", "capabilities": [capability]}},
    )
    key = await ctx.gql(
        "mutation($id: ID!) { createAgentApiKey(agentId: $id) { key } }",
        {"id": created["createAgent"]["id"]},
    )
    agent = Ctx(ctx.settings, ctx.http, key["createAgentApiKey"]["key"])
    await agent.gql("mutation { agentHeartbeat { id } }")

    async def work() -> None:
        claimed = await agent.gql(
            "mutation($c: [String!]) { claimTask(capabilities: $c, waitSeconds: 10) { id } }",
            {"c": [capability]},
        )
        if claimed["claimTask"]:
            await agent.gql(
                "mutation($id: ID!, $r: JSON) { completeTask(id: $id, result: $r) { id } }",
                {"id": claimed["claimTask"]["id"], "r": answer},
            )

    ctx.background.append(asyncio.create_task(work()))


def _agent_for(capability: str) -> Setup:
    async def setup(ctx: Ctx) -> dict[str, str]:
        await start_agent(ctx, capability, AGENT_ANSWERS[capability])
        return {"stage_name": "thought"} if capability == "matriz_stage" else {}

    return setup


async def _training_task(ctx: Ctx) -> dict[str, str]:
    task = models.Task(name="training", type="training")
    await task.insert()
    return {"training_id": task.id}


SETUPS: dict[str, Setup] = {
    **{f"agent:{capability}": _agent_for(capability) for capability in AGENT_ANSWERS},
    "training_task": _training_task,
    "scenario": _scenario,
    "executive": _executive,
    "memory": _memory,
    "nexusnet_system": _nexusnet_system,
    "nexusnet_population": _nexusnet_population,
    "sim_agent": _sim_agent,
    "simulation": _simulation,
    "paused_simulation": _paused_simulation,
    "user": _user,
    "user_context": _user_context,
    "session": _session,
    "doc_job": _doc_job,
    "task": _task,
    "agent": _agent,
    "nexusnet_user": _nexusnet_user,
    "lukhas_user": _lukhas_user,
    "lambda_user": _lambda_user,
    "refresh_token": _refresh_token,
}

# ---------------------------------------------------------------- the 94 documented paths

SYN = "synapticos"
OCT = "octospine"
LUK = "lukhas"
NEX = "nexusnet"
DRI = "drift"

ROWS: tuple[Row, ...] = (
    # 000 SynapticOS v2 (14)
    Row(
        SYN,
        "GET",
        "/consciousness/status",
        (
            "consciousness_level",
            "system_health",
            "active_components",
            "uptime_seconds",
            "version",
            "environment",
        ),
    ),
    Row(SYN, "GET", "/consciousness/components", ("components",)),
    Row(SYN, "GET", "/consciousness/metrics", ("metrics",)),
    Row(
        SYN,
        "POST",
        "/users/{user_id}/context",
        (
            "user_id",
            "context_created",
            "initial_consciousness_level",
            "recommended_starting_modules",
        ),
        status=201,
        body={
            "skill_levels": {
                "python": "intermediate",
                "security": "beginner",
                "networking": "advanced",
            },
            "learning_preferences": {
                "pace": "normal",
                "difficulty": "adaptive",
                "visual_aids": True,
                "hands_on_preference": 0.8,
            },
            "goals": ["Complete Python certification", "Improve security awareness"],
        },
        setup="user",
    ),
    Row(
        SYN,
        "GET",
        "/users/{user_id}/context",
        (
            "user_id",
            "created_at",
            "last_updated",
            "skill_levels",
            "current_consciousness_level",
            "total_time_spent",
            "achievements",
        ),
        setup="user_context",
    ),
    Row(
        SYN,
        "POST",
        "/users/{user_id}/progress",
        ("progress_updated", "new_skill_level", "consciousness_adaptation", "next_recommendations"),
        body={
            "module_id": "python_functions",
            "progress_percentage": 75.5,
            "time_spent_seconds": 1800,
            "exercises_completed": 8,
            "exercises_total": 12,
            "score": 0.85,
            "difficulty_rating": "appropriate",
        },
        setup="user_context",
    ),
    Row(
        SYN,
        "GET",
        "/users/{user_id}/recommendations",
        ("recommendations", "learning_path"),
        setup="user_context",
    ),
    Row(
        SYN,
        "POST",
        "/users/{user_id}/sessions",
        ("session_id", "session_started", "adaptive_content", "consciousness_adaptations"),
        status=201,
        body={
            "module_id": "python_advanced_functions",
            "learning_mode": "focused",
            "consciousness_level": 0.8,
        },
        setup="user_context",
    ),
    Row(
        SYN,
        "POST",
        "/users/{user_id}/sessions/{session_id}/end",
        ("session_ended", "session_summary", "skill_updates", "achievements_unlocked"),
        body={
            "completion_status": "completed",
            "final_score": 0.88,
            "feedback": {
                "difficulty": "appropriate",
                "engagement": "high",
                "content_quality": "excellent",
            },
        },
        setup="session",
    ),
    Row(
        SYN,
        "POST",
        "/security/scenarios/generate",
        ("scenario_id", "scenario_type", "title", "description", "content", "assessment_criteria"),
        status=201,
        body={
            "user_id": "user123",
            "scenario_type": "phishing",
            "difficulty": "intermediate",
            "context": {"user_role": "developer", "company_type": "tech_startup"},
        },
        setup="user",
    ),
    Row(
        SYN,
        "POST",
        "/security/scenarios/{scenario_id}/assess",
        (
            "assessment_id",
            "score",
            "feedback",
            "consciousness_adaptation",
            "security_awareness_update",
        ),
        body={
            "user_id": "user123",
            "assessment": {
                "threat_detected": True,
                "threat_type": "phishing",
                "confidence": 0.9,
                "indicators_identified": [
                    "suspicious_sender_domain",
                    "urgency_language",
                    "request_for_credentials",
                ],
                "recommended_action": "delete_and_report",
                "reasoning": "Multiple phishing indicators present",
            },
            "time_taken_seconds": 180,
        },
        setup="scenario",
    ),
    Row(
        SYN,
        "GET",
        "/neural/populations",
        ("populations", "overall_consciousness_level", "system_intelligence_score"),
    ),
    Row(
        SYN,
        "POST",
        "/neural/populations/{population_id}/evolve",
        ("evolution_triggered", "evolution_id", "estimated_completion", "expected_improvements"),
        body={
            "fitness_feedback": {
                "user_satisfaction": 0.9,
                "task_completion": 0.85,
                "response_accuracy": 0.88,
            },
            "evolution_pressure": 0.3,
        },
        setup="executive",
    ),
    Row(
        SYN,
        "POST",
        "/auth/refresh",
        ("access_token", "token_type", "expires_in"),
        body={"refresh_token": "$refresh_token"},
        setup="refresh_token",
        auth=False,
    ),
    # 001 OCTOSPINE (20)
    Row(OCT, "GET", "/api/health", ("status", "timestamp", "version", "uptime", "services")),
    Row(OCT, "GET", "/api/status", ("system", "applications", "agents")),
    Row(OCT, "GET", "/api/config", ("environment", "features", "limits")),
    Row(
        OCT,
        "POST",
        "/api/tasks",
        ("id", "name", "status", "created_at", "next_run"),
        status=201,
        body={
            "name": "Data Processing Task",
            "description": "Process incoming data from external sources",
            "type": "data_processing",
            "priority": "high",
            "parameters": {
                "source": "api",
                "destination": "database",
                "transformations": ["clean", "validate", "enrich"],
            },
            "schedule": {"type": "interval", "value": 300},
        },
    ),
    Row(
        OCT,
        "GET",
        "/api/tasks",
        ("tasks", "pagination"),
        query={"status": "active", "limit": "10", "offset": "0"},
        setup="task",
    ),
    Row(
        OCT,
        "GET",
        "/api/tasks/{task_id}",
        (
            "id",
            "name",
            "description",
            "type",
            "status",
            "priority",
            "progress",
            "parameters",
            "schedule",
            "statistics",
            "created_at",
            "updated_at",
        ),
        setup="task",
    ),
    Row(
        OCT,
        "PUT",
        "/api/tasks/{task_id}",
        ("id", "name", "priority", "parameters"),
        body={
            "name": "Updated Data Processing Task",
            "priority": "medium",
            "parameters": {
                "source": "api",
                "destination": "database",
                "transformations": ["clean", "validate", "enrich", "aggregate"],
            },
        },
        setup="task",
    ),
    Row(OCT, "DELETE", "/api/tasks/{task_id}", ("id", "deleted"), setup="task"),
    Row(
        OCT,
        "POST",
        "/api/agents",
        ("id", "name", "type", "status", "capabilities", "created_at"),
        status=201,
        body={
            "name": "Data Processing Agent",
            "type": "data_processor",
            "capabilities": ["data_cleaning", "validation", "transformation"],
            "configuration": {"max_concurrent_tasks": 5, "timeout": 300, "retry_attempts": 3},
        },
    ),
    Row(
        OCT,
        "GET",
        "/api/agents",
        ("agents", "pagination"),
        query={"status": "active", "type": "data_processor"},
        setup="agent",
    ),
    Row(
        OCT,
        "GET",
        "/api/agents/{agent_id}",
        (
            "id",
            "name",
            "type",
            "status",
            "capabilities",
            "configuration",
            "statistics",
            "current_tasks",
            "created_at",
            "updated_at",
        ),
        setup="agent",
    ),
    Row(
        OCT,
        "GET",
        "/api/consciousness/status",
        ("status", "consciousness_level", "memory_usage", "learning_progress", "decision_metrics"),
    ),
    Row(
        OCT,
        "POST",
        "/api/consciousness/learn",
        ("session_id", "status", "estimated_completion", "focus_areas"),
        body={
            "session_type": "pattern_recognition",
            "duration": 3600,
            "focus_areas": ["data_processing", "automation_optimization"],
        },
    ),
    Row(
        OCT,
        "POST",
        "/api/documentation/generate",
        ("job_id", "status", "estimated_completion", "targets"),
        setup="agent:documentation",
        body={
            "type": "api_reference",
            "targets": ["services", "components", "frameworks"],
            "format": "markdown",
            "include_examples": True,
        },
    ),
    Row(
        OCT,
        "GET",
        "/api/documentation/status/{job_id}",
        ("job_id", "status", "progress"),
        setup="doc_job",
    ),
    Row(
        OCT,
        "GET",
        "/api/documentation/search",
        ("results", "total_results", "search_time"),
        query={"query": "authentication", "type": "api", "limit": "10"},
    ),
    Row(
        OCT,
        "POST",
        "/api/automations",
        ("id", "name", "status", "triggers", "created_at"),
        status=201,
        body={
            "name": "Data Pipeline Automation",
            "description": "Automated data processing pipeline",
            "triggers": [
                {"type": "schedule", "value": "0 */6 * * *"},
                {"type": "event", "value": "data_source.updated"},
            ],
            "steps": [
                {
                    "name": "data_extraction",
                    "type": "extract",
                    "parameters": {"source": "api", "endpoint": "/data/sources"},
                }
            ],
        },
    ),
    Row(
        OCT,
        "GET",
        "/api/automations",
        ("automations", "pagination"),
        query={"status": "active", "type": "data_processing"},
    ),
    Row(
        OCT,
        "GET",
        "/api/metrics/system",
        ("period", "interval", "metrics"),
        query={"period": "1h", "interval": "5m"},
    ),
    Row(
        OCT,
        "GET",
        "/api/metrics/applications",
        ("app_id", "period", "metrics"),
        query={"app_id": "app_123", "period": "24h"},
    ),
    # 002 LUKHAS (19)
    Row(
        LUK,
        "POST",
        "/auth/token",
        ("access_token", "token_type", "expires_in", "refresh_token"),
        body={
            "username": "user@example.com",
            "password": "secure_password",
            "biometric_data": "base64_encoded_biometric",
        },
        setup="lukhas_user",
        auth=False,
    ),
    Row(
        LUK,
        "POST",
        "/auth/refresh",
        ("access_token", "expires_in"),
        body={"refresh_token": "$refresh_token"},
        setup="refresh_token",
        auth=False,
    ),
    Row(LUK, "GET", "/health", ("status", "timestamp", "version", "modules")),
    Row(
        LUK,
        "POST",
        "/matriz/process",
        ("response", "metadata"),
        body={
            "input": "Explain quantum entanglement in simple terms",
            "context": {"user_id": "user123", "session_id": "session456"},
        },
        setup="agent:matriz",
    ),
    Row(LUK, "GET", "/status", ("system", "guardian", "performance")),
    Row(
        LUK,
        "POST",
        "/matriz/stage/{stage_name}",
        ("stage_result", "next_stage", "confidence", "processing_time_ms"),
        body={"input_data": {}, "context": {}},
        setup="agent:matriz_stage",
    ),
    Row(LUK, "GET", "/matriz/status", ("pipeline_health",)),
    Row(
        LUK,
        "POST",
        "/constellation/registry/nodes",
        ("registration_id", "status", "validation_results"),
        body={
            "node_id": "custom_analytics_node",
            "node_type": "cognitive_processor",
            "capabilities": ["data_analysis", "pattern_recognition"],
        },
    ),
    Row(
        LUK,
        "GET",
        "/constellation/registry/nodes",
        ("nodes", "total_count", "registry_health"),
        query={"stage": "attention", "pillar": "consciousness"},
    ),
    Row(
        LUK,
        "POST",
        "/constellation/identity/authenticate",
        ("authentication_result", "constellation_token", "access_permissions", "session_metadata"),
        body={
            "lambda_id": "ΛPRIME-2025-0001",
            "biometric_data": "base64_encoded_biometric",
            "authentication_context": {
                "session_id": "session456",
                "requested_tier": "ΛPRIME",
                "constellation_context": True,
            },
        },
        setup="lambda_user",
        auth=False,
    ),
    Row(LUK, "GET", "/consciousness/state", ("consciousness_state",)),
    Row(
        LUK,
        "POST",
        "/consciousness/reflect",
        ("reflection_id", "insights"),
        body={"topic": "recent_interactions", "depth": 3, "include_emotions": True},
        setup="agent:reflection",
    ),
    Row(
        LUK,
        "POST",
        "/memory/store",
        ("memory_id", "drift_score", "storage_confirmed"),
        body={
            "content": {
                "type": "episodic",
                "data": "User learned about quantum entanglement",
                "context": {"location": "main_interaction"},
            },
            "tags": ["physics", "learning", "successful_explanation"],
            "importance": 0.8,
        },
    ),
    Row(
        LUK,
        "GET",
        "/memory/recall/{memory_id}",
        ("memory_id", "content", "metadata", "related_memories"),
        setup="memory",
    ),
    Row(
        LUK,
        "POST",
        "/memory/search",
        ("results", "total_matches", "search_time_ms"),
        body={"query": "quantum physics explanations", "limit": 10, "include_context": True},
    ),
    Row(
        LUK,
        "POST",
        "/reasoning/analyze",
        ("analysis_id", "reasoning_steps", "confidence"),
        body={
            "query": "What would happen if gravity was 10% stronger?",
            "reasoning_type": "hypothetical",
            "depth": "deep",
        },
        setup="agent:reasoning",
    ),
    Row(
        LUK,
        "POST",
        "/reasoning/causal",
        ("causal_strength", "recommendation"),
        body={
            "observations": [{"event": "increased_study_time", "timestamp": "2024-01-10"}],
            "hypothesis": "study_time_causes_better_scores",
        },
        setup="agent:causal_inference",
    ),
    Row(
        LUK,
        "POST",
        "/dream/generate",
        ("dream_session_id", "realities", "synthesis"),
        body={
            "seed": "Design a sustainable city for Mars",
            "constraints": ["Limited water"],
            "creativity_level": 0.8,
            "num_realities": 5,
        },
        setup="agent:dream",
    ),
    Row(
        LUK,
        "POST",
        "/guardian/validate",
        ("validation_id", "decision", "ethics_score"),
        body={
            "action": {
                "type": "response_generation",
                "content": "Instructions for building a particle accelerator",
                "target_user": "user123",
            }
        },
        setup="agent:guardian",
    ),
    # 003 NexusNet (28)
    Row(
        NEX,
        "POST",
        "/auth/login",
        ("access_token", "token_type", "expires_in"),
        body={"username": "your-username", "password": "your-password"},
        setup="nexusnet_user",
        auth=False,
    ),
    Row(NEX, "GET", "/health", ("status", "version", "uptime", "system_info")),
    Row(
        NEX,
        "POST",
        "/process",
        ("output", "processing_time", "metadata"),
        body={
            "input_data": "What is the capital of France?",
            "input_type": "text",
            "options": {"max_length": 100, "temperature": 0.5},
        },
        setup="agent:text_processing",
    ),
    Row(
        NEX,
        "POST",
        "/process/batch",
        ("results", "total_processing_time"),
        body={
            "inputs": [{"input_data": "First input", "input_type": "text"}],
            "batch_options": {"parallel": True, "max_batch_size": 32},
        },
        setup="agent:process_batch",
    ),
    Row(
        NEX,
        "POST",
        "/train",
        ("training_id", "status", "message", "estimated_duration"),
        body={
            "data": [{"input": "Training input 1", "output": "Expected output 1"}],
            "training_config": {"epochs": 10, "learning_rate": 0.001},
        },
        status=202,
        setup="agent:training",
    ),
    Row(
        NEX,
        "GET",
        "/train/{training_id}/status",
        ("training_id", "status", "progress"),
        setup="training_task",
    ),
    Row(
        NEX,
        "DELETE",
        "/train/{training_id}",
        ("training_id", "status", "message"),
        setup="training_task",
    ),
    Row(NEX, "GET", "/model/info", ("model_name", "version"), setup="agent:model_info"),
    Row(
        NEX,
        "POST",
        "/model/load",
        ("status", "model_name", "version"),
        body={
            "model_name": "nexusnet-large",
            "version": "1.1.0",
            "config": {"precision": "fp16", "device": "cuda", "max_memory": 8192},
        },
        setup="agent:model_load",
    ),
    Row(
        NEX,
        "POST",
        "/model/save",
        ("status", "save_path"),
        body={"save_path": "/models/custom_model", "include_optimizer": True, "compress": True},
        setup="agent:model_save",
    ),
    Row(NEX, "GET", "/memory/usage", ("memory_usage", "memory_pools")),
    Row(
        NEX,
        "POST",
        "/memory/consolidate",
        ("status", "result"),
        body={"force": False, "target_efficiency": 0.85, "preserve_recent": True},
    ),
    Row(
        NEX,
        "POST",
        "/memory/search",
        ("results", "total_results", "search_time"),
        body={
            "query": "machine learning concepts",
            "limit": 10,
            "similarity_threshold": 0.7,
            "memory_types": ["episodic", "semantic"],
        },
    ),
    Row(
        NEX,
        "GET",
        "/evolution/status",
        ("evolution_status", "current_population"),
        setup="nexusnet_population",
    ),
    Row(
        NEX,
        "POST",
        "/evolution/trigger",
        ("status", "result"),
        body={
            "force_evolution": True,
            "target_fitness": 0.95,
            "max_generations": 5,
            "mutation_rate": 0.02,
        },
        setup="nexusnet_population",
    ),
    Row(
        NEX,
        "GET",
        "/evolution/history",
        ("evolution_history", "statistics"),
        query={"limit": "10"},
        setup="nexusnet_population",
    ),
    Row(NEX, "GET", "/immune/status", ("immune_status", "threat_categories")),
    Row(
        NEX,
        "POST",
        "/immune/scan",
        ("scan_id", "status", "threats_found", "results"),
        body={
            "scan_types": ["bias", "errors", "vulnerabilities"],
            "deep_scan": True,
            "auto_heal": True,
        },
    ),
    Row(NEX, "GET", "/immune/threats", ("threats", "summary")),
    Row(
        NEX,
        "GET",
        "/plugins",
        ("plugins", "total_plugins", "active_plugins"),
        setup="nexusnet_system",
    ),
    Row(NEX, "GET", "/plugins/{plugin_name}/status", ("name", "status"), setup="nexusnet_system"),
    Row(
        NEX,
        "POST",
        "/plugins/{plugin_name}/activate",
        ("status", "plugin_name", "message"),
        setup="nexusnet_system",
    ),
    Row(
        NEX,
        "POST",
        "/plugins/{plugin_name}/deactivate",
        ("status", "plugin_name", "message"),
        setup="nexusnet_system",
    ),
    Row(
        NEX,
        "PUT",
        "/plugins/{plugin_name}/config",
        ("status", "plugin_name", "updated_config"),
        body={"config": {"max_length": 1024, "temperature": 0.7}},
        setup="nexusnet_system",
    ),
    Row(NEX, "GET", "/stats", ("cpu_usage", "memory_usage", "uptime")),
    Row(
        NEX,
        "GET",
        "/stats/performance",
        ("timeframe", "granularity", "metrics"),
        query={"timeframe": "24h", "granularity": "1h"},
    ),
    Row(NEX, "GET", "/config", ("config",), setup="nexusnet_system"),
    Row(
        NEX,
        "POST",
        "/config",
        ("status", "updated_fields"),
        body={"config_updates": {"features.enable_dreaming": False}},
        setup="nexusnet_system",
    ),
    # 004 Drift simulation (13)
    Row(DRI, "GET", "/api/v1/health", ("status", "timestamp", "version")),
    Row(DRI, "GET", "/api/v1/status", ("status", "services", "simulation", "timestamp")),
    Row(
        DRI,
        "POST",
        "/api/v1/simulation/start",
        ("message", "simulation_id", "condition", "status"),
        body={
            "config_name": "experimental_design",
            "experimental_condition": "CONTROL",
            "duration_days": 30,
            "stress_event_frequency": 0.1,
            "neutral_event_frequency": 0.3,
        },
        setup="sim_agent",
    ),
    Row(
        DRI,
        "POST",
        "/api/v1/simulation/stop",
        ("message", "simulation_id", "status"),
        setup="simulation",
    ),
    Row(
        DRI,
        "POST",
        "/api/v1/simulation/pause",
        ("message", "simulation_id", "status"),
        setup="simulation",
    ),
    Row(
        DRI,
        "POST",
        "/api/v1/simulation/resume",
        ("message", "simulation_id", "status"),
        setup="paused_simulation",
    ),
    Row(DRI, "GET", "/api/v1/simulation/status", ("simulation_id", "status"), setup="simulation"),
    Row(DRI, "GET", "/api/v1/simulation/results", ("simulation_id", "status"), setup="simulation"),
    Row(DRI, "GET", "/api/v1/simulation/configs", ("configurations",)),
    Row(DRI, "GET", "/api/v1/data/assessments", ("assessments", "total_count")),
    Row(DRI, "GET", "/api/v1/data/events", ("events", "total_count")),
    Row(DRI, "GET", "/api/v1/data/mechanistic", ("mechanistic_data", "total_count")),
    Row(DRI, "GET", "/api/v1/data/export", (), query={"format": "json"}),
)

# Why a documented path has no route yet (no operation returns what it documents).
UNMAPPED_REASONS: dict[str, str] = {}

MAPPED = [r for r in ROWS if r.mapped()]
UNMAPPED = [r for r in ROWS if not r.mapped()]


def test_table_lists_every_documented_path() -> None:
    counts: dict[str, int] = {}
    for row in ROWS:
        counts[row.api] = counts.get(row.api, 0) + 1
    assert counts == DOCUMENTED_COUNTS
    assert len({(r.api, r.method, r.path) for r in ROWS}) == 94


def test_mapped_count_equals_table_entries() -> None:
    """Every route-table entry is a documented path, and every one of them is tested here."""
    documented = {(r.api, r.method, r.path) for r in ROWS}
    entries = [(api.name, r.method, r.path) for api in APIS for r in api.routes]
    assert len(entries) == len(set(entries)), "a path appears twice in a table"
    assert set(entries) <= documented, set(entries) - documented
    assert len(MAPPED) == len(entries)
    print(f"\n{len(MAPPED)} of {len(ROWS)} mapped")
    for row in UNMAPPED:
        print(f"  unmapped: {row.id} ({UNMAPPED_REASONS.get(row.id, 'no reason recorded')})")


async def prepare(row: Row, ctx: Ctx) -> tuple[str, dict[str, Any] | None]:
    """Run the row's setup; fill path parameters and `$placeholders` in the body."""
    found = await SETUPS[row.setup](ctx) if row.setup else {}
    path = row.path
    for key, value in found.items():
        path = path.replace("{" + key + "}", value)
    body = dict(row.body) if row.body is not None else None
    if body is not None:
        for key, value in body.items():
            if isinstance(value, str) and value.startswith("$"):
                body[key] = found[f"body.{value[1:]}"]
    return APIS_BY_NAME[row.api].mount + path, body


async def send(http: httpx.AsyncClient, row: Row, settings: Settings, token: str) -> httpx.Response:
    ctx = Ctx(settings, http, token)
    path, body = await prepare(row, ctx)
    headers = {"Authorization": f"Bearer {token}"} if row.auth else {}
    response = await http.request(
        row.method, path, params=dict(row.query or {}), json=body, headers=headers
    )
    await asyncio.wait_for(asyncio.gather(*ctx.background), timeout=15)
    return response


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
async def test_documented_example(
    row: Row,
    http: httpx.AsyncClient,
    settings: Settings,
    admin_token: str,
    server: RunningServer,
) -> None:
    if not row.mapped():
        pytest.skip("not mapped yet")
    response = await send(http, row, settings, admin_token)
    assert response.status_code == row.status, response.text
    body = response.json()
    if row.api == OCT:
        assert set(body) == {"success", "data", "message", "timestamp", "request_id"}
        assert body["success"] is True
        body = body["data"]
    missing = [k for k in row.keys if k not in body]
    assert not missing, f"missing {missing} in {body}"


@pytest.fixture(autouse=True)
def fresh_rate_limits(server: RunningServer) -> None:
    """Rate-limit counters outlive the per-test database cleanup; start each test at zero."""
    engine = engine_of(server.app.routes)
    assert engine is not None
    engine.limiter.reset()
