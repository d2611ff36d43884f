"""Endpoints whose answer needs a model: each is a task for an agent with a capability.

The route submits the task through `submitTask` and waits; the body is the agent's result.
No capable agent online → 503, no answer in time → 504 (the task is cancelled: nobody is left
to receive it), a failed attempt → 500 with the agent's error; each API renders these with its
own codes (`envelopes.py`). With `Prefer: respond-async` the route answers 202 at once with the
task id and a status URL instead. Nothing is made up on the server's side: the agent's labels
(`reference_implementation`, `handler`) leave the documented body for its `metadata` where the
document has one, and for the `X-Reference-Implementation` header otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from axonql.errors import AxonError, ValidationError
from axonql.rest_compat.route import Binding, Field, Inputs, Route, Shaper, Var, const
from axonql.services.task_parameters import INPUT_TYPES

SUBMIT_FIELDS = """
    id status progress result error agent_id: agentId
    started_at: startedAt completed_at: completedAt"""
SUBMIT = f"""
mutation Submit($input: CreateTaskInput!, $wait: Float!) {{
  submitTask(input: $input, waitSeconds: $wait) {{ {SUBMIT_FIELDS}
  }}
}}"""
SUBMIT_ESTIMATED = SUBMIT.replace(
    SUBMIT_FIELDS, SUBMIT_FIELDS + " typical_duration: typicalDuration"
)

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


LABELS = ("reference_implementation", "handler")
LABEL_HEADER = "X-Reference-Implementation"


def _finished(task: dict[str, Any]) -> dict[str, Any]:
    """The completed task's result (an object); AgentFailed when it did not complete."""
    status = str(task["status"]).lower()
    if status != "completed":
        raise AgentFailed(
            task.get("error") or f"the task ended {status}",
            details={"task_id": task["id"], "status": status},
        )
    result = task.get("result")
    return dict(result) if isinstance(result, dict) else {"output": result}


def _unlabel(result: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The agent's labels out of the body; announced in a header instead."""
    labels = {key: result.pop(key) for key in LABELS if key in result}
    if labels.get("reference_implementation"):
        inputs.headers[LABEL_HEADER] = str(labels.get("handler") or "true")
    return labels


def agent_result(task: dict[str, Any], inputs: Inputs) -> Any:
    """The finished task's result as the agent returned it, its labels moved to a header."""
    result = _finished(task)
    _unlabel(result, inputs)
    return result


def with_metadata(task: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """The result with the labels, the task and the agent recorded in its `metadata`."""
    result = _finished(task)
    labels = _unlabel(result, inputs)
    metadata = dict(result.get("metadata") or {})
    metadata.update(labels)
    metadata.update({"task_id": task["id"], "agent_id": task.get("agent_id")})
    result["metadata"] = metadata
    return result


def matriz_processed(task: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """LUKHAS's MATRIZ answer: the interaction is the task."""
    result = with_metadata(task, inputs)
    result["metadata"].setdefault("interaction_id", task["id"])
    return result


def _output_text(output: Any) -> str:
    """NexusNet documents `output` as a string; structured output is sent as JSON text."""
    if isinstance(output, str):
        return output
    return json.dumps(output, sort_keys=True, ensure_ascii=False, default=str)


def processed(task: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """NexusNet's `{output, processing_time, metadata}` around the agent's result."""
    result = with_metadata(task, inputs)
    output = result.pop("output", None)
    metadata = result.pop("metadata")
    if output is None:  # an agent that answered with a bare object: that object is the output
        output = result
    return {"output": _output_text(output), "processing_time": _seconds(task), "metadata": metadata}


def batch_processed(task: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """NexusNet's batch answer: one `{output, processing_time, metadata}` per input."""
    result = with_metadata(task, inputs)
    results = []
    for item in result.get("results") or []:
        entry = dict(item) if isinstance(item, dict) else {"output": item}
        results.append(
            {
                "output": _output_text(entry.get("output")),
                "processing_time": entry.get("processing_time"),
                "metadata": dict(entry.get("metadata") or {}),
            }
        )
    batch = dict(result.get("batch_metadata") or {})
    batch.setdefault("batch_size", len(results))
    batch.setdefault("parallel_processing", False)
    batch.update(result["metadata"])
    total = result.get("total_processing_time")
    return {
        "results": results,
        "total_processing_time": total if total is not None else _seconds(task),
        "batch_metadata": batch,
    }


def accepted(
    id_key: str, message: str, status: str | None = None, follow: str | None = None
) -> Shaper:
    """An asynchronous submission: the task id under the API's name for it.

    `status` is the word the document uses for work that was accepted (NexusNet's `/train`
    answers `started`); the task's own status otherwise. `follow` (`/train/{id}/status`) is
    where the caller follows the task: sent as the `Location` header.
    """

    def shape(task: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
        if follow is not None:
            inputs.headers["Location"] = follow.format(id=task["id"])
        said = status or str(task["status"]).lower()
        answer = {id_key: task["id"], "status": said, "message": message}
        if "typical_duration" in task:  # how long this kind of work took lately (null: new)
            answer["estimated_duration"] = task["typical_duration"]
        return answer

    return shape


def status_url(task_id: str) -> str:
    """Where an asynchronous caller follows its task (OCTOSPINE's task detail)."""
    return f"/api/tasks/{task_id}"


def accepted_async(task: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """`Prefer: respond-async`: 202 with the task id and where to follow it."""
    url = status_url(task["id"])
    inputs.headers["Location"] = url
    inputs.headers["Preference-Applied"] = "respond-async"
    return {
        "task_id": task["id"],
        "status": str(task["status"]).lower(),
        "status_url": url,
        "result_query": f'query {{ task(id: "{task["id"]}") {{ status progress result error }} }}',
    }


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
    estimate: bool = False,
) -> Route:
    """A route that hands the documented body to an agent advertising `capability`.

    `capabilities` replaces the fixed `[capability]` when the request decides (NexusNet's
    `input_type` → `<input_type>_processing`, as on its WebSocket). `estimate` also reads how
    long such tasks took lately (for an asynchronous answer's `estimated_duration`).
    """
    return Route(
        method,
        path,
        summary=summary,
        operation=SUBMIT_ESTIMATED if estimate else SUBMIT,
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
        respond_async=accepted_async if wait else None,
    )


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
