"""LUKHAS AI: mounted at `/v1`, bare bodies, errors with `trace_id`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from axonql.rest_compat.converters import require_healthy, to_str
from axonql.rest_compat.envelopes import LUKHAS
from axonql.rest_compat.route import Api, Field, Inputs, Route, Var, const
from axonql.rest_compat.tables.agent_work import agent_route, matriz_processed, whole_body
from axonql.rest_compat.tables.auth_endpoints import LOGIN, REFRESH


def _access(scopes: list[str], read: str, write: str) -> str:
    return "read_write" if write in scopes else "read" if read in scopes else "none"


def constellation_session(login: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """A Λ iD login in the documented shape; only what the login really established.

    There are no Λ tiers here (the granted tier is null) and no biometric comparison (the
    biometric data is checked as the account's password): `biometric_match` is null.
    Permissions follow the token's scopes.
    """
    scopes = login["scope"] if isinstance(login["scope"], list) else []
    return {
        "authentication_result": {
            "status": "authenticated",
            "tier_granted": None,
            "lambda_id_verified": True,
            "biometric_match": None,
        },
        "constellation_token": login["access_token"],
        "refresh_token": login["refresh_token"],
        "access_permissions": {
            "matriz_pipeline": "full_access" if "tasks:write" in scopes else "none",
            "registry_operations": _access(scopes, "agents:read", "agents:write"),
            "guardian_override": False,
            "scopes": scopes,
        },
        "session_metadata": {
            "expires_in": login["expires_in"],
            "constellation_context": " · ".join(
                f"{symbol} {name.capitalize()}" for symbol, name in PILLARS.items()
            ),
            "t4_compliance_verified": False,
        },
    }


# Registry nodes are agents tagged like this; `?stage=` / `?pillar=` filter on the tags.
REGISTRY_TAG = "lukhas:registry"
PILLARS = {"⚛️": "identity", "🧠": "consciousness", "🛡️": "guardian", "✦": "memory"}


def registry_tags(body: Any) -> list[str]:
    """Tags for a node from its `constellation_metadata` (stages and pillars, by name too)."""
    tags = [REGISTRY_TAG]
    metadata = body.get("constellation_metadata")
    if isinstance(metadata, dict):
        for stage in metadata.get("pipeline_stages") or []:
            tags.append(f"stage:{stage}")
        for pillar in metadata.get("compatible_pillars") or []:
            tags.append(f"pillar:{pillar}")
            if pillar in PILLARS:
                tags.append(f"pillar:{PILLARS[pillar]}")
    return tags


def registry_filter(query: Any) -> list[str]:
    tags = [REGISTRY_TAG]
    if query.get("stage"):
        tags.append(f"stage:{query['stage']}")
    if query.get("pillar"):
        tags.append(f"pillar:{query['pillar']}")
    return tags


def registered(agent: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The registration and what was checked of the node's declarations."""
    constructor = inputs.body.get("constructor_config")
    constructor = constructor if isinstance(constructor, dict) else {}
    metadata = inputs.body.get("constellation_metadata")
    pillars = metadata.get("compatible_pillars") if isinstance(metadata, dict) else None
    return {
        "registration_id": agent["id"],
        "status": "registered",
        "node_id": inputs.body["node_id"],
        "validation_results": {
            "input_validation": "passed",
            # As the node declares it: nothing here measures T4 compliance.
            "t4_compliance": bool(
                isinstance(constructor, dict) and constructor.get("t4_compliant")
            ),
            "constructor_validation": "passed"
            if isinstance(constructor, dict) and constructor.get("instantiation_pattern")
            else "not_declared",
            "constellation_compatibility": "not_declared"
            if not pillars
            else "verified"
            if all(p in PILLARS or p in PILLARS.values() for p in pillars)
            else "unknown_pillar",
        },
    }


def node_list(agents: list[dict[str, Any]], inputs: Inputs) -> dict[str, Any]:
    """Nodes with their availability; the registry is optimal when every node is available."""
    nodes = [
        {
            "node_id": (a["metadata"] or {}).get("node_id", a["name"]),
            "capabilities": a["capabilities"],
            "t4_compliant": bool(
                ((a["metadata"] or {}).get("constructor_config") or {}).get("t4_compliant")
            ),
            "availability": "active" if a["status"] in ("ACTIVE", "IDLE", "BUSY") else "offline",
        }
        for a in agents
    ]
    available = sum(n["availability"] == "active" for n in nodes)
    health = "empty" if not nodes else "optimal" if available == len(nodes) else "degraded"
    return {"nodes": nodes, "total_count": len(nodes), "registry_health": health}


def health_modules(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The health check with the modules' health (for callers who may read it); 503 when
    unhealthy."""
    require_healthy(data["health"])
    modules = {
        m["name"]: {"status": m["status"], "latency_ms": m["latency_ms"], **m["details"]}
        for m in data["modules"] or []
    }
    return {**data["health"], "modules": modules}


def stored(memory: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    # No helix (LUKHAS's memory strand) exists here: memories are not filed into strands.
    return {
        "memory_id": memory["memory_id"],
        "helix_id": None,
        "drift_score": memory["drift_score"],
        "storage_confirmed": True,
    }


def recalled(recall: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    memory = recall["memory"]
    return {
        "memory_id": memory["id"],
        "content": {
            "type": memory["type"],
            "data": memory["content"],
            "context": memory["context"],
        },
        "metadata": {
            "created_at": memory["created_at"],
            "access_count": memory["access_count"],
            "last_accessed": memory["last_accessed"],
            "drift_score": memory["drift_score"],
            "importance": memory["importance"],
        },
        "related_memories": [m["id"] for m in recall["related_memories"]],
    }


def search_hits(found: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    with_context = inputs.body.get("include_context", True)
    results = []
    for hit in found["results"]:
        memory = hit["memory"]
        result: dict[str, Any] = {
            "memory_id": memory["id"],
            "relevance_score": hit["relevance_score"],
            "content": {"type": memory["type"], "data": memory["content"]},
        }
        if with_context:
            result["context"] = memory["context"]
        results.append(result)
    return {
        "results": results,
        "total_matches": found["total_matches"],
        "search_time_ms": found["search_time_ms"],
    }


PILLAR_SYMBOLS = {name: symbol for symbol, name in PILLARS.items()}
FRAMEWORK_PILLARS = ("identity", "consciousness", "guardian")


def _online(agent: dict[str, Any]) -> bool:
    return agent["status"] in ("ACTIVE", "IDLE", "BUSY")


def active_pillars(nodes: list[dict[str, Any]]) -> list[str]:
    """Pillars with at least one online registry node declaring them."""
    tags = {tag for node in nodes if _online(node) for tag in node["tags"]}
    return [name for name in PILLARS.values() if f"pillar:{name}" in tags]


def consciousness_state(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The awareness state; the MATRIZ context from the agents and nodes that run it."""
    state = data["consciousness"]
    running = data["running"]
    stage = (running[0]["parameters"] or {}).get("stage") if running else None
    pipeline_up = any(_online(a) for a in data["stages"])
    nodes = [n for n in data["nodes"] if _online(n)]
    pillars = active_pillars(data["nodes"])
    changed = datetime.fromisoformat(data["system"]["updated_at"])
    return {
        "consciousness_state": {
            "current_mode": state["awareness_state"],
            "awareness_level": state["consciousness_level"],
            "status": state["status"],
            "active_pipeline_stage": stage,
            "constellation_alignment": " · ".join(
                f"{PILLAR_SYMBOLS[p]} {p.capitalize()}" for p in pillars
            )
            or "none",
        },
        # Each stage is ready when an agent that runs the pipeline is online; no risk
        # assessment is kept between requests.
        "matriz_context": {
            "memory_active": pipeline_up,
            "attention_focused": pipeline_up,
            "thought_processing": stage == "thought",
            "risk_assessment": "unassessed",
            "intent_verified": pipeline_up,
            "action_ready": pipeline_up,
        },
        # No attention weights are recorded outside the agents.
        "attention_distribution": [],
        "state_duration_seconds": max(0, int((datetime.now(UTC) - changed).total_seconds())),
        "registry_nodes_active": [(n["metadata"] or {}).get("node_id", n["name"]) for n in nodes],
    }


MATRIZ_STAGES = ("memory", "attention", "thought", "risk", "intent", "action")


def pipeline_health(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """Each MATRIZ stage is as healthy as the agents that run it (capability `matriz`);
    pillars and constructor-aware nodes from the registry; T4 from the measured error rate."""
    agents = data["agents"]
    online = [a for a in agents if a["status"] != "OFFLINE"]
    durations = [a["statistics"]["average_task_duration"] for a in online]
    latency = round(1000 * sum(durations) / len(durations), 1) if durations else None
    status = "active" if online else "offline"
    pillars = active_pillars(data["nodes"])
    constructed = any(
        ((n["metadata"] or {}).get("constructor_config") or {}).get("instantiation_pattern")
        == "constructor_aware"
        for n in data["nodes"]
        if _online(n)
    )
    errors = [p["value"] for p in data["errors"]]
    error_rate = sum(errors) / len(errors) if errors else None
    return {
        "pipeline_health": {
            stage: {"status": status, "latency_ms": latency} for stage in MATRIZ_STAGES
        },
        "constellation_framework": {
            f"{p}_pillar": f"{PILLAR_SYMBOLS[p]} {'active' if p in pillars else 'inactive'}"
            for p in FRAMEWORK_PILLARS
        },
        "t4_compliance": {
            # T4/0.01%: at most 0.01% of the last hour's requests failed.
            "performance_standards": "unmeasured"
            if error_rate is None
            else "met"
            if error_rate <= 0.0001
            else "not_met",
            # Every change is committed with its event in the ordered log.
            "audit_readiness": True,
            "constructor_aware_instantiation": "active" if constructed else "inactive",
        },
        "agents_online": len(online),
    }


def system_status(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """Host figures, guardian validations and response times, from what is measured."""
    system = data["system"] or {"uptime": 0, "metrics": {}}
    metrics = system["metrics"]
    guardian = data["guardian"]
    decisions = data["decisions"]
    latency = [p["value"] for p in data["latency"]]
    used_mb = metrics.get("memory_used_mb")
    return {
        "system": {
            "uptime_seconds": int(system["uptime"]),
            "total_interactions": data["interactions"]["total"],
            # Sessions are the connections held open to this server (LUKHAS streams).
            "active_sessions": metrics.get("active_connections"),
            "memory_usage_gb": round(used_mb / 1024, 2) if used_mb is not None else None,
            "cpu_usage_percent": metrics.get("cpu_usage_percent"),
            "memory_usage_percent": metrics.get("memory_usage_percent"),
        },
        "guardian": {
            "total_validations": guardian["completed"] + guardian["failed"],
            "approvals": decisions["approvals"],
            "rejections": decisions["rejections"],
            "approval_rate": decisions["approval_rate"],
            "failed_validations": guardian["failed"],
            "average_validation_time_ms": round(guardian["average_duration_seconds"] * 1000, 1),
        },
        "performance": {
            "average_response_time_ms": round(sum(latency) / len(latency), 3) if latency else None,
            # Percentiles of the most recent sampling interval of the last hour.
            "p95_response_time_ms": data["p95"][-1]["value"] if data["p95"] else None,
            "p99_response_time_ms": data["p99"][-1]["value"] if data["p99"] else None,
        },
    }


MEMORY = "id type content context tags importance"
REGISTRY_NODES = f"""
  agents(filter: {{tags: ["{REGISTRY_TAG}"], limit: 500}}) {{ name status tags metadata }}"""

ROUTES = (
    Route(
        "POST",
        "/auth/token",
        summary="Obtain Token",
        operation=LOGIN,
        variables={"username": "body.username", "password": "body.password"},
        body=(
            Field("username", required=True),
            Field("password", required=True),
            Field("biometric_data", description="accepted for compatibility; not evaluated"),
        ),
        result="login",
        lower=("token_type",),
        example={
            "username": "user@example.com",
            "password": "secure_password",
            "biometric_data": "base64_encoded_biometric",
        },
    ),
    Route(
        "POST",
        "/auth/refresh",
        summary="Refresh Token",
        operation=REFRESH,
        variables={"refreshToken": "body.refresh_token"},
        body=(Field("refresh_token", required=True),),
        result="refreshToken",
        lower=("token_type",),
        example={"refresh_token": "eyJ0eXAiOiJKV1QiLCJhbGc..."},
    ),
    Route(
        "GET",
        "/health",
        summary="Health Check",
        operation="""
        query {
          health { status timestamp version }
          modules: moduleHealth { name status latency_ms: latencyMs details }
        }""",
        shape=health_modules,
        optional=("modules",),
    ),
    Route(
        "POST",
        "/constellation/registry/nodes",
        summary="Register Node",
        operation="""
        mutation Register($input: CreateAgentInput!) { createAgent(input: $input) { id } }""",
        variables={
            "input": {
                "name": "body.node_id",
                "type": "body.node_type",
                "capabilities": "body.capabilities",
                "tags": Var("body", registry_tags),
                "metadata": {
                    "node_id": "body.node_id",
                    "constructor_config": "body.constructor_config",
                    "constellation_metadata": "body.constellation_metadata",
                },
            }
        },
        body=(
            Field("node_id", required=True),
            Field("node_type"),
            Field("capabilities", "array", items="string"),
            Field("constructor_config", "object"),
            Field("constellation_metadata", "object"),
        ),
        result="createAgent",
        shape=registered,
        example={
            "node_id": "custom_analytics_node",
            "node_type": "cognitive_processor",
            "capabilities": ["data_analysis", "pattern_recognition"],
            "constructor_config": {
                "t4_compliant": True,
                "instantiation_pattern": "constructor_aware",
                "dependencies": ["memory_module", "attention_module"],
            },
            "constellation_metadata": {
                "compatible_pillars": ["🧠"],
                "pipeline_stages": ["attention", "thought"],
            },
        },
    ),
    Route(
        "GET",
        "/constellation/registry/nodes",
        summary="List Available Nodes",
        operation="""
        query Nodes($filter: AgentFilter) {
          agents(filter: $filter) { id name status capabilities metadata }
        }""",
        variables={"filter": {"tags": Var("query", registry_filter), "limit": const(500)}},
        params=(Field("stage"), Field("pillar")),
        result="agents",
        shape=node_list,
        example_query={"stage": "attention", "pillar": "consciousness"},
    ),
    Route(
        "GET",
        "/consciousness/state",
        summary="Get Consciousness State",
        operation=f"""
        query {{
          consciousness {{
            status consciousness_level: consciousnessLevel awareness_state: awarenessState
          }}
          system {{ updated_at: updatedAt }}
          running: tasks(filter: {{status: RUNNING, type: "matriz_stage", limit: 1}}) {{
            parameters
          }}
          stages: agents(filter: {{capability: "matriz", limit: 500}}) {{ status }}
          nodes: {REGISTRY_NODES}
        }}""",
        shape=consciousness_state,
        rate_group="consciousness",
    ),
    Route(
        "POST",
        "/memory/store",
        summary="Store Memory",
        operation="""
        mutation Store($input: CreateMemoryInput!) {
          createMemory(input: $input) { memory_id: id drift_score: driftScore }
        }""",
        variables={
            "input": {
                "content": Var("body.content.data", to_str),
                "type": "body.content.type",
                "context": "body.content.context",
                "tags": "body.tags",
                "importance": "body.importance",
            }
        },
        body=(
            Field("content", "object", required=True, description="{type, data, context}"),
            Field("tags", "array", items="string"),
            Field("importance", "number"),
        ),
        result="createMemory",
        shape=stored,
        rate_group="memory",
        example={
            "content": {
                "type": "episodic",
                "data": "User learned about quantum entanglement",
                "context": {
                    "timestamp": "2024-01-15T10:30:00Z",
                    "location": "main_interaction",
                    "associated_concepts": ["quantum", "physics", "education"],
                },
            },
            "tags": ["physics", "learning", "successful_explanation"],
            "importance": 0.8,
        },
    ),
    Route(
        "GET",
        "/memory/recall/{memory_id}",
        summary="Recall Memory",
        operation="""
        mutation Recall($id: ID!) {
          recallMemory(id: $id) {
            memory {
              id type content context created_at: createdAt access_count: accessCount
              last_accessed: lastAccessed drift_score: driftScore importance
            }
            related_memories: relatedMemories { id }
          }
        }""",
        variables={"id": "path.memory_id"},
        result="recallMemory",
        shape=recalled,
        rate_group="memory",
    ),
    Route(
        "POST",
        "/memory/search",
        summary="Search Memories",
        operation=f"""
        query Search($input: MemorySearchInput!) {{
          searchMemories(input: $input) {{
            results {{ memory {{ {MEMORY} }} relevance_score: relevanceScore }}
            total_matches: totalMatches search_time_ms: searchTimeMs
          }}
        }}""",
        variables={
            "input": {
                "query": "body.query",
                "limit": "body.limit",
                "types": "body.filters.type",
                "minImportance": "body.filters.min_importance",
                "start": "body.filters.date_range.start",
                "end": "body.filters.date_range.end",
            }
        },
        body=(
            Field("query", required=True),
            Field("filters", "object", description="{type: [...], date_range, min_importance}"),
            Field("limit", "integer"),
            Field("include_context", "boolean"),
        ),
        result="searchMemories",
        shape=search_hits,
        rate_group="memory",
        example={
            "query": "quantum physics explanations",
            "filters": {
                "type": ["episodic", "semantic"],
                "date_range": {"start": "2024-01-01", "end": "2024-01-15"},
                "min_importance": 0.5,
            },
            "limit": 10,
            "include_context": True,
        },
    ),
    agent_route(
        "POST",
        "/matriz/process",
        capability="matriz",
        summary="Process Input (MATRIZ Pipeline)",
        parameters=whole_body("input", "context", "pipeline_options", "constellation_config"),
        body=(
            Field("input", required=True),
            Field("context", "object"),
            Field("pipeline_options", "object"),
            Field("constellation_config", "object"),
        ),
        rate_group="process",
        shape=matriz_processed,
        example={
            "input": "Explain quantum entanglement in simple terms",
            "context": {"user_id": "user123", "session_id": "session456"},
            "pipeline_options": {"memory_depth": 3, "thought_mode": "analytical"},
        },
    ),
    Route(
        "GET",
        "/status",
        summary="Get System Status",
        operation="""
        query {
          system {
            uptime
            metrics {
              cpu_usage_percent: cpuUsage memory_usage_percent: memoryUsage
              memory_used_mb: memoryUsedMb active_connections: activeConnections
            }
          }
          guardian: taskStatistics(filter: {type: "guardian"}) {
            completed failed average_duration_seconds: averageDurationSeconds
          }
          decisions: guardianDecisions { approvals rejections approval_rate: approvalRate }
          interactions: taskStatistics(filter: {type: "matriz"}) { total }
          latency: metrics(type: RESPONSE_TIME, period: "1h") { value }
          p95: metrics(type: RESPONSE_TIME_P95, period: "1h") { value }
          p99: metrics(type: RESPONSE_TIME_P99, period: "1h") { value }
        }""",
        shape=system_status,
    ),
    Route(
        "GET",
        "/matriz/status",
        summary="Get Pipeline Status",
        operation=f"""
        query {{
          agents(filter: {{capability: "matriz", limit: 500}}) {{
            status statistics {{ average_task_duration: averageTaskDuration }}
          }}
          nodes: {REGISTRY_NODES}
          errors: metrics(type: ERROR_RATE, period: "1h") {{ value }}
        }}""",
        shape=pipeline_health,
    ),
    agent_route(
        "POST",
        "/matriz/stage/{stage_name}",
        capability="matriz_stage",
        summary="Process Individual Pipeline Stage",
        parameters={
            "stage": "path.stage_name",
            **whole_body("input_data", "context", "stage_config"),
        },
        body=(
            Field("input_data", "object"),
            Field("context", "object"),
            Field("stage_config", "object"),
        ),
        rate_group="process",
        example={"input_data": {"text": "hello"}, "context": {}, "stage_config": {}},
    ),
    agent_route(
        "POST",
        "/consciousness/reflect",
        capability="reflection",
        summary="Trigger Reflection",
        parameters=whole_body("topic", "depth", "include_emotions"),
        body=(
            Field("topic", required=True),
            Field("depth", "integer"),
            Field("include_emotions", "boolean"),
        ),
        rate_group="consciousness",
        example={"topic": "recent_interactions", "depth": 3, "include_emotions": True},
    ),
    agent_route(
        "POST",
        "/reasoning/analyze",
        capability="reasoning",
        summary="Analyze Query",
        parameters=whole_body("query", "reasoning_type", "depth"),
        body=(Field("query", required=True), Field("reasoning_type"), Field("depth")),
        example={
            "query": "What would happen if gravity was 10% stronger?",
            "reasoning_type": "hypothetical",
            "depth": "deep",
        },
    ),
    agent_route(
        "POST",
        "/reasoning/causal",
        capability="causal_inference",
        summary="Causal Inference",
        parameters=whole_body("observations", "hypothesis"),
        body=(
            Field("observations", "array", required=True, items="object"),
            Field("hypothesis", required=True),
        ),
        example={
            "observations": [
                {"event": "increased_study_time", "timestamp": "2024-01-10"},
                {"event": "improved_test_scores", "timestamp": "2024-01-15"},
            ],
            "hypothesis": "study_time_causes_better_scores",
        },
    ),
    agent_route(
        "POST",
        "/dream/generate",
        capability="dream",
        summary="Generate Creative Solution",
        parameters=whole_body("seed", "constraints", "creativity_level", "num_realities"),
        body=(
            Field("seed", required=True),
            Field("constraints", "array", items="string"),
            Field("creativity_level", "number"),
            Field("num_realities", "integer"),
        ),
        rate_group="dream",
        example={
            "seed": "Design a sustainable city for Mars",
            "constraints": ["Limited water", "No breathable atmosphere"],
            "creativity_level": 0.8,
            "num_realities": 5,
        },
    ),
    agent_route(
        "POST",
        "/guardian/validate",
        capability="guardian",
        summary="Validate Action",
        parameters=whole_body("action"),
        body=(Field("action", "object", required=True),),
        example={
            "action": {
                "type": "response_generation",
                "content": "Instructions for building a particle accelerator",
                "target_user": "user123",
                "context": "Educational request from physics student",
            }
        },
    ),
    Route(
        "POST",
        "/constellation/identity/authenticate",
        summary="Authenticate with Lambda ID",
        operation=LOGIN,
        # The Λ iD is the account name and the biometric payload the secret it was enrolled
        # with; nothing is scored, so no `biometric_match` is claimed.
        variables={"username": "body.lambda_id", "password": "body.biometric_data"},
        body=(
            Field("lambda_id", required=True),
            Field("biometric_data", required=True),
            Field("authentication_context", "object"),
        ),
        result="login",
        shape=constellation_session,
        example={
            "lambda_id": "ΛPRIME-2025-0001",
            "biometric_data": "base64_encoded_biometric",
            "authentication_context": {
                "session_id": "session456",
                "requested_tier": "ΛPRIME",
                "constellation_context": True,
            },
        },
    ),
)

API = Api(
    name="lukhas",
    title="LUKHAS AI",
    mount="/v1",
    envelope=LUKHAS,
    routes=ROUTES,
    rate_limits={
        # The reference lists no limit for the other paths but documents the headers for all:
        # they count against 100/minute, the limit of its other module groups.
        "default": "100/minute",
        "process": "60/minute",
        "memory": "100/minute",
        "consciousness": "100/minute",
        "dream": "10/minute",
    },
    reset_after_header=True,
)
