"""Binds what a log line should say about the request it was written for.

The request id (bound for the whole HTTP request or WebSocket connection) and, while a
GraphQL operation runs, its name and the calling user or agent. structlog's context
variables carry them, so any logger called in that work (or in tasks it starts) adds them
without pasting ids into messages.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import Token
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from structlog.contextvars import bind_contextvars, reset_contextvars

from axonql.middleware import ConnectionMiddleware


def _unbind(tokens: Mapping[str, Token[Any]]) -> None:
    # A token from another context (work resumed elsewhere) cannot be reset: nothing to undo.
    with contextlib.suppress(ValueError):
        reset_contextvars(**tokens)


class RequestLogContext(ConnectionMiddleware):
    """`request_id` for every log line of a request; sits inside `RequestIdMiddleware`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def _bound(self, scope: Scope, receive: Receive, send: Send) -> None:
        tokens = bind_contextvars(request_id=str(scope.get("request_id", "")))
        try:
            await self.app(scope, receive, send)
        finally:
            _unbind(tokens)

    _http = _bound
    _websocket = _bound


def caller_of(graphql_context: Any) -> dict[str, str]:
    """`user_id` (or `agent_id`) of the authenticated caller, if any."""
    principal = getattr(graphql_context, "principal", None)
    if principal is None:
        return {}
    key = "agent_id" if principal.kind == "agent" else "user_id"
    return {key: str(principal.subject)}


class OperationLogContext(SchemaExtension):
    """`operation` and the caller for the log lines of one GraphQL operation.

    First in the schema's extensions, so the error logging of `ErrorCodes` (which runs as
    the operation ends) still has them.
    """

    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        # Named by the request, or once parsed (`on_execute`); `...` is structlog's "unset",
        # bound here so that ending the operation unbinds a name bound later.
        values: dict[str, Any] = {"operation": execution.operation_name or ...}
        tokens = bind_contextvars(**values, **caller_of(execution.context))
        try:
            yield
        finally:
            _unbind(tokens)

    def on_execute(self) -> Iterator[None]:
        name = self.execution_context.operation_name
        if name:
            bind_contextvars(operation=name)
        yield
