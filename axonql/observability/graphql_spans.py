"""One span per GraphQL operation: its name, type and the error code of a failed one.

In the schema only when tracing is on (`build_schema(tracing=True)`). Listed before
`ErrorCodes`, so it ends after it and sees the errors with their codes; its span is current
while the operation runs, so the database commands the resolvers send become its children.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import Span, Status, StatusCode
from strawberry.extensions import SchemaExtension

from axonql.observability.tracing import REQUEST_ID, Tracing, current_request_id, with_request_id


def _tracing_of(graphql_context: Any) -> Tracing | None:
    state = getattr(graphql_context, "state", None)
    tracing = getattr(state, "tracing", None)
    return tracing if isinstance(tracing, Tracing) else None


def error_codes(result: Any) -> list[str]:
    """The `extensions.code` of each error of a result, in order, without repeats."""
    codes: list[str] = []
    for error in getattr(result, "errors", None) or []:
        code = (getattr(error, "extensions", None) or {}).get("code")
        if isinstance(code, str) and code not in codes:
            codes.append(code)
    return codes


class GraphQLSpans(SchemaExtension):
    """The operation's span, a child of the request's (or the WebSocket's work, if none)."""

    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        tracing = _tracing_of(execution.context)
        if tracing is None:
            yield
            return
        parent = None
        request_id = str(getattr(execution.context, "request_id", "") or "")
        if request_id and current_request_id() != request_id:  # over WebSocket: no HTTP span
            parent = with_request_id(request_id)
        span = tracing.graphql.start_span(
            "graphql.operation", context=parent, attributes={REQUEST_ID: request_id}
        )
        token = context.attach(trace.set_span_in_context(span, parent))
        try:
            yield
        finally:
            self._describe(span)
            context.detach(token)
            span.end()

    def _describe(self, span: Span) -> None:
        execution = self.execution_context
        name = execution.operation_name
        kind: str | None = None
        try:
            kind = execution.operation_type.value
        except Exception:  # no document: it did not parse, or it named no operation
            kind = None
        if name:
            span.set_attribute("graphql.operation.name", name)
        if kind:
            span.set_attribute("graphql.operation.type", kind)
        span.update_name(" ".join(part for part in (kind, name) if part) or "graphql.operation")
        codes = error_codes(execution.result)
        if codes:
            span.set_attribute("graphql.error.code", codes[0])
            span.set_attribute("graphql.error.codes", codes)
            span.set_status(Status(StatusCode.ERROR, codes[0]))
