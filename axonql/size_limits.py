"""ASGI middleware bounding what one client can send: request bodies and WebSocket messages.

A body over `max_request_bytes` is refused with 413 as soon as its declared length or the
bytes counted while it streams in say so (a `Content-Length` may be missing or lie); the app
sees `PayloadTooLarge` from `receive`, so a REST route answers in its own envelope, and any
app that does not catch it gets a JSON 413 here. A WebSocket message over
`max_ws_message_bytes` closes the socket with 1009 (message too big) and the app sees a
disconnect. Enforced in the app, not only by the server (uvicorn's `ws_max_size`), so the
limits hold whatever server runs it.
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from axonql.errors import PayloadTooLarge
from axonql.middleware import ConnectionMiddleware

log = logging.getLogger("axonql")

MESSAGE_TOO_BIG = 1009


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or []:
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


def _message_bytes(message: Message, limit: int) -> int:
    """The size of a received WebSocket message (UTF-8 only measured when it may matter)."""
    text = message.get("text")
    if text is not None:
        return len(text) if len(text) * 4 <= limit else len(text.encode("utf-8", "replace"))
    data = message.get("bytes")
    return len(data) if data is not None else 0


async def _send_too_large(send: Send, error: PayloadTooLarge) -> None:
    body = json.dumps(
        {"errors": [{"message": error.message, "extensions": error.extensions()}]}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": error.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SizeLimitMiddleware(ConnectionMiddleware):
    """Request bodies up to `max_request_bytes`, WebSocket messages up to `max_ws_message_bytes`."""

    def __init__(self, app: ASGIApp, max_request_bytes: int, max_ws_message_bytes: int) -> None:
        self.app = app
        self.max_request_bytes = max_request_bytes
        self.max_ws_message_bytes = max_ws_message_bytes

    def _too_large(self) -> PayloadTooLarge:
        limit = self.max_request_bytes
        return PayloadTooLarge(
            f"the request body is larger than {limit} bytes", details={"max_bytes": limit}
        )

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = _declared_length(scope)
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            if declared is not None and declared > self.max_request_bytes:
                raise self._too_large()
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_request_bytes:
                    raise self._too_large()
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except PayloadTooLarge as exc:
            if started:  # the app answered before reading on; nothing more can be said
                log.info("request body over the limit after the response started")
                return
            await _send_too_large(send, exc)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        closed = False

        async def guarded_receive() -> Message:
            nonlocal closed
            message = await receive()
            if (
                message["type"] == "websocket.receive"
                and _message_bytes(message, self.max_ws_message_bytes) > self.max_ws_message_bytes
            ):
                if not closed:
                    closed = True
                    reason = f"message over {self.max_ws_message_bytes} bytes"
                    await send(
                        {"type": "websocket.close", "code": MESSAGE_TOO_BIG, "reason": reason}
                    )
                return {"type": "websocket.disconnect", "code": MESSAGE_TOO_BIG}
            return message

        async def guarded_send(message: Message) -> None:
            if closed:  # closed for an oversized message: the app's late sends go nowhere
                return
            await send(message)

        await self.app(scope, guarded_receive, guarded_send)
