"""`/api/v1/ws/simulation`: the drift simulation's status, events and assessments.

    ← {"type": "connected", "data": {"streams": [...]}}
    ← {"type": "status_update", "data": {simulation_id, status, current_day,
        progress_percentage, active_personas, events_processed, assessments_completed}}
    ← {"type": "event_occurred", "data": {event_id, persona_id, event_type, title, intensity,
        timestamp}}
    ← {"type": "assessment_completed", "data": {assessment_id, persona_id, assessment_type,
        score, severity, timestamp}}
    ← {"type": "drift_detected", "data": {persona_id, assessment_type, baseline_score,
        current_score, change_magnitude, significance, timestamp}}
    ← {"type": "error", "data": {"error": …, "details": …, "timestamp": …}}

The drift simulation runs without auth in development; AxonQL does not: a token (header,
`?token=`, or a first message `{"type": "authenticate", "token": …}`) with `admin:system`,
the scope of the `events` subscription this stream follows. At most
`AXONQL_WS_SIMULATION_CONNECTIONS_PER_IP` (10, as documented) connections per client IP on
this instance; the next is refused (4429).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import strawberry
from starlette.websockets import WebSocket

from axonql.rest_compat.bridges.session import (
    TOO_MANY,
    BridgeFailure,
    Session,
    Translate,
    iso,
    resume_point,
    subscription,
)
from axonql.rest_compat.envelopes import Failure
from axonql.subscriptions.types import EventType

EVENTS = subscription("events", {"types": "[EventType!]"})
TYPES = [
    EventType.SIMULATION_STATUS.value,
    EventType.SIMULATION_EVENT.value,
    EventType.SIMULATION_ASSESSMENT.value,
    EventType.SIMULATION_DRIFT.value,
]
RUN = """
query BridgeSimulation {
  simulationStatus {
    simulationId status currentDay progressPercentage activePersonas eventsProcessed
    assessmentsCompleted
  }
}"""
HINT = 'send {"type": "authenticate", "token": "<jwt>"} or connect with ?token='


def render_error(failure: Failure, request_id: str) -> dict[str, Any]:
    """The drift simulation's error notification:
    `{"type": "error", "data": {error, details, timestamp}}`."""
    details = failure.code
    if failure.details:
        details += ": " + ", ".join(f"{k}={v}" for k, v in failure.details.items())
    return {
        "type": "error",
        "data": {"error": failure.message, "details": details, "timestamp": iso(None)},
    }


def token_in(message: Any) -> str | None:
    token = message.get("token") if message.get("type") == "authenticate" else None
    return token if isinstance(token, str) and token else None


def _pick(payload: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: payload.get(key) for key in keys}


# Event type → the documented message type and the payload keys its `data` carries.
MESSAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    EventType.SIMULATION_EVENT: (
        "event_occurred",
        ("event_id", "persona_id", "event_type", "title", "intensity"),
    ),
    EventType.SIMULATION_ASSESSMENT: (
        "assessment_completed",
        ("assessment_id", "persona_id", "assessment_type", "score", "severity"),
    ),
    EventType.SIMULATION_DRIFT: (
        "drift_detected",
        (
            "persona_id",
            "assessment_type",
            "baseline_score",
            "current_score",
            "change_magnitude",
            "significance",
        ),
    ),
}


def translator(session: Session) -> Translate:
    async def translate(event: dict[str, Any]) -> dict[str, Any] | None:
        payload, kind = event["payload"], event["type"]
        if kind == EventType.SIMULATION_STATUS:
            return {"type": "status_update", "data": await _status(session, payload)}
        if kind not in MESSAGES:
            return None
        name, keys = MESSAGES[kind]
        data = {**_pick(payload, *keys), "timestamp": iso(event["createdAt"])}
        return {"type": name, "data": data}

    return translate


async def _status(session: Session, payload: dict[str, Any]) -> dict[str, Any]:
    """The event's status plus the run's counts, read through `simulationStatus`."""
    data = _pick(payload, "simulation_id", "status", "current_day")
    try:
        run = (await session.execute(RUN))["simulationStatus"]
    except BridgeFailure:
        run = None
    if run is None or run["simulationId"] != payload.get("simulation_id"):
        return data  # a run other than the current one: only what its event says
    return {
        **data,
        "progress_percentage": run["progressPercentage"],
        "active_personas": run["activePersonas"],
        "events_processed": run["eventsProcessed"],
        "assessments_completed": run["assessmentsCompleted"],
    }


class SimulationStream:
    """The ASGI endpoint of `/api/v1/ws/simulation`, with its per-IP connection limit."""

    def __init__(self, schema: strawberry.Schema) -> None:
        self.schema = schema
        self.connections: Counter[str] = Counter()

    async def serve(self, websocket: WebSocket) -> None:
        session = Session(websocket, self.schema, render_error)
        ip = websocket.client.host if websocket.client else "-"
        limit = session.settings.ws_simulation_connections_per_ip
        await websocket.accept()
        if self.connections[ip] >= limit:
            session.state.metrics.refused("ws_connection", "drift.simulation")
            failure = Failure(
                429,
                "RATE_LIMIT_EXCEEDED",
                f"too many WebSocket connections: {limit} per IP",
                {"limit": limit},
            )
            await session.refuse(failure, TOO_MANY)
            return
        self.connections[ip] += 1
        try:
            ok, _ = await session.login(token_in, HINT)
            if ok:
                await self._serve(session)
        finally:
            self.connections[ip] -= 1
            if self.connections[ip] <= 0:
                del self.connections[ip]
            await session.close()

    async def _serve(self, session: Session) -> None:
        variables = {"after": await resume_point(), "types": TYPES}
        session.follow("simulation", EVENTS, "events", variables, translator(session))
        await session.send({"type": "connected", "data": {"streams": ["simulation"]}})
        while await session.receive() is not None:
            pass  # the stream takes no commands; reading notices the client leaving
