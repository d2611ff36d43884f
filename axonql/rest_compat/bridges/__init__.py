"""Legacy WebSocket streams, bridged onto the schema's GraphQL subscriptions.

    /api/v2/ws                SynapticOS   synapticos.py
    /ws                       OCTOSPINE and NexusNet, by message
    /v1/stream/consciousness  LUKHAS       lukhas.py
    /v1/stream/memory-drift   LUKHAS       lukhas.py
    /api/v1/ws/simulation     drift simulation (004)  drift.py

Every stream needs a token: `Authorization: Bearer …` (JWT or API key), `X-API-Key`,
`?token=…`, or the API's own authentication message. Without one the connection is told why in
the API's error format and closed with 4401 (4408 when nothing arrives in
`AXONQL_WS_AUTH_TIMEOUT_SECONDS`).
"""

from __future__ import annotations

from typing import Any

import strawberry
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket

from axonql.rest_compat.bridges import nexusnet, octospine
from axonql.rest_compat.bridges.drift import SimulationStream
from axonql.rest_compat.bridges.lukhas import ConsciousnessStream, MemoryDriftStream
from axonql.rest_compat.bridges.session import BridgeFailure, RenderError, Session, enveloped
from axonql.rest_compat.bridges.synapticos import SynapticOSBridge
from axonql.rest_compat.envelopes import OCTOSPINE, Failure
from axonql.rest_compat.ratelimit import RateLimiter

OCTOSPINE_ERRORS = enveloped(OCTOSPINE)
HINT = 'connect with ?token=, or send {"action": "authenticate", "token": "<jwt>"} first'


def _auth_token(message: Any) -> str | None:
    token = message.get("token") or message.get("auth_token")
    return token if isinstance(token, str) and token else None


def _errors_for(message: Any) -> RenderError:
    """NexusNet's error body for its work messages, OCTOSPINE's for everything else."""
    if isinstance(message, dict) and nexusnet.is_process(message):
        return nexusnet.render_error
    return OCTOSPINE_ERRORS


def _errors_for_text(session: Session, text: str) -> RenderError:
    """An unreadable message is NexusNet's when it looks like one (`input_data`, a `process`
    type) or when the connection's last message was NexusNet work."""
    if "input_data" in text or "inputData" in text or '"process"' in text:
        return nexusnet.render_error
    return session.render_error


def _is_auth(message: dict[str, Any]) -> bool:
    return "authenticate" in (message.get("action"), message.get("type"))


class SharedStream:
    """`/ws`: OCTOSPINE subscriptions and NexusNet processing, told apart by each message."""

    def __init__(self, schema: strawberry.Schema, limiter: RateLimiter) -> None:
        self.schema = schema
        self.limiter = limiter

    async def serve(self, websocket: WebSocket) -> None:
        session = Session(
            websocket,
            self.schema,
            OCTOSPINE_ERRORS,
            limiter=self.limiter,
            message_limit=websocket.app.state.axon.settings.ws_message_limit,
        )
        session.unreadable = lambda text: _errors_for_text(session, text)
        await websocket.accept()
        try:
            ok, message = await session.login(_auth_token, HINT, errors_for=_errors_for)
            if not ok:
                return
            while message is not None or (message := await session.receive()) is not None:
                await self.handle(session, message)
                message = None
        finally:
            await session.close()

    async def handle(self, session: Session, message: Any) -> None:
        session.render_error = _errors_for(message)
        if not isinstance(message, dict):
            await session.send_error(Failure(400, "INVALID_REQUEST", "messages must be objects"))
            return
        if nexusnet.is_process(message):
            nexusnet.start(session, message)
            return
        action = message.get("action")
        try:
            if action == "subscribe":
                await octospine.subscribe(session, message)
            elif action == "unsubscribe":
                await octospine.unsubscribe(session, message)
            elif _is_auth(message):
                user = session.principal.subject if session.principal else None
                await session.send({"type": "authenticated", "data": {"user_id": user}})
            else:
                raise BridgeFailure(
                    Failure(
                        400,
                        "INVALID_REQUEST",
                        'expected {"action": "subscribe" | "unsubscribe", …} or a NexusNet '
                        '{"type": "process", "data": {…}} / {"input_data": …} message',
                    )
                )
        except BridgeFailure as exc:
            await session.send_error(exc.failure)


def bridge_routes(schema: strawberry.Schema) -> list[BaseRoute]:
    """The WebSocket routes of every legacy stream (one message limiter for them all)."""
    limiter = RateLimiter("memory://")
    return [
        WebSocketRoute("/api/v2/ws", SynapticOSBridge(schema, limiter).serve),
        WebSocketRoute("/ws", SharedStream(schema, limiter).serve),
        WebSocketRoute("/v1/stream/consciousness", ConsciousnessStream(schema, limiter).serve),
        WebSocketRoute("/v1/stream/memory-drift", MemoryDriftStream(schema, limiter).serve),
        WebSocketRoute("/api/v1/ws/simulation", SimulationStream(schema).serve),
    ]
