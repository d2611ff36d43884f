"""OpenTelemetry tracing: spans for HTTP requests, GraphQL operations and database commands."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from axonql.app import create_app
from axonql.observability.db_spans import CommandSpans
from axonql.observability.graphql_spans import GraphQLSpans
from axonql.observability.http_spans import HttpSpans
from axonql.observability.log_context import RequestLogContext
from axonql.observability.tracing import REQUEST_ID, provider_from_settings, traces_url
from axonql.settings import Settings
from tests.support import RunningServer, extra_server

LIST_TASKS = "query ListTasks { tasks { id name } }"


def in_memory() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


async def finished(exporter: InMemorySpanExporter, request_id: str) -> list[ReadableSpan]:
    """The spans of the request's trace, once its HTTP span has ended (after the last byte)."""
    async with asyncio.timeout(10):
        while True:
            spans = exporter.get_finished_spans()
            for span in spans:
                if (
                    span.kind == SpanKind.SERVER
                    and (span.attributes or {}).get(REQUEST_ID) == request_id
                ):
                    trace_id = span.get_span_context().trace_id  # type: ignore[union-attr]
                    return [s for s in spans if s.context and s.context.trace_id == trace_id]
            await asyncio.sleep(0.02)


def children(spans: Sequence[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    context = parent.get_span_context()
    assert context is not None
    return [s for s in spans if s.parent is not None and s.parent.span_id == context.span_id]


async def test_a_graphql_request_is_traced_down_to_its_database_commands(
    settings: Settings, server: RunningServer, admin_token: str
) -> None:
    provider, exporter = in_memory()
    app = create_app(settings, tracer_provider=provider)
    async with (
        extra_server(app, server) as traced,
        httpx.AsyncClient(base_url=traced.url, timeout=30) as http,
    ):
        response = await http.post(
            "/graphql",
            json={"query": LIST_TASKS, "operationName": "ListTasks"},
            headers={"Authorization": f"Bearer {admin_token}", "X-Request-ID": "req-traced"},
        )
        assert response.status_code == 200 and "errors" not in response.json()
        spans = await finished(exporter, "req-traced")

        refused = await http.post(
            "/graphql", json={"query": LIST_TASKS}, headers={"X-Request-ID": "req-refused"}
        )
        assert refused.json()["errors"]
        refused_spans = await finished(exporter, "req-refused")

    (request,) = [s for s in spans if s.kind == SpanKind.SERVER]
    assert request.name == "POST /graphql"
    assert request.parent is None
    assert request.attributes is not None
    assert request.attributes["http.route"] == "/graphql"
    assert request.attributes["http.request.method"] == "POST"
    assert request.attributes["http.response.status_code"] == 200

    (operation,) = [s for s in children(spans, request) if s.name.startswith("query")]
    assert operation.name == "query ListTasks"
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.name"] == "ListTasks"
    assert operation.attributes["graphql.operation.type"] == "query"
    assert "graphql.error.code" not in operation.attributes

    commands = [s for s in children(spans, operation) if s.kind == SpanKind.CLIENT]
    assert commands, [s.name for s in spans]
    find = next(s for s in commands if s.name == "find tasks")
    assert find.attributes is not None
    assert find.attributes["db.system.name"] == "mongodb"
    assert find.attributes["db.operation.name"] == "find"
    assert find.attributes["db.collection.name"] == "tasks"
    assert float(find.attributes["db.duration_ms"]) >= 0  # type: ignore[arg-type]
    # Every span of the request carries its id: the HTTP span, the operation, the commands.
    assert [(s.attributes or {}).get(REQUEST_ID) for s in spans] == ["req-traced"] * len(spans)
    assert request.end_time is not None and operation.end_time is not None
    assert request.start_time is not None and operation.start_time is not None
    assert request.start_time <= operation.start_time <= operation.end_time <= request.end_time

    (refused_operation,) = [s for s in refused_spans if s.name == "query ListTasks"]
    assert refused_operation.attributes is not None
    assert refused_operation.attributes["graphql.error.code"] == "AUTHENTICATION_FAILED"
    assert not refused_operation.status.is_ok


async def test_without_an_endpoint_or_provider_nothing_is_traced(
    settings: Settings, server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    untraced = settings.model_copy(update={"otel_exporter_otlp_endpoint": ""})
    assert provider_from_settings(untraced) is None
    app = create_app(untraced)
    # Nothing is instrumented: no middleware, no schema extension, no command listener.
    classes: list[object] = [m.cls for m in app.user_middleware]
    assert HttpSpans not in classes and RequestLogContext in classes
    async with (
        extra_server(app, server) as running,
        httpx.AsyncClient(base_url=running.url, timeout=30) as http,
    ):
        response = await http.post("/graphql", json={"query": "{ __typename }"})
        assert response.status_code == 200
        state = app.state.axon
        assert state.tracing is None
        listeners = state.database.client.options.event_listeners
        assert not any(isinstance(listener, CommandSpans) for listener in listeners)
    for route in app.routes:
        schema = getattr(getattr(route, "endpoint", None), "schema", None)
        if schema is not None:
            assert GraphQLSpans not in schema.extensions
    # And nothing was set process-wide: the global provider is still OpenTelemetry's no-op.
    assert not isinstance(trace.get_tracer_provider(), TracerProvider)


def test_the_standard_endpoint_variable_turns_tracing_on(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318/")
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    configured = Settings(mongodb_url=settings.mongodb_url, data_dir=settings.data_dir, env="test")
    assert configured.otel_exporter_otlp_endpoint == "http://127.0.0.1:4318/"
    assert traces_url(configured.otel_exporter_otlp_endpoint) == "http://127.0.0.1:4318/v1/traces"
    provider = provider_from_settings(configured)
    assert isinstance(provider, TracerProvider)
    assert provider.resource.attributes["service.name"] == "axonql"
    provider.shutdown()  # nothing was recorded: nothing is sent
