"""A CLIENT span per database command, a child of the span current where it was sent.

A PyMongo command listener registered on this app's client only (when tracing is on). The
async client calls `started` in the task that sends the command, so the current span (the
GraphQL operation's or the request's) is its parent. Commands sent outside any traced work
(the scheduler, change streams, heartbeats) start no trace of their own.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from pymongo import monitoring

from axonql.observability.tracing import REQUEST_ID, current_request_id

UNTRACED_COMMANDS = frozenset(
    {"hello", "ismaster", "isMaster", "ping", "endSessions", "saslStart", "saslContinue"}
)


class CommandSpans(monitoring.CommandListener):
    """Starts a span when a command is sent, ends it when its answer (or failure) arrives."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self.tracer = tracer
        self._open: dict[tuple[Any, int], Span] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in UNTRACED_COMMANDS:
            return
        if not trace.get_current_span().get_span_context().is_valid:
            return
        target = event.command.get(event.command_name)
        collection = target if isinstance(target, str) else None
        attributes: dict[str, str] = {
            "db.system.name": "mongodb",
            "db.namespace": event.database_name,
            "db.operation.name": event.command_name,
        }
        if collection is not None:
            attributes["db.collection.name"] = collection
        request_id = current_request_id()
        if request_id is not None:
            attributes[REQUEST_ID] = request_id
        name = f"{event.command_name} {collection}" if collection else event.command_name
        span = self.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)
        self._open[(event.connection_id, event.request_id)] = span

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._end(event, None)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._end(event, str(event.failure.get("errmsg") or "command failed"))

    def _end(
        self,
        event: monitoring.CommandSucceededEvent | monitoring.CommandFailedEvent,
        error: str | None,
    ) -> None:
        span = self._open.pop((event.connection_id, event.request_id), None)
        if span is None:
            return
        span.set_attribute("db.duration_ms", event.duration_micros / 1000.0)
        if error is not None:
            span.set_status(Status(StatusCode.ERROR, error))
        span.end()
