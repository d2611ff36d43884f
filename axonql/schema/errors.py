"""Turns every GraphQL error into one with a stable `extensions.code` and `status`.

Expected failures (AxonError) keep their message; database outages become 503; anything
else is logged with the request id and, in production, masked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import aclosing
from typing import Any

import strawberry
from graphql import GraphQLError
from pymongo.errors import ConnectionFailure, DuplicateKeyError, ExecutionTimeout
from strawberry.extensions import SchemaExtension
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType
from structlog.contextvars import bound_contextvars

from axonql.adapters.strawberry_internals import StreamResult
from axonql.errors import (
    AxonError,
    Conflict,
    GatewayTimeout,
    InvalidRequest,
    ServiceUnavailable,
)

log = logging.getLogger("axonql.errors")

# graphql-core 3.3 can leave suggestions out (`hide_suggestions`), but Strawberry 0.341.2 never
# passes that option to validation, so the English text is the only handle there is.
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
    if isinstance(exc, InvalidOperationTypeError):
        kind = exc.operation_type.value
        return InvalidRequest(f"{kind} operations are not allowed over this transport")
    # Any other database error is a failed command (a bug, not an outage): it is logged with
    # the request id and masked, rather than telling clients to retry.
    return None


class CodedError(GraphQLError):
    """A GraphQL error `format_error` has already given its code (formatting twice is a no-op)."""


def format_error(error: GraphQLError, *, request_id: str, mask: bool) -> GraphQLError:
    if isinstance(error, CodedError):
        return error
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        extensions = {"code": "INVALID_REQUEST", "status": 400, **(error.extensions or {})}
        # "Did you mean …?" would spell out the schema that production hides from introspection.
        message = _SUGGESTION.sub("", error.message) if mask else error.message
    elif (known := translate(original)) is not None:
        extensions = known.extensions()
        message = known.message
    else:
        # Bound, not pasted into the message: log lines carry it as a field (JSON) or suffix.
        with bound_contextvars(request_id=request_id):
            log.error("unexpected error", exc_info=original)
        extensions = {"code": "INTERNAL_ERROR", "status": 500, "request_id": request_id}
        message = "internal server error" if mask else f"internal server error: {original}"
    return CodedError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=original,
        extensions=extensions,
    )


def coded_errors(errors: Iterable[GraphQLError], context: Any) -> list[GraphQLError]:
    """`errors` with their codes, for the caller of `context` (its request id, its masking)."""
    request_id = getattr(context, "request_id", "")
    settings = getattr(context, "settings", None)
    mask = bool(settings and settings.is_production)
    return [format_error(e, request_id=request_id, mask=mask) for e in errors]


def format_result_errors(result: Any, context: Any) -> None:
    """Give every error of one result its code, with the request id of `context`."""
    errors = getattr(result, "errors", None)
    if errors:
        result.errors = coded_errors(errors, context)


class ErrorCodes(SchemaExtension):
    """Schema extension applying `format_error` to the result of every operation."""

    def on_operation(self) -> Iterator[None]:
        yield
        format_result_errors(self.execution_context.result, self.execution_context.context)


async def _coded(results: StreamResult, context: Any) -> StreamResult:
    async with aclosing(results):
        async for result in results:
            format_result_errors(result, context)
            yield result


class ErrorCodedSchema(strawberry.Schema):
    """A schema whose streamed results (WebSocket operations) carry error codes too.

    Each streamed result is sent before its operation ends, so `ErrorCodes` alone would see
    them too late. An `on_stream_result` extension hook would do, but Strawberry builds its
    context managers for every result and subscriber; this wrapper costs one generator step.
    """

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
    ) -> StreamResult:
        results = await super().stream(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            operation_extensions,
            allowed_operation_types,
        )
        return _coded(results, context_value)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Nothing more to log: Strawberry would log every error, a refused token or a bad
        argument included, at ERROR with a traceback; `format_error` already logs each
        unexpected one (with the request id) and the rest are answers, not faults."""
