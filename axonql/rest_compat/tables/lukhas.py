"""LUKHAS AI: mounted at `/v1`, bare bodies, errors with `trace_id`."""

from __future__ import annotations

from typing import Any

from axonql.rest_compat.converters import require_healthy, to_str
from axonql.rest_compat.envelopes import LUKHAS
from axonql.rest_compat.route import Api, Field, Inputs, Route, Var
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


# LUKHAS's pillars by symbol (how the framework's status and a session name them).
PILLARS = {"⚛️": "identity", "🧠": "consciousness", "🛡️": "guardian", "✦": "memory"}


def registered(registration: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The registration and what was checked of the node's declarations."""
    checks = ("t4_compliance", "constructor_validation", "constellation_compatibility")
    return {
        "registration_id": registration["registration_id"],
        "status": "registered",
        "node_id": registration["node_id"],
        "validation_results": {
            "input_validation": "passed",
            **{name: registration[name] for name in checks},
        },
    }


def node_list(registry: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """Nodes with their availability (online or not)."""
    for node in registry["nodes"]:
        node["availability"] = "active" if node.pop("online") else "offline"
    return registry


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


def consciousness_state(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The awareness state beside the MATRIZ context (each stage ready while an agent that runs
    the pipeline is online; no risk assessment is kept between requests)."""
    state = data["consciousness"]
    context = data["matriz"]
    up = context["pipeline_online"]
    pillars = context["active_pillars"]
    return {
        "consciousness_state": {
            "current_mode": state["awareness_state"],
            "awareness_level": state["consciousness_level"],
            "status": state["status"],
            "active_pipeline_stage": context["active_stage"],
            "constellation_alignment": " · ".join(
                f"{PILLAR_SYMBOLS[p]} {p.capitalize()}" for p in pillars
            )
            or "none",
        },
        "matriz_context": {
            "memory_active": up,
            "attention_focused": up,
            "thought_processing": context["active_stage"] == "thought",
            "risk_assessment": "unassessed",
            "intent_verified": up,
            "action_ready": up,
        },
        # No attention weights are recorded outside the agents.
        "attention_distribution": [],
        "state_duration_seconds": context["state_duration_seconds"],
        "registry_nodes_active": context["registry_nodes_active"],
    }


def pipeline_health(pipeline: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The pipeline's health per stage, the framework's pillars and the T4 figures."""
    pillars = pipeline["active_pillars"]
    stage = {"status": pipeline["status"], "latency_ms": pipeline["latency_ms"]}
    return {
        "pipeline_health": {name: dict(stage) for name in pipeline["stages"]},
        "constellation_framework": {
            f"{p}_pillar": f"{PILLAR_SYMBOLS[p]} {'active' if p in pillars else 'inactive'}"
            for p in FRAMEWORK_PILLARS
        },
        "t4_compliance": {
            "performance_standards": pipeline["performance_standards"],
            # Every change is committed with its event in the ordered log.
            "audit_readiness": True,
            "constructor_aware_instantiation": "active"
            if pipeline["constructor_aware"]
            else "inactive",
        },
        "agents_online": pipeline["agents_online"],
    }


def system_status(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """Host figures, guardian validations and response times, from what is measured."""
    system = data["system"] or {"uptime": 0, "metrics": {}}
    metrics = system["metrics"]
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
        "guardian": data["guardian"],
        "performance": {
            "average_response_time_ms": data["latency"]["average"],
            # Percentiles of the most recent sampling interval of the last hour.
            "p95_response_time_ms": data["p95"]["latest"],
            "p99_response_time_ms": data["p99"]["latest"],
        },
    }


MEMORY = "id type content context tags importance"
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
        mutation Register($input: RegisterNodeInput!) {
          registerNode(input: $input) {
            registration_id: registrationId node_id: nodeId t4_compliance: t4Compliance
            constructor_validation: constructorValidation
            constellation_compatibility: constellationCompatibility
          }
        }""",
        variables={
            "input": {
                "nodeId": "body.node_id",
                "nodeType": "body.node_type",
                "capabilities": "body.capabilities",
                "constructorConfig": "body.constructor_config",
                "constellationMetadata": "body.constellation_metadata",
            }
        },
        body=(
            Field("node_id", required=True),
            Field("node_type"),
            Field("capabilities", "array", items="string"),
            Field("constructor_config", "object"),
            Field("constellation_metadata", "object"),
        ),
        result="registerNode",
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
        query Nodes($stage: String, $pillar: String) {
          registry(stage: $stage, pillar: $pillar) {
            nodes { node_id: nodeId capabilities t4_compliant: t4Compliant online }
            total_count: totalCount registry_health: health
          }
        }""",
        variables={"stage": "query.stage", "pillar": "query.pillar"},
        params=(Field("stage"), Field("pillar")),
        result="registry",
        shape=node_list,
        example_query={"stage": "attention", "pillar": "consciousness"},
    ),
    Route(
        "GET",
        "/consciousness/state",
        summary="Get Consciousness State",
        operation="""
        query {
          consciousness {
            status consciousness_level: consciousnessLevel awareness_state: awarenessState
          }
          matriz: matrizContext {
            active_stage: activeStage pipeline_online: pipelineOnline
            active_pillars: activePillars registry_nodes_active: registryNodesActive
            state_duration_seconds: stateDurationSeconds
          }
        }""",
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
          guardian: guardianDecisions {
            total_validations: totalValidations approvals rejections
            approval_rate: approvalRate failed_validations: failedValidations
            average_validation_time_ms: averageValidationTimeMs
          }
          interactions: taskStatistics(filter: {type: "matriz"}) { total }
          latency: metricSummary(type: RESPONSE_TIME, period: "1h") { average }
          p95: metricSummary(type: RESPONSE_TIME_P95, period: "1h") { latest }
          p99: metricSummary(type: RESPONSE_TIME_P99, period: "1h") { latest }
        }""",
        shape=system_status,
    ),
    Route(
        "GET",
        "/matriz/status",
        summary="Get Pipeline Status",
        operation="""
        query {
          matrizPipeline {
            stages status agents_online: agentsOnline latency_ms: latencyMs
            active_pillars: activePillars constructor_aware: constructorAware
            performance_standards: performanceStandards
          }
        }""",
        result="matrizPipeline",
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
