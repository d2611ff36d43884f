"""OCTOSPINE (seed 001): paths under `/api/…`, every body wrapped in `{success, data, …}`."""

from __future__ import annotations

from typing import Any

from axonql.rest_compat.converters import alias, fields, to_int, to_str, upper
from axonql.rest_compat.envelopes import OCTOSPINE
from axonql.rest_compat.route import Api, Field, Inputs, Pagination, Route, Var

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


ROUTES = (
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
)

API = Api(
    name="octospine",
    title="OCTOSPINE",
    mount="",
    envelope=OCTOSPINE,
    routes=ROUTES,
    rate_limits={"default": "1000/minute"},
)
