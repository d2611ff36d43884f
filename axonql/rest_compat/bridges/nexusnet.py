"""NexusNet's real-time processing on `/ws` (seed 003): each message is agent work.

    → {"type": "process", "data": {"input_data": …, "input_type": "text", "options": {}}}
    → {"input_data": …, "input_type": "text", "options": {}}      (the bare form; the JS SDK's
                                                                  `inputData`/`inputType` too)
    ← {"type": "result", "data": {"output": …, "processing_time": 0.123, "metadata": {…}}}
    ← {"type": "error", "error": {code, message, details, timestamp, request_id}}

A message becomes a `submitTask` (type `process`, requiring the capability
`<input_type>_processing`, e.g. `text_processing`) that waits up to
`AXONQL_WS_PROCESS_TIMEOUT_SECONDS` for the agent's result. With no capable agent online the
answer is `SERVICE_UNAVAILABLE` (details.reason `NO_CAPABLE_AGENT`); when the agent does not
finish in time it is `SERVICE_UNAVAILABLE` with reason `TIMEOUT` and the task id (the task stays
queued or running, visible and cancellable). Nothing is ever answered without an agent.
A client-chosen `id` on the message is echoed on its answer. A client that leaves before its
answer leaves the task to finish, as a REST caller's timeout does.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from axonql.rest_compat.bridges.session import BridgeFailure, Session, enveloped
from axonql.rest_compat.envelopes import NEXUSNET, Failure

INPUT_TYPES = ("text", "image", "audio", "video", "multimodal")
SUBMIT = """
mutation BridgeProcess($input: CreateTaskInput!, $wait: Float!) {
  submitTask(input: $input, waitSeconds: $wait) {
    id status result error agentId startedAt completedAt
  }
}"""
_LABELS = ("reference_implementation", "handler")
_counter = itertools.count(1)
render_error = enveloped(NEXUSNET)


def is_process(message: dict[str, Any]) -> bool:
    """Whether a `/ws` message is NexusNet work rather than an OCTOSPINE action."""
    return message.get("type") == "process" or "input_data" in message or "inputData" in message


def _invalid(message: str, field: str, reason: str) -> BridgeFailure:
    return BridgeFailure(Failure(400, "INVALID_INPUT", message, {"field": field, "reason": reason}))


def request_of(message: dict[str, Any]) -> tuple[Any, str, dict[str, Any]]:
    """`input_data`, `input_type` and `options` from either message form, validated."""
    body = message.get("data") if message.get("type") == "process" else message
    if not isinstance(body, dict):
        raise _invalid("data must be an object", "data", "expected an object")
    data = body.get("input_data", body.get("inputData"))
    if data is None or (isinstance(data, str) and not data.strip()):
        raise _invalid(
            "The provided input data is invalid", "input_data", "Input data cannot be empty"
        )
    kind = body.get("input_type", body.get("inputType", "text"))
    if kind not in INPUT_TYPES:
        raise _invalid(
            f"input_type must be one of {', '.join(INPUT_TYPES)}", "input_type", "unknown type"
        )
    options = body.get("options") or {}
    if not isinstance(options, dict):
        raise _invalid("options must be an object", "options", "expected an object")
    return data, str(kind), options


def _seconds(task: dict[str, Any]) -> float:
    started, finished = task.get("startedAt"), task.get("completedAt")
    if not started or not finished:
        return 0.0
    delta = datetime.fromisoformat(finished) - datetime.fromisoformat(started)
    return round(max(0.0, delta.total_seconds()), 3)


def result_message(task: dict[str, Any]) -> dict[str, Any]:
    """The agent's result in the documented `result` shape."""
    result = dict(task.get("result") or {})
    if "output" in result:
        output = result.pop("output")
    elif "outputs" in result:
        output = result.pop("outputs")
    else:
        output, result = result, {k: result[k] for k in _LABELS if k in result}
    metadata = {**result, "task_id": task["id"], "agent_id": task.get("agentId")}
    return {
        "type": "result",
        "data": {"output": output, "processing_time": _seconds(task), "metadata": metadata},
    }


def _unavailable(failure: Failure) -> Failure:
    """503 NO_CAPABLE_AGENT and 504 TIMEOUT in NexusNet's words (`SERVICE_UNAVAILABLE`)."""
    if failure.code in ("NO_CAPABLE_AGENT", "TIMEOUT"):
        details = {**failure.details, "reason": failure.code}
        return Failure(503, "SERVICE_UNAVAILABLE", failure.message, details)
    return failure


async def run(session: Session, message: dict[str, Any]) -> None:
    """Submit the work and answer with the agent's result or the reason there is none."""
    data, kind, options = request_of(message)
    parameters: dict[str, Any] = {"input_data": data, "input_type": kind, "options": options}
    if isinstance(data, str):
        parameters["text"] = data  # the reference text handler's parameter
    if isinstance(options.get("operations"), list):
        parameters["operations"] = options["operations"]
    task_input = {
        "name": f"NexusNet real-time {kind} processing",
        "type": "process",
        "parameters": parameters,
        "requiredCapabilities": [f"{kind}_processing"],
        "tags": ["nexusnet", "websocket"],
    }
    wait = session.settings.ws_process_timeout_seconds
    try:
        task = (await session.execute(SUBMIT, {"input": task_input, "wait": wait}))["submitTask"]
    except BridgeFailure as exc:
        raise BridgeFailure(_unavailable(exc.failure)) from None
    if task["status"] == "COMPLETED":
        answer = result_message(task)
    elif task["status"] == "FAILED":
        failure = Failure(500, "PROCESSING_ERROR", task.get("error") or "processing failed")
        raise BridgeFailure(Failure(500, failure.code, failure.message, {"task_id": task["id"]}))
    else:
        raise BridgeFailure(
            Failure(
                503,
                "SERVICE_UNAVAILABLE",
                f"task {task['id']} ended {str(task['status']).lower()}",
                {"task_id": task["id"], "reason": str(task["status"])},
            )
        )
    if "id" in message:
        answer["id"] = message["id"]
    await session.send(answer)


def start(session: Session, message: dict[str, Any]) -> None:
    """Run one message's work beside the others, so the socket keeps reading meanwhile."""

    async def work() -> None:
        try:
            await run(session, message)
        except BridgeFailure as exc:
            error = render_error(exc.failure, session.request_id)
            if "id" in message:
                error["id"] = message["id"]
            await session.send(error)

    session.start_work(f"process-{next(_counter)}", work())
