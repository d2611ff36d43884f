"""Strawberry's GraphQL WebSocket protocol handlers, giving each operation a delivery sink.

With a sink in place, a subscription stream writes its results to the operation's socket
itself instead of yielding them up Strawberry's per-result pipeline (`schema.direct_delivery`).
The messages are the protocols' own: `next` (graphql-transport-ws) and `data` (graphql-ws).
A result with only `data` (every event result but a failed one) is written as one text frame
whose payload was encoded once for all its subscribers (`subscriptions.frames`); a result with
errors takes Strawberry's own message path.
"""

from __future__ import annotations

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


def _socket(context: Context) -> WebSocket:
    socket = context.request
    assert isinstance(socket, WebSocket), "a WebSocket protocol handler serves a WebSocket"
    return socket


class _NextMessages:
    """graphql-transport-ws: a result is a `next` message of its operation."""

    __slots__ = ("operation", "socket")

    def __init__(self, operation: Operation[Context, None], socket: WebSocket) -> None:
        self.operation = operation
        self.socket = socket

    async def deliver(self, result: ExecutionResult) -> None:
        operation, data = self.operation, result.data
        if data is None or result.errors or operation.completed:
            await operation.send_next(result)  # formats errors; nothing after `complete`
        else:
            await self.socket.send_text(streamed_frame("next", operation.id, data))


class _DataMessages:
    """graphql-ws (legacy): a result is a `data` message with the operation's id."""

    __slots__ = ("handler", "operation_id", "socket")

    def __init__(
        self, handler: BaseGraphQLWSHandler[Context, None], operation_id: str, socket: WebSocket
    ) -> None:
        self.handler = handler
        self.operation_id = operation_id
        self.socket = socket

    async def deliver(self, result: ExecutionResult) -> None:
        data = result.data
        if data is None or result.errors:
            await self.handler.send_data_message(result, self.operation_id)
        else:
            await self.socket.send_text(streamed_frame("data", self.operation_id, data))


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def run_operation(self, operation: Operation[Context, None]) -> None:
        with delivering_to(_NextMessages(operation, _socket(self.context))):
            await super().run_operation(operation)


class LegacyWSHandler(BaseGraphQLWSHandler[Context, None]):
    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        sink = _DataMessages(self, operation_id, _socket(self.context))
        with delivering_to(sink):
            await super().handle_async_results(operation_id, query, operation_name, variables)
