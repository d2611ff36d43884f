"""Endpoints whose answer needs a model: each is a task for an agent with a capability.

The route submits the task through `submitTask` and waits; the body is the agent's result.
No capable agent online → 503, no answer in time → 504 (the task stays queued), a failed
attempt → 500 with the agent's error. Nothing is made up on the server's side.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from axonql.errors import AxonError, ValidationError
from axonql.rest_compat.route import Binding, Field, Inputs, Route, Shaper, Var, const

SUBMIT = """
mutation Submit($input: CreateTaskInput!, $wait: Float!) {
  submitTask(input: $input, waitSeconds: $wait) {
    id status progress result error agent_id: agentId
    started_at: startedAt completed_at: completedAt
  }
}"""

WAIT_SECONDS = 30.0


class AgentFailed(AxonError):
    """The agent reported that it could not do the work."""

    code = "AGENT_FAILED"
    status = 500


def _seconds(task: Mapping[str, Any]) -> float | None:
    if not task.get("started_at") or not task.get("completed_at"):
        return None
    started = datetime.fromisoformat(task["started_at"])
    return round((datetime.fromisoformat(task["completed_at"]) - started).total_seconds(), 3)


def agent_result(task: dict[str, Any], inputs: Inputs) -> Any:
    """The finished task's result exactly as the agent returned it."""
    status = str(task["status"]).lower()
    if status != "completed":
        raise AgentFailed(
            task.get("error") or f"the task ended {status}",
            details={"task_id": task["id"], "status": status},
        )
    return task["result"]


def processed(task: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """NexusNet's `{output, processing_time, metadata}` around the agent's result."""
    result = agent_result(task, inputs)
    output = result.get("output", result) if isinstance(result, dict) else result
    metadata = dict(result.get("metadata") or {}) if isinstance(result, dict) else {}
    metadata.update({"task_id": task["id"], "agent_id": task["agent_id"]})
    return {"output": output, "processing_time": _seconds(task), "metadata": metadata}


def accepted(id_key: str, message: str) -> Shaper:
    """An asynchronous submission: the task id under the API's name for it."""

    def shape(task: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
        return {id_key: task["id"], "status": str(task["status"]).lower(), "message": message}

    return shape


def agent_route(
    method: Any,
    path: str,
    *,
    capability: str,
    summary: str,
    parameters: Mapping[str, Binding],
    body: tuple[Field, ...] = (),
    example: Mapping[str, Any] | None = None,
    shape: Shaper = agent_result,
    wait: float = WAIT_SECONDS,
    rate_group: str = "default",
    status: int = 200,
    task_type: str | None = None,
    capabilities: Binding | None = None,
) -> Route:
    """A route that hands the documented body to an agent advertising `capability`.

    `capabilities` replaces the fixed `[capability]` when the request decides (NexusNet's
    `input_type` → `<input_type>_processing`, as on its WebSocket).
    """
    return Route(
        method,
        path,
        summary=summary,
        operation=SUBMIT,
        variables={
            "input": {
                "name": const(f"{summary} ({path})"),
                "type": const(task_type or capability),
                "requiredCapabilities": capabilities or const([capability]),
                "parameters": dict(parameters),
            },
            "wait": const(wait),
        },
        body=body,
        result="submitTask",
        shape=shape,
        rate_group=rate_group,
        status=status,
        example=example,
        message=f"handled by an agent with the capability {capability}",
    )


INPUT_TYPES = ("text", "image", "audio", "video", "multimodal")


def processing_capability(input_type: Any) -> list[str]:
    """NexusNet's `input_type` names the capability an agent must offer."""
    if input_type not in INPUT_TYPES:
        raise ValidationError(f"input_type must be one of {', '.join(INPUT_TYPES)}")
    return [f"{input_type}_processing"]


def reference_text(body: Any) -> Any:
    """Text inputs also go in `text`, the parameter text-processing agents read."""
    if body.get("input_type", "text") == "text" and isinstance(body.get("input_data"), str):
        return body["input_data"]
    return None


def whole_body(*names: str) -> dict[str, Binding]:
    """Task parameters: the listed documented body fields, as sent."""
    return {name: Var(f"body.{name}") for name in names}
