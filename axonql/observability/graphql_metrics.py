"""Counts GraphQL operations by name, type and outcome (ok, or an error code).

Listed first among the schema's extensions, so it finishes last: `ErrorCodes` has given every
error its code by then. The metrics are the app's own, found through the request context.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from axonql.observability.live_metrics import NO_APP
from axonql.observability.metrics import Metrics
from axonql.schema.errors import translate
from axonql.schema.metrics_types import error_status

OK = "ok"


def error_code(error: GraphQLError) -> str:
    """The code clients see (`extensions.code`), worked out the same way if not yet set."""
    code = (error.extensions or {}).get("code")
    if isinstance(code, str):
        return code
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return "INVALID_REQUEST"
    known = translate(original)
    return known.code if known is not None else "INTERNAL_ERROR"


def outcome_of(errors: list[GraphQLError] | None) -> str:
    """`ok`, or the code of the error with the highest status (the first such one)."""
    if not errors:
        return OK
    return error_code(max(errors, key=error_status))


class OperationMetrics(SchemaExtension):
    """Adds one to `axonql_graphql_operations_total` when each operation ends.

    A subscription counts when it ends (its client stopped it, or it failed), not while open:
    `axonql_subscriptions_open` shows those.
    """

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        finally:  # a subscription its client closed ends here too, by GeneratorExit
            self._count()

    def _count(self) -> None:
        context: Any = self.execution_context.context
        metrics = getattr(getattr(context, "state", None), "metrics", None)
        if not isinstance(metrics, Metrics):
            return
        request = getattr(context, "request", None)
        scope = getattr(request, "scope", None)
        api = metrics.attribute(scope) if scope is not None else None
        try:
            kind = self.execution_context.operation_type.value
        except Exception:  # no operation could be found in the document
            kind = "unknown"
        result = self.execution_context.result
        errors = getattr(result, "errors", None) if result is not None else None
        metrics.graphql_operations.labels(
            api or NO_APP,
            metrics.operation_name(self.execution_context.operation_name),
            kind,
            outcome_of(errors),
        ).inc()
