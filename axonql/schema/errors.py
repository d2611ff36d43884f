"""Turns every GraphQL error into one with a stable `extensions.code` and `status`.

Expected failures (AxonError) keep their message; database outages become 503; anything
else is logged with the request id and, in production, masked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from pymongo.errors import ConnectionFailure, DuplicateKeyError, ExecutionTimeout
from strawberry.extensions import SchemaExtension
from strawberry.types.execution import StreamExecutionResult

from axonql.errors import AxonError, Conflict, GatewayTimeout, ServiceUnavailable

log = logging.getLogger("axonql.errors")

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def translate(exc: BaseException) -> AxonError | None:
    """Third-party errors that have a meaning for clients, mapped where they enter."""
    if isinstance(exc, AxonError):
        return exc
    if isinstance(exc, DuplicateKeyError):
        return Conflict("a resource with this identifier already exists")
    if isinstance(exc, ExecutionTimeout):
        return GatewayTimeout("the database did not answer in time")
    if isinstance(exc, ConnectionFailure):
        return ServiceUnavailable("the database is unavailable")
    # Any other database error is a failed command (a bug, not an outage): it is logged with
    # the request id and masked, rather than telling clients to retry.
    return None


def format_error(error: GraphQLError, *, request_id: str, mask: bool) -> GraphQLError:
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        extensions = {"code": "INVALID_REQUEST", "status": 400, **(error.extensions or {})}
        # "Did you mean …?" would spell out the schema that production hides from introspection.
        message = _SUGGESTION.sub("", error.message) if mask else error.message
    elif (known := translate(original)) is not None:
        extensions = known.extensions()
        message = known.message
    else:
        log.error("unexpected error [request %s]", request_id, exc_info=original)
        extensions = {"code": "INTERNAL_ERROR", "status": 500, "request_id": request_id}
        message = "internal server error" if mask else f"internal server error: {original}"
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=original,
        extensions=extensions,
    )


class ErrorCodes(SchemaExtension):
    """Schema extension applying `format_error` to every result, streamed ones included."""

    _streamed = False

    def _format(self, result: Any) -> None:
        errors = getattr(result, "errors", None)
        if not errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "")
        settings = getattr(context, "settings", None)
        mask = bool(settings and settings.is_production)
        result.errors = [format_error(e, request_id=request_id, mask=mask) for e in errors]

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        # Subscriptions (and operations over WebSocket) send each result before the
        # operation ends, so each one is formatted on its way out.
        self._streamed = True
        self._format(result)
        yield

    def on_operation(self) -> Iterator[None]:
        yield
        if not self._streamed:
            self._format(self.execution_context.result)
