"""LUKHAS streams: `/v1/stream/consciousness` and `/v1/stream/memory-drift`.

    /v1/stream/consciousness
    → {"action": "subscribe", "streams": ["awareness", "reflection"], "auth_token": "<jwt>"}
    ← {"type": "subscribed", "streams": [...]}
    ← {"stream": "awareness", "timestamp": "…123Z",
       "data": {"state": <awareness state>, "level": 0.82, "attention_shift": null}}

    /v1/stream/memory-drift                     (token in the header, `?token=`, or a first
    ← {"type": "subscribed", "streams": ["memory-drift"]}    message {"auth_token": …})
    ← {"memory_id": "mem_…", "drift_level": 0.35, "repair_recommended": true,
       "suggested_method": "partial_heal"}

    ← {"stream": "reflection", "timestamp": "…123Z",
       "data": {"reflection_id": …, "insights": [...], "emotional_assessment": {…}}}

`awareness` follows `consciousnessUpdated` (`attention_shift` is null: no AxonQL change records
where attention moved — consciousness levels are set, not attended). `reflection` follows
`taskUpdated`: each reflection (`POST /v1/consciousness/reflect`, a task of type `reflection`)
is sent when its agent completes it, with the agent's result. Memory drift follows
`memoryDrift` (`?min_level=` passes its `minLevel`).
"""

from __future__ import annotations

from typing import Any

import strawberry
from starlette.websockets import WebSocket

from axonql.errors import clip
from axonql.rest_compat.bridges.session import (
    BridgeFailure,
    Session,
    Translate,
    enveloped,
    iso,
    resume_point,
    subscription,
)
from axonql.rest_compat.envelopes import LUKHAS, Failure
from axonql.rest_compat.ratelimit import RateLimiter

CONSCIOUSNESS = subscription("consciousnessUpdated", {"systemId": "ID"})
TASKS = subscription("taskUpdated", {})
REFLECTION = """
query Reflection($id: ID!) { task(id: $id) { type status result } }"""
DRIFT = subscription("memoryDrift", {"minLevel": "Float"})
STREAMS = ("awareness", "reflection")
HINT = 'send {"action": "subscribe", "streams": [...], "auth_token": "<jwt>"}'


def auth_token(message: Any) -> str | None:
    token = message.get("auth_token") or message.get("token")
    return token if isinstance(token, str) and token else None


def _invalid(message: str, **details: Any) -> BridgeFailure:
    return BridgeFailure(Failure(422, "VALIDATION_ERROR", message, details))


def streams_of(message: dict[str, Any]) -> list[str]:
    if message.get("action") != "subscribe":
        raise _invalid('expected {"action": "subscribe", "streams": [...]}', field="action")
    streams = message.get("streams", list(STREAMS))
    if not isinstance(streams, list) or not all(isinstance(s, str) for s in streams):
        raise _invalid("streams must be a list of stream names", field="streams")
    unknown = [s for s in streams if s not in STREAMS]
    if unknown:
        raise _invalid(
            f"unknown streams: {clip(', '.join(clip(s) for s in unknown[:10]))}",
            field="streams",
            allowed=list(STREAMS),
        )
    return list(dict.fromkeys(streams))


async def awareness(event: dict[str, Any]) -> dict[str, Any]:
    payload = event["payload"]
    return {
        "stream": "awareness",
        "timestamp": iso(event["createdAt"], millis=True),
        "data": {
            "state": payload.get("awareness_state"),
            "level": payload.get("consciousness_level"),
            "attention_shift": payload.get("attention_shift"),
        },
    }


def reflections(session: Session) -> Translate:
    """Completed reflection tasks, as the `reflection` stream's messages."""

    async def translate(event: dict[str, Any]) -> dict[str, Any] | None:
        payload = event["payload"]
        if event["type"] != "TASK_STATE_CHANGED" or payload.get("status") != "completed":
            return None
        try:
            task = (await session.execute(REFLECTION, {"id": event["taskId"]}))["task"]
        except BridgeFailure:
            return None
        if not task or task["type"] != "reflection" or not isinstance(task["result"], dict):
            return None
        keys = ("reflection_id", "insights", "emotional_assessment")
        return {
            "stream": "reflection",
            "timestamp": iso(event["createdAt"], millis=True),
            "data": {key: task["result"].get(key) for key in keys},
        }

    return translate


async def memory_drift(event: dict[str, Any]) -> dict[str, Any]:
    payload = event["payload"]
    keys = ("memory_id", "drift_level", "repair_recommended", "suggested_method")
    return {key: payload.get(key) for key in keys}


class _Stream:
    def __init__(self, schema: strawberry.Schema, limiter: RateLimiter) -> None:
        self.schema = schema
        self.limiter = limiter

    def session(self, websocket: WebSocket) -> Session:
        return Session(
            websocket,
            self.schema,
            enveloped(LUKHAS),
            limiter=self.limiter,
            message_limit=websocket.app.state.axon.settings.ws_message_limit,
        )


class ConsciousnessStream(_Stream):
    """The ASGI endpoint of `/v1/stream/consciousness`."""

    async def serve(self, websocket: WebSocket) -> None:
        session = self.session(websocket)
        await websocket.accept()
        try:
            ok, first = await session.login(auth_token, HINT)
            if not ok:
                return
            # The first message may carry the subscription with its `auth_token`, or only the token.
            message = first if isinstance(first, dict) and "action" in first else None
            while message is not None or (message := await session.receive()) is not None:
                try:
                    await self._subscribe(session, message)
                except BridgeFailure as exc:
                    await session.send_error(exc.failure)
                message = None
        finally:
            await session.close()

    async def _subscribe(self, session: Session, message: Any) -> None:
        if not isinstance(message, dict):
            raise _invalid("messages must be JSON objects")
        streams = streams_of(message)
        if "awareness" in streams:
            variables = {
                "after": await resume_point(),
                "systemId": session.websocket.query_params.get("system_id"),
            }
            session.follow("awareness", CONSCIOUSNESS, "consciousnessUpdated", variables, awareness)
        else:
            session.stop("awareness")
        if "reflection" in streams:
            after = {"after": await resume_point()}
            session.follow("reflection", TASKS, "taskUpdated", after, reflections(session))
        else:
            session.stop("reflection")
        await session.send({"type": "subscribed", "streams": streams})


class MemoryDriftStream(_Stream):
    """The ASGI endpoint of `/v1/stream/memory-drift`."""

    async def serve(self, websocket: WebSocket) -> None:
        session = self.session(websocket)
        await websocket.accept()
        try:
            ok, _ = await session.login(auth_token, 'send {"auth_token": "<jwt>"}')
            if not ok:
                return
            try:
                variables = {"after": await resume_point(), "minLevel": _min_level(websocket)}
            except BridgeFailure as exc:
                await session.send_error(exc.failure)
                return
            session.follow("memory-drift", DRIFT, "memoryDrift", variables, memory_drift)
            await session.send({"type": "subscribed", "streams": ["memory-drift"]})
            while await session.receive() is not None:
                pass  # nothing to say to this stream; reading notices the client leaving
        finally:
            await session.close()


def _min_level(websocket: WebSocket) -> float | None:
    raw = websocket.query_params.get("min_level")
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        raise _invalid("min_level must be a number", field="min_level") from None
