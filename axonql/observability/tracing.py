"""The tracer provider of one app: built from the settings, held by the app, never global.

Tracing is off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set (or a test passes a provider):
then nothing is instrumented at all, so an untraced server pays nothing for it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry import baggage, trace
from opentelemetry.context import Context

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from axonql.settings import Settings

REQUEST_ID = "axonql.request_id"
"""Span attribute and baggage key: the request id every span of one request carries."""

SERVICE_NAME = "axonql"


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL for a base endpoint, as the OpenTelemetry spec derives it."""
    return endpoint.rstrip("/") + "/v1/traces"


def provider_from_settings(settings: Settings) -> TracerProvider | None:
    """An OTLP/HTTP-exporting provider when an endpoint is configured, else None (tracing off)."""
    endpoint = settings.otel_exporter_otlp_endpoint
    if not endpoint:
        return None
    # Imported here: a server without tracing never loads the SDK or the exporter.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME as SERVICE_NAME_KEY
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create()  # OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES
    if str(resource.attributes.get(SERVICE_NAME_KEY, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME_KEY: SERVICE_NAME}))
    # A signal-specific endpoint wins, as it does for every OTLP exporter.
    explicit = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    exporter = OTLPSpanExporter(endpoint=None if explicit else traces_url(endpoint))
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


@dataclass(frozen=True)
class Tracing:
    """The provider and the tracers the HTTP, GraphQL and database instrumentation use."""

    provider: TracerProvider
    http: trace.Tracer
    graphql: trace.Tracer
    database: trace.Tracer

    @classmethod
    def of(cls, provider: TracerProvider) -> Tracing:
        return cls(
            provider=provider,
            http=provider.get_tracer("axonql.http"),
            graphql=provider.get_tracer("axonql.graphql"),
            database=provider.get_tracer("axonql.database"),
        )

    def shutdown(self) -> None:
        """Export what is buffered and stop (the app's lifespan calls this on the way out)."""
        self.provider.shutdown()

    def client_kwargs(self, client_kwargs: dict[str, Any] | None) -> dict[str, Any]:
        """Database client options with this app's command-span listener added."""
        from axonql.observability.db_spans import CommandSpans

        options = dict(client_kwargs or {})
        listeners = list(options.get("event_listeners") or [])
        options["event_listeners"] = [*listeners, CommandSpans(self.database)]
        return options


def with_request_id(request_id: str, context: Context | None = None) -> Context:
    """`context` carrying the request id as baggage, for the spans started under it."""
    return baggage.set_baggage(REQUEST_ID, request_id, context)


def current_request_id() -> str | None:
    value = baggage.get_baggage(REQUEST_ID)
    return str(value) if value is not None else None
