"""OCTOSPINE: paths under `/api/…`, every body wrapped in `{success, data, …}`."""

from __future__ import annotations

from typing import Any

from axonql.rest_compat.converters import alias, each, fields, healthy, to_int, to_str, upper
from axonql.rest_compat.envelopes import OCTOSPINE
from axonql.rest_compat.route import (
    Api,
    Field,
    Inputs,
    Pagination,
    Route,
    Shaper,
    Var,
)

# `status=active` in the document's examples: every task that has not finished.
ACTIVE_TASK_STATUSES = ["CREATED", "QUEUED", "RUNNING", "PAUSED"]

TASK_DETAIL = """
  id name description type status priority progress parameters
  schedule { type value }
  statistics {
    total_runs: totalRuns successful_runs: successfulRuns
    failed_runs: failedRuns average_duration: averageDuration
  }
  created_at: createdAt updated_at: updatedAt
"""

TASK_BODY = (
    Field("name", "string"),
    Field("description", "string"),
    Field("type", "string"),
    Field("priority", "string", description="low, medium, high or critical"),
    Field("parameters", "object"),
    Field("schedule", "object", description='{"type": "interval"|"cron", "value": …}'),
)

TASK_INPUT = {
    "name": "body.name",
    "description": "body.description",
    "type": "body.type",
    "priority": Var("body.priority", upper),
    "parameters": "body.parameters",
    "schedule": Var("body.schedule", fields(type=upper, value=to_str)),
}

AGENT_DETAIL = """
  id name type status capabilities
  configuration {
    max_concurrent_tasks: maxConcurrentTasks timeout retry_attempts: retryAttempts
  }
  statistics {
    total_tasks_completed: totalTasksCompleted successful_tasks: successfulTasks
    failed_tasks: failedTasks average_task_duration: averageTaskDuration uptime
  }
  current_tasks: currentTasks { id name progress }
  created_at: createdAt updated_at: updatedAt
"""


def schedule_as_documented(task: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """An interval schedule's value is a number of seconds in the document (`"value": 300`)."""
    schedule = task.get("schedule")
    if schedule and schedule.get("type") == "interval" and str(schedule["value"]).isdigit():
        schedule["value"] = int(schedule["value"])
    return task


def deleted(data: Any, inputs: Inputs) -> dict[str, Any]:
    return {"id": inputs.path["task_id"], "deleted": bool(data)}


def agent_summaries(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The list shows counts where the detail shows objects (`current_tasks: 2`)."""
    for agent in data["agents"]:
        agent["current_tasks"] = len(agent["current_tasks"])
        agent["total_tasks_completed"] = agent.pop("statistics")["total_tasks_completed"]
    return data


def system_status(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """`/api/status`: host metrics, application counts and agent counts by status."""
    counts = {c["status"].lower(): c["count"] for c in data["agents"]["by_status"]}
    system = data["system"] or {}
    return {
        "system": system.get("metrics"),
        "applications": system.get("applications"),
        "agents": {
            "total": data["agents"]["total"],
            "active": counts.get("active", 0) + counts.get("busy", 0),
            "idle": counts.get("idle", 0),
        },
    }


def system_config(system: dict[str, Any] | None, inputs: Inputs) -> dict[str, Any]:
    """`/api/config`: the environment and the stored feature flags and limits."""
    system = system or {}
    config = system.get("config") or {}
    return {
        "environment": system.get("environment"),
        "features": config.get("features", {}),
        "limits": config.get("limits", {}),
    }


def search_results(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    return {
        "results": data["results"],
        "total_results": len(data["results"]),
        "search_time": round(inputs.elapsed, 4),
    }


def metric_series(default_period: str) -> Shaper:
    """Series keyed by metric name, next to the app/period/interval the request named."""

    def shape(data: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if "app_id" in inputs.query:
            out["app_id"] = inputs.query["app_id"]
        out["period"] = inputs.query.get("period") or default_period
        if "interval" in inputs.query:
            out["interval"] = inputs.query["interval"]
        out["metrics"] = data
        return out

    return shape


METRIC_POINTS = "{ timestamp value }"

ROUTES = (
    Route(
        "GET",
        "/api/health",
        summary="Health Check",
        operation="""
        query Health {
          health { status timestamp version uptime services { database cache queue } }
        }""",
        result="health",
        shape=healthy,
    ),
    Route(
        "GET",
        "/api/status",
        summary="System Status",
        operation="""
        query Status {
          system {
            metrics {
              cpu_usage: cpuUsage memory_usage: memoryUsage disk_usage: diskUsage
              network_io: networkIo { bytes_sent: bytesSent bytes_received: bytesReceived }
            }
            applications { total running stopped }
          }
          agents: agentStatistics { total by_status: byStatus { status count } }
        }""",
        shape=system_status,
    ),
    Route(
        "GET",
        "/api/config",
        summary="System Configuration",
        operation="query Config { system { environment config } }",
        result="system",
        shape=system_config,
    ),
    Route(
        "POST",
        "/api/tasks",
        summary="Create Task",
        operation="""
        mutation CreateTask($input: CreateTaskInput!) {
          createTask(input: $input) {
            id name status created_at: createdAt next_run: nextRun
          }
        }""",
        variables={"input": TASK_INPUT},
        body=(Field("name", "string", required=True), *TASK_BODY[1:]),
        result="createTask",
        lower=("status",),
        status=201,
        message="Task created successfully",
        example={
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
    Route(
        "GET",
        "/api/tasks",
        summary="List Tasks",
        operation="""
        query ListTasks($filter: TaskFilter) {
          tasks(filter: $filter) {
            id name type status progress created_at: createdAt last_run: lastRun
          }
          count: tasksConnection(filter: $filter, first: 1) { totalCount }
        }""",
        variables={
            "filter": {
                "status": Var("query.status", alias({"active": None}, upper)),
                "statuses": Var(
                    "query.status", alias({"active": ACTIVE_TASK_STATUSES}, lambda _: None)
                ),
                "type": "query.type",
                "priority": Var("query.priority", upper),
                "limit": "page.limit",
                "offset": "page.offset",
            }
        },
        params=(
            Field("status", description="a task status, or `active` for unfinished tasks"),
            Field("type"),
            Field("priority"),
            Field("limit", "integer"),
            Field("offset", "integer"),
        ),
        pagination=Pagination("limit_offset", items="tasks", total="count.totalCount"),
        lower=("tasks[].status",),
        example_query={"status": "active", "limit": "10", "offset": "0"},
    ),
    Route(
        "GET",
        "/api/tasks/{task_id}",
        summary="Get Task Details",
        operation=f"query GetTask($id: ID!) {{ task(id: $id) {{ {TASK_DETAIL} }} }}",
        variables={"id": "path.task_id"},
        result="task",
        lower=("status", "priority"),
        shape=schedule_as_documented,
    ),
    Route(
        "PUT",
        "/api/tasks/{task_id}",
        summary="Update Task",
        operation=f"""
        mutation UpdateTask($id: ID!, $input: UpdateTaskInput!) {{
          updateTask(id: $id, input: $input) {{ {TASK_DETAIL} }}
        }}""",
        variables={"id": "path.task_id", "input": TASK_INPUT},
        body=TASK_BODY,
        result="updateTask",
        lower=("status", "priority"),
        shape=schedule_as_documented,
        message="Task updated successfully",
        example={
            "name": "Updated Data Processing Task",
            "priority": "medium",
            "parameters": {
                "source": "api",
                "destination": "database",
                "transformations": ["clean", "validate", "enrich", "aggregate"],
            },
        },
    ),
    Route(
        "DELETE",
        "/api/tasks/{task_id}",
        summary="Delete Task",
        operation="mutation DeleteTask($id: ID!) { deleteTask(id: $id) }",
        variables={"id": "path.task_id"},
        result="deleteTask",
        shape=deleted,
        message="Task deleted successfully",
    ),
    Route(
        "POST",
        "/api/agents",
        summary="Create Agent",
        operation="""
        mutation CreateAgent($input: CreateAgentInput!) {
          createAgent(input: $input) {
            id name type status capabilities created_at: createdAt
          }
        }""",
        variables={
            "input": {
                "name": "body.name",
                "type": "body.type",
                "capabilities": "body.capabilities",
                "configuration": Var(
                    "body.configuration",
                    fields(max_concurrent_tasks=to_int, timeout=to_int, retry_attempts=to_int),
                ),
            }
        },
        body=(
            Field("name", "string", required=True),
            Field("type", "string"),
            Field("capabilities", "array", items="string"),
            Field("configuration", "object"),
        ),
        result="createAgent",
        lower=("status",),
        status=201,
        message="Agent created successfully",
        example={
            "name": "Data Processing Agent",
            "type": "data_processor",
            "capabilities": ["data_cleaning", "validation", "transformation"],
            "configuration": {"max_concurrent_tasks": 5, "timeout": 300, "retry_attempts": 3},
        },
    ),
    Route(
        "GET",
        "/api/agents",
        summary="List Agents",
        operation="""
        query ListAgents($filter: AgentFilter) {
          agents(filter: $filter) {
            id name type status current_tasks: currentTasks { id }
            statistics { total_tasks_completed: totalTasksCompleted }
            created_at: createdAt
          }
          count: agentsConnection(filter: $filter, first: 1) { totalCount }
        }""",
        variables={
            "filter": {
                "status": Var("query.status", upper),
                "type": "query.type",
                "limit": "page.limit",
                "offset": "page.offset",
            }
        },
        params=(
            Field("status"),
            Field("type"),
            Field("limit", "integer"),
            Field("offset", "integer"),
        ),
        pagination=Pagination("limit_offset", items="agents", total="count.totalCount"),
        lower=("agents[].status",),
        shape=agent_summaries,
        example_query={"status": "active", "type": "data_processor"},
    ),
    Route(
        "GET",
        "/api/agents/{agent_id}",
        summary="Get Agent Details",
        operation=f"query GetAgent($id: ID!) {{ agent(id: $id) {{ {AGENT_DETAIL} }} }}",
        variables={"id": "path.agent_id"},
        result="agent",
        lower=("status",),
    ),
    Route(
        "GET",
        "/api/consciousness/status",
        summary="Get Consciousness Status",
        operation="""
        query Consciousness {
          consciousness {
            status consciousness_level: consciousnessLevel
            memory_usage: memoryUsage { short_term: shortTerm long_term: longTerm }
            learning_progress: learningProgress {
              total_patterns: totalPatterns new_patterns_today: newPatternsToday
              adaptation_rate: adaptationRate
            }
            decision_metrics: decisionMetrics {
              total_decisions: totalDecisions successful_decisions: successfulDecisions
              confidence_average: confidenceAverage
            }
          }
        }""",
        result="consciousness",
    ),
    Route(
        "POST",
        "/api/consciousness/learn",
        summary="Trigger Learning Session",
        operation="""
        mutation Learn($input: LearningInput!) {
          triggerLearning(input: $input) {
            session_id: sessionId status estimated_completion: estimatedCompletion
            focus_areas: focusAreas
          }
        }""",
        variables={
            "input": {
                "sessionType": "body.session_type",
                "duration": "body.duration",
                "focusAreas": "body.focus_areas",
            }
        },
        body=(
            Field("session_type", required=True),
            Field("duration", "integer", description="seconds"),
            Field("focus_areas", "array", items="string"),
        ),
        result="triggerLearning",
        message="Learning session started",
        example={
            "session_type": "pattern_recognition",
            "duration": 3600,
            "focus_areas": ["data_processing", "automation_optimization"],
        },
    ),
    Route(
        "POST",
        "/api/documentation/generate",
        summary="Generate Documentation",
        operation="""
        mutation GenerateDocs($input: DocumentationInput!) {
          generateDocumentation(input: $input) {
            job_id: jobId status estimated_completion: estimatedCompletion targets
          }
        }""",
        variables={
            "input": {
                "type": "body.type",
                "targets": "body.targets",
                "format": "body.format",
                "includeExamples": "body.include_examples",
            }
        },
        body=(
            Field("type", required=True),
            Field("targets", "array", required=True, items="string"),
            Field("format"),
            Field("include_examples", "boolean"),
        ),
        result="generateDocumentation",
        message="Documentation generation started",
        example={
            "type": "api_reference",
            "targets": ["services", "components", "frameworks"],
            "format": "markdown",
            "include_examples": True,
        },
    ),
    Route(
        "GET",
        "/api/documentation/status/{job_id}",
        summary="Get Documentation Status",
        operation="""
        query DocJob($id: ID!) {
          documentationJob(id: $id) {
            job_id: jobId status progress documents_generated: documentsGenerated
            files_processed: filesProcessed completion_time: completionTime
          }
        }""",
        variables={"id": "path.job_id"},
        result="documentationJob",
    ),
    Route(
        "GET",
        "/api/documentation/search",
        summary="Search Documentation",
        operation="""
        query SearchDocs($query: String!, $type: String, $limit: Int!) {
          results: searchDocumentation(query: $query, type: $type, limit: $limit) {
            id title type content_snippet: contentSnippet
            relevance_score: relevanceScore last_updated: lastUpdated
          }
        }""",
        variables={
            "query": Var("query.query", default=""),
            "type": "query.type",
            "limit": Var("query.limit", to_int, default=10),
        },
        params=(Field("query", required=True), Field("type"), Field("limit", "integer")),
        shape=search_results,
        example_query={"query": "authentication", "type": "api", "limit": "10"},
    ),
    Route(
        "POST",
        "/api/automations",
        summary="Create Automation",
        operation="""
        mutation CreateAutomation($input: CreateAutomationInput!) {
          createAutomation(input: $input) {
            id name status triggers { type value next_trigger: nextTrigger }
            created_at: createdAt
          }
        }""",
        variables={
            "input": {
                "name": "body.name",
                "description": "body.description",
                "type": "body.type",
                "triggers": Var("body.triggers", each(fields(type=upper, value=to_str))),
                "steps": Var("body.steps", each(fields(name=None, type=None, parameters=None))),
            }
        },
        body=(
            Field("name", required=True),
            Field("description"),
            Field("type"),
            Field("triggers", "array", required=True, items="object"),
            Field("steps", "array", required=True, items="object"),
        ),
        result="createAutomation",
        lower=("status", "triggers[].type"),
        status=201,
        message="Automation created successfully",
        example={
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
    Route(
        "GET",
        "/api/automations",
        summary="List Automations",
        operation="""
        query ListAutomations($filter: AutomationFilter, $all: AutomationFilter) {
          automations(filter: $filter) {
            id name type status last_run: lastRun next_run: nextRun success_rate: successRate
          }
          every: automationCount(filter: $all)
        }""",
        variables={
            "filter": {
                "status": Var("query.status", upper),
                "type": "query.type",
                "limit": "page.limit",
                "offset": "page.offset",
            },
            "all": {"status": Var("query.status", upper), "type": "query.type"},
        },
        params=(
            Field("status"),
            Field("type"),
            Field("limit", "integer"),
            Field("offset", "integer"),
        ),
        pagination=Pagination("limit_offset", items="automations", total="every"),
        lower=("automations[].status",),
        example_query={"status": "active", "type": "data_processing"},
    ),
    Route(
        "GET",
        "/api/metrics/system",
        summary="Get System Metrics",
        operation=f"""
        query SystemMetrics($period: String!, $interval: String) {{
          cpu_usage: metrics(type: CPU_USAGE, period: $period, interval: $interval)
            {METRIC_POINTS}
          memory_usage: metrics(type: MEMORY_USAGE, period: $period, interval: $interval)
            {METRIC_POINTS}
          disk_usage: metrics(type: DISK_USAGE, period: $period, interval: $interval)
            {METRIC_POINTS}
        }}""",
        variables={"period": Var("query.period", default="1h"), "interval": "query.interval"},
        params=(Field("period"), Field("interval")),
        shape=metric_series("1h"),
        example_query={"period": "1h", "interval": "5m"},
    ),
    Route(
        "GET",
        "/api/metrics/applications",
        summary="Get Application Metrics",
        operation=f"""
        query AppMetrics($period: String!, $appId: String) {{
          response_time: metrics(type: RESPONSE_TIME, period: $period, appId: $appId)
            {METRIC_POINTS}
          throughput: metrics(type: THROUGHPUT, period: $period, appId: $appId)
            {METRIC_POINTS}
          error_rate: metrics(type: ERROR_RATE, period: $period, appId: $appId)
            {METRIC_POINTS}
        }}""",
        variables={"period": Var("query.period", default="24h"), "appId": "query.app_id"},
        params=(Field("app_id"), Field("period")),
        shape=metric_series("24h"),
        example_query={"app_id": "app_123", "period": "24h"},
    ),
)

API = Api(
    name="octospine",
    title="OCTOSPINE",
    mount="",
    envelope=OCTOSPINE,
    routes=ROUTES,
    rate_limits={"default": "1000/minute"},
)
