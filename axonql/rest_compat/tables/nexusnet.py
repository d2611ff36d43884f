"""NexusNet: root paths, bare bodies, `{"error": {…, request_id}}` errors.

NexusNet's own records live under client-chosen ids: the System `nexusnet` (its plugins are
that system's components, its configuration that system's config) and the Population
`nexusnet` (its evolution system; `?population_id=` picks another).
"""

from __future__ import annotations

from typing import Any

from axonql.rest_compat.converters import require_healthy, to_int
from axonql.rest_compat.envelopes import NEXUSNET
from axonql.rest_compat.route import Api, Field, Inputs, Route, Shaper, Var, const
from axonql.rest_compat.tables.agent_work import (
    accepted,
    agent_route,
    batch_processed,
    processed,
    processing_capability,
    reference_text,
    whole_body,
)
from axonql.rest_compat.tables.auth_endpoints import LOGIN

SYSTEM_ID = "nexusnet"
POPULATION_ID = "nexusnet"

INDIVIDUAL = """
  individual_id: id fitness genome generation
"""

THREAT = """
  threat_id: id timestamp: detectedAt type severity status description location
  healed healing_method: healingMethod resolution resolution_time: resolutionTime
"""

SUMMARY = "{ average peak points { timestamp value } }"


def success(result: Any, inputs: Inputs) -> dict[str, Any]:
    """NexusNet's `{"status": "success", "result": …}` acknowledgement."""
    return {"status": "success", "result": result}


def memory_usage(usage: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    pools = usage.pop("pools")
    return {
        "memory_usage": usage,
        "memory_pools": {
            p["pool"]: {"size": p["size"], "utilization": p["utilization"]} for p in pools
        },
    }


def memory_hits(found: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    return {
        "results": [
            {
                "memory_id": hit["memory"]["id"],
                "content": hit["memory"]["content"],
                "similarity_score": hit["relevance_score"],
                "timestamp": hit["memory"]["created_at"],
                "memory_type": hit["memory"]["type"],
                "metadata": {
                    "tags": hit["memory"]["tags"],
                    "importance": hit["memory"]["importance"],
                    "pool": hit["memory"]["pool"],
                },
            }
            for hit in found["results"]
        ],
        "total_results": found["total_matches"],
        "search_time": round(found["search_time_ms"] / 1000, 4),
    }


def evolution_status(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """Each genome nested as NexusNet shows it: the architecture genes apart from the rest."""
    status = data["evolutionStatus"]
    structural = set(status.pop("architecture_genes"))
    population = status.pop("current_population")
    for individual in population:
        genome = individual.pop("genome") or {}
        individual["architecture"] = {k: v for k, v in genome.items() if k in structural}
        individual["hyperparameters"] = {k: v for k, v in genome.items() if k not in structural}
    return {"evolution_status": status, "current_population": population}


def evolution_history(history: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    return {"evolution_history": history["records"], "statistics": history["statistics"]}


def evolution_triggered(result: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The evolution has run by the time this answers: its duration is the one it took."""
    return {"status": "success", "result": {**result, "estimated_duration": inputs.elapsed}}


def immune_status(status: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    categories = status.pop("threat_categories")
    return {
        "immune_status": status,
        "threat_categories": {
            c["name"]: {
                "active": c["active"],
                "threats_found": c["threats_found"],
                "severity": c["severity"],
            }
            for c in categories
        },
    }


def plugin_status(plugin: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    plugin["initialized"] = plugin.pop("active")
    return plugin


def stats(system: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    metrics = system["metrics"]
    load = metrics["system_load"] or {}
    return {
        "cpu_usage": metrics["cpu_usage"],
        "memory_usage": metrics["memory_usage"],
        "gpu_usage": metrics["gpu_usage"],
        "active_connections": metrics["active_connections"],
        "requests_processed": metrics["requests_processed"],
        "uptime": system["uptime"],
        "system_load": {
            "1min": load.get("one"),
            "5min": load.get("five"),
            "15min": load.get("fifteen"),
        },
        "disk_usage": metrics["disk_usage"],
        "network": metrics["network"],
    }


def performance(series: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The series beside their averages and peaks (response times in seconds, as NexusNet)."""
    seconds = {"response_time"}
    scale = {name: 0.001 if name in seconds else 1.0 for name in series}
    summary: dict[str, float] = {}
    for name, found in series.items():
        average, peak = found["average"], found["peak"]
        summary[f"avg_{name}"] = round(average * scale[name], 6) if average is not None else 0.0
        if name != "error_rate":
            summary[f"peak_{name}"] = round(peak * scale[name], 6) if peak is not None else 0.0
    points = {
        name: [{**p, "value": round(p["value"] * scale[name], 6)} for p in found["points"]]
        for name, found in series.items()
    }
    return {
        "timeframe": inputs.query.get("timeframe", "24h"),
        "granularity": inputs.query.get("granularity", "1h"),
        "metrics": points,
        "summary": summary,
    }


def config_updated(system: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    return {
        "status": "success",
        "message": "Configuration updated successfully",
        "updated_fields": sorted(inputs.body.get("config_updates", {})),
        "restart_required": False,
    }


def training_cancelled(task: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    return {
        "training_id": task["id"],
        "status": str(task["status"]).lower(),
        "message": "Training cancelled successfully",
    }


def health(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """NexusNet's health check: 503 (in its error body) when the server is unhealthy."""
    found = data["health"]
    require_healthy(found)
    return {
        "status": found["status"],
        "version": found["version"],
        "uptime": found["uptime"],
        "system_info": (data["system"] or {}).get("metrics"),
    }


SYSTEM_INFO = """
  cpu_count: cpuCount memory_total: memoryTotalMb gpu_available: gpuAvailable gpu_count: gpuCount
  cpu_usage: cpuUsage memory_usage: memoryUsage disk_usage: diskUsage
"""


def plugin_changed(message: str) -> Shaper:
    """`{status, plugin_name, message}` (+ the stored configuration after a config change)."""

    def shape(plugin: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
        out: dict[str, Any] = {
            "status": "success",
            "plugin_name": plugin["name"],
            "message": message,
        }
        if message.startswith("Plugin activated"):
            out["activation_time"] = round(inputs.elapsed, 4)  # seconds the activation took
        if "config" in inputs.body:
            out["updated_config"] = plugin["configuration"]
        return out

    return shape


PLUGIN = """
  name version status active capabilities description author configuration
  health_score: healthScore last_used: lastUsed
  performance_metrics: performanceMetrics {
    requests_processed: requestsProcessed average_response_time: averageResponseTime
    throughput error_rate: errorRate
  }
"""

CHANGE_PLUGIN = """
mutation Plugin($name: String!, $active: Boolean, $configuration: JSON) {
  changePlugin(name: $name, active: $active, configuration: $configuration) { name configuration }
}"""


def _plugin_route(verb: str, method: Any, change: dict[str, Any], message: str) -> Route:
    return Route(
        method,
        f"/plugins/{{plugin_name}}/{verb}",
        summary=f"{verb.capitalize()} plugin",
        operation=CHANGE_PLUGIN,
        variables={"name": "path.plugin_name", **change},
        result="changePlugin",
        shape=plugin_changed(message),
        body=(Field("config", "object", required=True),) if verb == "config" else (),
        example={"config": {"max_length": 1024, "temperature": 0.7}} if verb == "config" else None,
    )


POPULATION = Var("query.population_id", default=POPULATION_ID)

ROUTES = (
    Route(
        "POST",
        "/auth/login",
        summary="Obtain a JWT",
        operation=LOGIN,
        variables={"username": "body.username", "password": "body.password"},
        body=(Field("username", required=True), Field("password", required=True)),
        result="login",
        lower=("token_type",),
        rate_group="auth",
        example={"username": "your-username", "password": "your-password"},
    ),
    Route(
        "GET",
        "/health",
        summary="Health Check",
        operation=f"""
        query {{
          health {{ status version uptime services {{ database cache queue }} }}
          system {{ metrics {{ {SYSTEM_INFO} }} }}
        }}""",
        shape=health,
        optional=("system",),
    ),
    agent_route(
        "POST",
        "/process",
        capability="text_processing",
        task_type="process",
        capabilities=Var("body.input_type", processing_capability, default=["text_processing"]),
        summary="Process Input",
        parameters={
            **whole_body("input_data", "input_type", "options"),
            "text": Var("body", reference_text),
        },
        body=(
            Field("input_data", required=True),
            Field("input_type", description="text, image, audio, video, multimodal"),
            Field("options", "object"),
        ),
        shape=processed,
        example={
            "input_data": "What is the capital of France?",
            "input_type": "text",
            "options": {"max_length": 100, "temperature": 0.5},
        },
    ),
    agent_route(
        "POST",
        "/process/batch",
        capability="process_batch",
        summary="Batch Processing",
        parameters=whole_body("inputs", "batch_options"),
        body=(
            Field("inputs", "array", required=True, items="object"),
            Field("batch_options", "object"),
        ),
        shape=batch_processed,
        example={
            "inputs": [
                {"input_data": "First input", "input_type": "text"},
                {"input_data": "Second input", "input_type": "text"},
            ],
            "batch_options": {"parallel": True, "max_batch_size": 32},
        },
    ),
    agent_route(
        "POST",
        "/train",
        capability="training",
        summary="Start Training",
        parameters={
            "epochs": "body.training_config.epochs",
            "learning_rate": "body.training_config.learning_rate",
            "batch_size": "body.training_config.batch_size",
            "validation_split": "body.training_config.validation_split",
            "training_config": "body.training_config",
            "data": "body.data",
        },
        body=(
            Field("data", "array", required=True, items="object"),
            Field("training_config", "object"),
        ),
        shape=accepted(
            "training_id",
            "Training started in background",
            status="started",
            follow="/train/{id}/status",
        ),
        wait=0,
        status=202,
        estimate=True,
        example={
            "data": [
                {"input": "Training input 1", "output": "Expected output 1"},
                {"input": "Training input 2", "output": "Expected output 2"},
            ],
            "training_config": {"epochs": 10, "learning_rate": 0.001, "batch_size": 32},
        },
    ),
    Route(
        "GET",
        "/train/{training_id}/status",
        summary="Training Status",
        operation="""
        query Training($id: ID!) {
          trainingStatus(id: $id) {
            training_id: trainingId status progress current_epoch: currentEpoch
            total_epochs: totalEpochs estimated_time_remaining: estimatedTimeRemaining
            metrics {
              loss accuracy validation_loss: validationLoss
              validation_accuracy: validationAccuracy
            }
          }
        }""",
        variables={"id": "path.training_id"},
        result="trainingStatus",
    ),
    Route(
        "DELETE",
        "/train/{training_id}",
        summary="Cancel Training",
        operation="""
        mutation Cancel($id: ID!) {
          cancelTraining(id: $id, reason: "cancelled through DELETE /train") { id status }
        }""",
        variables={"id": "path.training_id"},
        result="cancelTraining",
        shape=training_cancelled,
    ),
    agent_route(
        "GET",
        "/model/info",
        capability="model_info",
        summary="Model Information",
        parameters={},
    ),
    agent_route(
        "POST",
        "/model/load",
        capability="model_load",
        summary="Load Model",
        parameters=whole_body("model_name", "version", "config"),
        body=(Field("model_name", required=True), Field("version"), Field("config", "object")),
        example={
            "model_name": "nexusnet-large",
            "version": "1.1.0",
            "config": {"precision": "fp16", "device": "cuda", "max_memory": 8192},
        },
    ),
    agent_route(
        "POST",
        "/model/save",
        capability="model_save",
        summary="Save Model",
        parameters=whole_body("save_path", "include_optimizer", "compress", "metadata"),
        body=(
            Field("save_path", required=True),
            Field("include_optimizer", "boolean"),
            Field("compress", "boolean"),
            Field("metadata", "object"),
        ),
        example={"save_path": "/models/custom_model", "include_optimizer": True, "compress": True},
    ),
    Route(
        "GET",
        "/memory/usage",
        summary="Memory Usage",
        operation="""
        query { memoryUsage {
          total_memory: totalMemory used_memory: usedMemory available_memory: availableMemory
          memory_efficiency: memoryEfficiency fragmentation
          pools { pool size utilization }
        } }""",
        result="memoryUsage",
        shape=memory_usage,
    ),
    Route(
        "POST",
        "/memory/consolidate",
        summary="Memory Consolidation",
        operation="""
        mutation Consolidate($input: ConsolidationInput) {
          consolidateMemories(input: $input) {
            memories_consolidated: memoriesConsolidated memory_freed: memoryFreedKb
            consolidation_time: consolidationTime efficiency_improvement: efficiencyImprovement
          }
        }""",
        variables={"input": {"preserveRecent": "body.preserve_recent"}},
        body=(
            Field("force", "boolean", description="accepted; consolidation always runs"),
            Field("target_efficiency", "number", description="accepted; not a stop condition"),
            Field("preserve_recent", "boolean"),
        ),
        result="consolidateMemories",
        shape=success,
        example={"force": False, "target_efficiency": 0.85, "preserve_recent": True},
    ),
    Route(
        "POST",
        "/memory/search",
        summary="Memory Search",
        operation="""
        query Search($input: MemorySearchInput!) {
          searchMemories(input: $input) {
            results {
              memory { id content created_at: createdAt type tags importance pool }
              relevance_score: relevanceScore
            }
            total_matches: totalMatches search_time_ms: searchTimeMs
          }
        }""",
        variables={
            "input": {
                "query": "body.query",
                "limit": "body.limit",
                "similarityThreshold": "body.similarity_threshold",
                "types": "body.memory_types",
                "start": "body.time_range.start",
                "end": "body.time_range.end",
            }
        },
        body=(
            Field("query", required=True),
            Field("limit", "integer"),
            Field("similarity_threshold", "number"),
            Field("memory_types", "array", items="string"),
            Field("time_range", "object", description='{"start": date, "end": date}'),
        ),
        result="searchMemories",
        shape=memory_hits,
        example={
            "query": "machine learning concepts",
            "limit": 10,
            "similarity_threshold": 0.7,
            "memory_types": ["episodic", "semantic"],
            "time_range": {"start": "2024-01-01", "end": "2024-12-31"},
        },
    ),
    Route(
        "GET",
        "/evolution/status",
        summary="Evolution Status",
        operation=f"""
        query EvolutionStatus($id: ID!) {{
          evolutionStatus(populationId: $id) {{
            active current_generation: currentGeneration population_size: populationSize
            best_fitness: bestFitness average_fitness: averageFitness
            evolution_progress: evolutionProgress
            mutations_this_generation: mutationsThisGeneration
            crossovers_this_generation: crossoversThisGeneration
            current_population: currentPopulation {{ {INDIVIDUAL} }}
            architecture_genes: architectureGenes
          }}
        }}""",
        variables={"id": POPULATION},
        params=(Field("population_id", description="default: nexusnet"),),
        shape=evolution_status,
    ),
    Route(
        "POST",
        "/evolution/trigger",
        summary="Trigger Evolution",
        operation="""
        mutation Evolve($id: ID!, $input: EvolutionInput) {
          evolvePopulation(id: $id, input: $input) {
            evolution_triggered: evolutionTriggered generation_started: generationStarted
            evolution_id: evolutionId best_fitness: bestFitness
          }
        }""",
        variables={
            "id": POPULATION,
            "input": {"mutationRate": "body.mutation_rate", "generations": "body.max_generations"},
        },
        body=(
            Field("force_evolution", "boolean", description="accepted; evolution always runs"),
            Field("target_fitness", "number", description="accepted; not a stop condition"),
            Field("max_generations", "integer"),
            Field("mutation_rate", "number"),
        ),
        params=(Field("population_id", description="default: nexusnet"),),
        result="evolvePopulation",
        shape=evolution_triggered,
        example={
            "force_evolution": True,
            "target_fitness": 0.95,
            "max_generations": 5,
            "mutation_rate": 0.02,
        },
    ),
    Route(
        "GET",
        "/evolution/history",
        summary="Evolution History",
        operation="""
        query History($id: ID!, $limit: Int!) {
          evolutionHistory(populationId: $id, limit: $limit) {
            records {
              generation timestamp: createdAt best_fitness: bestFitness
              average_fitness: averageFitness diversity_score: diversity improvements
            }
            statistics {
              total_generations: totalGenerations fitness_improvement: fitnessImprovement
              convergence_rate: convergenceRate diversity_trend: diversityTrend
            }
          }
        }""",
        variables={"id": POPULATION, "limit": Var("query.limit", to_int, default=10)},
        params=(Field("limit", "integer"), Field("population_id")),
        result="evolutionHistory",
        shape=evolution_history,
    ),
    Route(
        "GET",
        "/immune/status",
        summary="Immune Status",
        operation="""
        query { immuneStatus {
          active health_score: healthScore threats_detected: threatsDetected
          threats_resolved: threatsResolved last_scan: lastScan scan_frequency: scanFrequency
          auto_healing: autoHealing
          threat_categories: threatCategories {
            name active threats_found: threatsFound severity
          }
        } }""",
        result="immuneStatus",
        shape=immune_status,
    ),
    Route(
        "POST",
        "/immune/scan",
        summary="Scan for Threats",
        operation=f"""
        mutation Scan($input: ImmuneScanInput) {{
          runImmuneScan(input: $input) {{
            scan_id: scanId status threats_found: threatsFound threats_healed: threatsHealed
            scan_duration: scanDuration results {{ {THREAT} }}
          }}
        }}""",
        variables={
            "input": {
                "scanTypes": "body.scan_types",
                "deepScan": "body.deep_scan",
                "autoHeal": "body.auto_heal",
            }
        },
        body=(
            Field("scan_types", "array", items="string"),
            Field("deep_scan", "boolean"),
            Field("auto_heal", "boolean"),
        ),
        result="runImmuneScan",
        example={"scan_types": ["bias", "errors", "vulnerabilities"], "deep_scan": True},
    ),
    Route(
        "GET",
        "/immune/threats",
        summary="Threat History",
        operation=f"""
        query Threats($limit: Int!, $severity: String, $status: String, $type: String) {{
          threats(limit: $limit, severity: $severity, status: $status, type: $type) {{
            threats {{ {THREAT} }}
            summary {{
              total_threats: totalThreats resolved_threats: resolvedThreats
              pending_threats: pendingThreats average_resolution_time: averageResolutionTime
            }}
          }}
        }}""",
        variables={
            "limit": Var("query.limit", to_int, default=50),
            "severity": "query.severity",
            "status": "query.status",
            "type": "query.type",
        },
        params=(
            Field("limit", "integer"),
            Field("severity"),
            Field("status", description="detected, resolved or ignored"),
            Field("type"),
        ),
        result="threats",
    ),
    Route(
        "GET",
        "/plugins",
        summary="List Plugins",
        operation=f"""
        query {{
          plugins {{
            plugins {{ {PLUGIN} }} total_plugins: totalPlugins active_plugins: activePlugins
          }}
        }}""",
        result="plugins",
    ),
    Route(
        "GET",
        "/plugins/{plugin_name}/status",
        summary="Plugin Status",
        operation=f"query Plugin($name: String!) {{ plugin(name: $name) {{ {PLUGIN} }} }}",
        variables={"name": "path.plugin_name"},
        result="plugin",
        shape=plugin_status,
    ),
    _plugin_route("activate", "POST", {"active": const(True)}, "Plugin activated successfully"),
    _plugin_route(
        "deactivate", "POST", {"active": const(False)}, "Plugin deactivated successfully"
    ),
    _plugin_route(
        "config", "PUT", {"configuration": "body.config"}, "Configuration updated successfully"
    ),
    Route(
        "GET",
        "/stats",
        summary="System Stats",
        operation="""
        query { system {
          uptime
          metrics {
            cpu_usage: cpuUsage memory_usage: memoryUsage gpu_usage: gpuUsage
            active_connections: activeConnections requests_processed: requestsProcessed
            system_load: loadAverage {
              one: oneMinute five: fiveMinutes fifteen: fifteenMinutes
            }
            disk_usage: disk { total: totalMb used: usedMb available: availableMb }
            network: networkIo {
              bytes_sent: bytesSent bytes_received: bytesReceived
              packets_sent: packetsSent packets_received: packetsReceived
            }
          }
        } }""",
        result="system",
        shape=stats,
    ),
    Route(
        "GET",
        "/stats/performance",
        summary="Performance Metrics",
        operation=f"""
        query Performance($period: String!, $interval: String) {{
          request_rate: metricSummary(type: REQUEST_RATE, period: $period, interval: $interval)
            {SUMMARY}
          response_time: metricSummary(type: RESPONSE_TIME, period: $period, interval: $interval)
            {SUMMARY}
          error_rate: metricSummary(type: ERROR_RATE, period: $period, interval: $interval)
            {SUMMARY}
        }}""",
        variables={
            "period": Var("query.timeframe", default="24h"),
            "interval": Var("query.granularity", default="1h"),
        },
        params=(
            Field("timeframe", description="1h, 24h, 7d, 30d"),
            Field("granularity", description="1m, 5m, 1h, 1d"),
        ),
        shape=performance,
    ),
    Route(
        "GET",
        "/config",
        summary="Get Configuration",
        operation="query Config($id: ID) { system(id: $id) { config } }",
        variables={"id": const(SYSTEM_ID)},
        result="system",
    ),
    Route(
        "POST",
        "/config",
        summary="Update Configuration",
        operation="""
        mutation Configure($id: ID!, $patch: JSON!) {
          updateSystem(id: $id, input: {configPatch: $patch}) { id }
        }""",
        variables={"id": const(SYSTEM_ID), "patch": "body.config_updates"},
        body=(Field("config_updates", "object", required=True),),
        result="updateSystem",
        shape=config_updated,
        example={
            "config_updates": {
                "core.hidden_dim": 1024,
                "features.enable_dreaming": False,
                "api.timeout": 600,
            }
        },
    ),
)

API = Api(
    name="nexusnet",
    title="NexusNet",
    mount="",
    envelope=NEXUSNET,
    routes=ROUTES,
    rate_limits={"default": "100/minute", "auth": "100/minute"},
)
