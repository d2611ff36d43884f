"""`/api/v2/ws` (SynapticOS): an `authenticate` message, then consciousness, learning, alerts.

    → {"type": "authenticate", "token": "<JWT or API key>"}
    ← {"type": "authenticated", "data": {"user_id": …, "streams": [...]}}
    ← {"type": "consciousness_update", "data": {consciousness_level, change, reason, timestamp}}
    ← {"type": "learning_progress", "data": {user_id, session_id, module_id, progress,
                                              time_spent, current_exercise, total_exercises}}
    ← {"type": "system_alert", "data": {alert_type, severity, component, message, timestamp,
                                         recommended_action}}

A token in the `Authorization` header or `?token=` authenticates at once. A stream the
caller's scopes do not allow is reported as an error message; the others keep running.
"""

from __future__ import annotations

from typing import Any

import strawberry
from starlette.websockets import WebSocket

from axonql.rest_compat.bridges.session import Session, enveloped, iso, resume_point, subscription
from axonql.rest_compat.envelopes import SYNAPTICOS, Failure
from axonql.rest_compat.ratelimit import RateLimiter
from axonql.subscriptions.types import EventType

CONSCIOUSNESS = subscription("consciousnessUpdated", {"systemId": "ID"})
LEARNING = subscription("learningProgress", {})
ALERTS = subscription("systemAlerts", {})
HINT = 'send {"type": "authenticate", "token": "<jwt>"} first'


def reason(payload: dict[str, Any]) -> str:
    """Why the level moved, as far as the stored change tells (the mutation takes no reason)."""
    if payload.get("reason"):
        return str(payload["reason"])
    change = _change(payload)
    if change > 0:
        return "consciousness_level_increase"
    if change < 0:
        return "consciousness_level_decrease"
    return "awareness_state_change"


def _change(payload: dict[str, Any]) -> float:
    level, previous = payload.get("consciousness_level"), payload.get("previous_level")
    if not isinstance(level, int | float) or not isinstance(previous, int | float):
        return 0.0
    return round(float(level) - float(previous), 4)


async def consciousness_update(event: dict[str, Any]) -> dict[str, Any]:
    payload = event["payload"]
    return {
        "type": "consciousness_update",
        "data": {
            "consciousness_level": payload.get("consciousness_level"),
            "change": _change(payload),
            "reason": reason(payload),
            "timestamp": iso(event["createdAt"]),
        },
    }


async def learning_progress(event: dict[str, Any]) -> dict[str, Any] | None:
    if event["type"] != EventType.LEARNING_PROGRESS:
        return None  # session start/end and assessments are not in this message type
    payload = event["payload"]
    keys = ("user_id", "session_id", "module_id", "progress", "time_spent")
    data = {key: payload.get(key) for key in keys}
    data["current_exercise"] = payload.get("current_exercise")
    data["total_exercises"] = payload.get("total_exercises")
    return {"type": "learning_progress", "data": data}


async def system_alert(event: dict[str, Any]) -> dict[str, Any]:
    payload = event["payload"]
    return {
        "type": "system_alert",
        "data": {
            "alert_type": payload.get("alert_type"),
            "severity": payload.get("severity"),
            "component": payload.get("component"),
            "message": payload.get("message"),
            "timestamp": iso(event["createdAt"]),
            "recommended_action": payload.get("recommended_action"),
        },
    }


class SynapticOSBridge:
    """The ASGI endpoint of `/api/v2/ws`."""

    def __init__(self, schema: strawberry.Schema, limiter: RateLimiter) -> None:
        self.schema = schema
        self.limiter = limiter

    async def serve(self, websocket: WebSocket) -> None:
        session = Session(
            websocket,
            self.schema,
            enveloped(SYNAPTICOS),
            limiter=self.limiter,
            message_limit=websocket.app.state.axon.settings.ws_message_limit,
        )
        await websocket.accept()
        try:
            if await self._authenticated(session):
                await self._serve(session)
        finally:
            await session.close()

    async def _authenticated(self, session: Session) -> bool:
        def token_in(message: Any) -> str | None:
            token = message.get("token") if message.get("type") == "authenticate" else None
            return token if isinstance(token, str) and token else None

        ok, _ = await session.login(token_in, HINT)
        return ok

    async def _serve(self, session: Session) -> None:
        after = await resume_point()
        system_id = session.websocket.query_params.get("system_id")
        session.follow(
            "consciousness_update",
            CONSCIOUSNESS,
            "consciousnessUpdated",
            {"after": after, "systemId": system_id},
            consciousness_update,
        )
        session.follow(
            "learning_progress", LEARNING, "learningProgress", {"after": after}, learning_progress
        )
        session.follow("system_alert", ALERTS, "systemAlerts", {"after": after}, system_alert)
        principal = session.principal
        hello = {
            "type": "authenticated",
            "data": {
                "user_id": principal.subject if principal else None,
                "streams": ["consciousness_update", "learning_progress", "system_alert"],
            },
        }
        await session.send(hello)
        while (message := await session.receive()) is not None:
            kind = message.get("type") if isinstance(message, dict) else None
            if kind == "authenticate":
                await session.send({"type": "authenticated", "data": hello["data"]})
                continue
            await session.send_error(
                Failure(
                    400,
                    "VALIDATION_ERROR",
                    "this stream takes no messages after authentication",
                    {"type": str(kind)[:100]},
                )
            )
