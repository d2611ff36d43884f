"""NexusNet's real-time processing on `/ws`: each message is agent work.

    → {"type": "process", "data": {"input_data": …, "input_type": "text", "options": {}}}
    → {"input_data": …, "input_type": "text", "options": {}}      (the bare form; the JS SDK's
                                                                  `inputData`/`inputType` too)
    ← {"type": "result", "data": {"output": …, "processing_time": 0.123, "metadata": {…}}}
    ← {"type": "error", "error": {code, message, details, timestamp, request_id}}

A message becomes the same `submitTask` as REST `POST /process` (type `process`, requiring the
capability `<input_type>_processing`, e.g. `text_processing`; the answer shaped by the same
`agent_work.processed`), waiting up to
`AXONQL_WS_PROCESS_TIMEOUT_SECONDS` for the agent's result. With no capable agent online the
answer is `SERVICE_UNAVAILABLE` (details.reason `NO_CAPABLE_AGENT`, also when the agent running
it dies and no other is online); when the agent does not finish in time it is
`SERVICE_UNAVAILABLE` with reason `TIMEOUT` and the task id (the task is cancelled: nobody waits
for it any more). Nothing is ever answered without an agent. A client-chosen `id` on the message
is echoed on its answer. A client that leaves before its answer has its task cancelled, as a
REST caller's timeout does. An unreadable message that looks like NexusNet's (or follows one)
is answered in NexusNet's error format.
"""

from __future__ import annotations

import secrets
from typing import Any

from axonql.errors import AxonError
from axonql.rest_compat.bridges.session import BridgeFailure, Session, enveloped
from axonql.rest_compat.envelopes import NEXUSNET, Failure
from axonql.rest_compat.route import Inputs
from axonql.rest_compat.tables.agent_work import SUBMIT, processed
from axonql.services.task_parameters import INPUT_TYPES

render_error = enveloped(NEXUSNET)


def is_process(message: dict[str, Any]) -> bool:
    """Whether a `/ws` message is NexusNet work rather than an OCTOSPINE action."""
    return message.get("type") == "process" or "input_data" in message or "inputData" in message


def _invalid(message: str, field: str, reason: str) -> BridgeFailure:
    return BridgeFailure(Failure(400, "INVALID_INPUT", message, {"field": field, "reason": reason}))


def request_of(message: dict[str, Any]) -> dict[str, Any]:
    """The documented body (`input_data`, `input_type`, `options`) of either form, validated."""
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
    return {"input_data": data, "input_type": kind, "options": options}


def _unavailable(failure: Failure) -> Failure:
    """503 NO_CAPABLE_AGENT and 504 TIMEOUT in NexusNet's words (`SERVICE_UNAVAILABLE`)."""
    if failure.code in ("NO_CAPABLE_AGENT", "TIMEOUT"):
        details = {**failure.details, "reason": failure.code}
        return Failure(503, "SERVICE_UNAVAILABLE", failure.message, details)
    return failure


async def run(session: Session, message: dict[str, Any]) -> None:
    """Submit the work as REST `POST /process` does; answer with the agent's result or why not."""
    body = request_of(message)
    parameters = dict(body)
    if body["input_type"] == "text" and isinstance(body["input_data"], str):
        parameters["text"] = body["input_data"]  # the parameter text-processing agents read
    task_input = {
        "name": "Process Input (WebSocket /ws)",
        "type": "process",
        "parameters": parameters,
        "requiredCapabilities": [f"{body['input_type']}_processing"],
    }
    wait = session.settings.ws_process_timeout_seconds
    try:
        task = (await session.execute(SUBMIT, {"input": task_input, "wait": wait}))["submitTask"]
    except BridgeFailure as exc:
        raise BridgeFailure(_unavailable(exc.failure)) from None
    try:
        data = processed(task, Inputs(path={}, query={}, body=body))
    except AxonError as exc:  # the agent failed, or the task was cancelled meanwhile
        details = exc.extensions().get("details", {})
        raise BridgeFailure(Failure(500, "PROCESSING_ERROR", exc.message, details)) from None
    answer: dict[str, Any] = {"type": "result", "data": data}
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

    session.start_work(f"process-{secrets.token_hex(6)}", work())
