"""OCTOSPINE's `metrics(type, period)` and the extension reporting GraphQL outcomes to it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from axonql.models.system import MetricName
from axonql.schema.errors import translate
from axonql.services.metric_series import Point
from axonql.services.request_stats import OUTCOME_SCOPE_KEY

MetricType = strawberry.enum(
    MetricName,
    name="MetricType",
    description="CPU/memory/disk in percent, network in bytes/s; for HTTP requests: rate "
    "(REQUEST_RATE, also THROUGHPUT) in requests/s, mean and p50/p95/p99 response times in ms, "
    "ERROR_RATE (5xx) and CLIENT_ERROR_RATE (4xx) as fractions of requests; OPEN_WEBSOCKETS "
    "as connections open at sampling time.",
)


@strawberry.type
class Metric:
    """A stored sample, or the mean of `samples` samples in one interval."""

    type: MetricType  # type: ignore[valid-type]
    timestamp: datetime
    value: float
    samples: int

    @classmethod
    def from_point(cls, name: MetricName, point: Point) -> Metric:
        return cls(type=name, timestamp=point.timestamp, value=point.value, samples=point.samples)


def error_status(error: GraphQLError) -> int:
    """The HTTP status an error stands for (the `status` ErrorCodes gives it, else its cause)."""
    status = (error.extensions or {}).get("status")
    if isinstance(status, int):
        return status
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return 400
    known = translate(original)
    return known.status if known is not None else 500


class OperationOutcome(SchemaExtension):
    """Tells the request-metrics middleware the status a GraphQL answer's errors stand for.

    GraphQL over HTTP answers 200 even when a resolver failed, so the middleware (which times
    and counts every request) alone would never see a GraphQL server error. This extension
    measures nothing itself: it leaves the worst error status in the request's ASGI scope.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None) if result is not None else None
        request = getattr(self.execution_context.context, "request", None)
        if not errors or request is None:
            return
        worst = max(error_status(e) for e in errors)
        scope = request.scope
        scope[OUTCOME_SCOPE_KEY] = max(worst, int(scope.get(OUTCOME_SCOPE_KEY) or 0))
