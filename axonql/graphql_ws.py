"""Strawberry's GraphQL WebSocket protocol handlers, giving each operation a delivery sink.

With a sink in place, a subscription stream writes its results to the operation's socket
itself instead of yielding them up Strawberry's per-result pipeline (`schema.direct_delivery`).
The messages are the protocols' own: `next` (graphql-transport-ws) and `data` (graphql-ws).
A result with only `data` (every event result but a failed one) is written as one text frame
whose payload was encoded once for all its subscribers (`subscriptions.frames`); a result with
errors takes Strawberry's own message path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from starlette.websockets import WebSocket
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types import ExecutionResult

from axonql.schema.context import Context
from axonql.schema.direct_delivery import delivering_to
from axonql.subscriptions.frames import streamed_frame

Send = Callable[[ExecutionResult], Awaitable[None]]


def _never() -> bool:
    return False


class _Frames:
    """One operation's results as `kind` messages on its socket; `send` for anything else."""

    __slots__ = ("closed", "kind", "operation_id", "send", "socket")

    def __init__(
        self,
        socket: WebSocket,
        kind: str,
        operation_id: str,
        send: Send,
        closed: Callable[[], bool] = _never,
    ) -> None:
        self.socket = socket
        self.kind = kind
        self.operation_id = operation_id
        self.send = send  # Strawberry's own message path: formats errors, honours completion
        self.closed = closed

    async def deliver(self, result: ExecutionResult) -> None:
        data = result.data
        if data is None or result.errors or self.closed():
            await self.send(result)
        else:
            await self.socket.send_text(streamed_frame(self.kind, self.operation_id, data))


def _socket(context: Context) -> WebSocket:
    socket = context.request
    assert isinstance(socket, WebSocket), "a WebSocket protocol handler serves a WebSocket"
    return socket


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def run_operation(self, operation: Operation[Context, None]) -> None:
        sink = _Frames(
            _socket(self.context),
            "next",
            operation.id,
            operation.send_next,
            closed=lambda: operation.completed,  # nothing is sent after `complete`
        )
        with delivering_to(sink):
            await super().run_operation(operation)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        send = partial(self.send_data_message, operation_id=operation_id)
        sink = _Frames(_socket(self.context), "data", operation_id, send)
        with delivering_to(sink):
            await super().handle_async_results(operation_id, query, operation_name, variables)
