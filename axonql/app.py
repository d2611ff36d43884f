"""create_app(settings): routes, middleware and the lifespan that owns the database."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp
from strawberry import Schema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from axonql.app_scope import BindRealTime
from axonql.database import connect
from axonql.graphiql import graphiql_routes
from axonql.graphql_view import AxonGraphQL
from axonql.middleware import (
    RequestIdMiddleware,
    RequestMetricsMiddleware,
    SecurityHeadersMiddleware,
)
from axonql.observability.db_metrics import CommandTimer
from axonql.observability.http_spans import HttpSpans
from axonql.observability.log_context import RequestLogContext
from axonql.observability.metrics import Metrics
from axonql.observability.metrics_endpoint import metrics_route
from axonql.observability.tracing import Tracing, provider_from_settings
from axonql.request_attribution import app_of
from axonql.rest_compat.bridges import bridge_routes
from axonql.rest_compat.mount import legacy_http_errors, rest_routes
from axonql.schema.cost import CostLimits
from axonql.schema.root import build_schema
from axonql.services.bootstrap import bootstrap
from axonql.services.events import bound
from axonql.services.metrics_sampler import MetricsSampler
from axonql.services.request_stats import RequestStats
from axonql.services.scheduler import Background
from axonql.settings import Settings
from axonql.size_limits import SizeLimitMiddleware
from axonql.state import AppState
from axonql.subscriptions import realtime

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

log = logging.getLogger("axonql")

GRAPHQL_PATHS = ("/graphql", "/api/graphql")


def graphql_routes(settings: Settings, schema: Schema) -> list[BaseRoute]:
    view = AxonGraphQL(
        schema,
        introspection=settings.introspection_enabled,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        keep_alive=True,
        keep_alive_interval=settings.ws_keep_alive_seconds,
        max_subscriptions_per_connection=settings.max_subscriptions_per_socket,
        max_json_depth=settings.max_json_depth,
    )
    routes: list[BaseRoute] = []
    for path in GRAPHQL_PATHS:
        routes.append(Route(path, view, methods=["GET", "POST", "PUT", "DELETE"]))
        routes.append(WebSocketRoute(path, view))
    if settings.graphiql_enabled:
        routes.extend(graphiql_routes())
    return routes


class AxonStarlette(Starlette):
    """Security headers outermost, so even the 500 page Starlette renders for a crash has them."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeadersMiddleware(super().build_middleware_stack())


def create_app(
    settings: Settings | None = None,
    *,
    load_demo: bool = False,
    client_kwargs: dict[str, Any] | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Starlette:
    """The ASGI application for one instance; tests pass settings and database client options.

    Traced when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, or with the `tracer_provider` given.
    """
    settings = settings or Settings()
    provider = tracer_provider or provider_from_settings(settings)
    tracing = Tracing.of(provider) if provider is not None else None
    if tracing is not None:
        client_kwargs = tracing.client_kwargs(client_kwargs)
    request_stats = RequestStats()
    metrics = Metrics(attribute=app_of)
    listeners = [CommandTimer(metrics), *(client_kwargs or {}).get("event_listeners", [])]
    client_kwargs = {**(client_kwargs or {}), "event_listeners": listeners}

    # One schema for every transport: /graphql, the REST tables and the WebSocket bridges.
    schema = build_schema(
        cost=CostLimits.from_settings(settings),
        tracing=tracing is not None,
        direct_delivery=settings.direct_delivery,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        database = await connect(settings, **(client_kwargs or {}))
        state = AppState(
            settings=settings,
            database=database,
            metrics=metrics,
            tracing=tracing,
            request_stats=request_stats,
        )
        app.state.axon = state
        try:
            state.realtime = await realtime.start(settings, database)
            # Events emitted at start-up and by background tasks go through this app's service.
            with bound(state.realtime):
                await bootstrap(state, load_demo=load_demo)
                work = state.background = Background(state)
                work.start()
                sampler = state.metrics_sampler = MetricsSampler(state)
                sampler.start()
                try:
                    yield
                finally:
                    await sampler.stop()
                    await work.stop()
        finally:
            await state.sse_reservations.close_all()
            await state.stop_realtime()
            await database.close()
            if tracing is not None:
                await asyncio.to_thread(tracing.shutdown)

    rest = rest_routes(settings, schema)
    return AxonStarlette(
        routes=[
            *graphql_routes(settings, schema),
            *rest,
            *bridge_routes(schema),
            *([metrics_route(settings, metrics)] if settings.metrics_enabled else []),
        ],
        middleware=[
            Middleware(BindRealTime),  # `emit` in any request goes through this app's service
            Middleware(RequestIdMiddleware),
            Middleware(RequestLogContext),
            *([Middleware(HttpSpans, tracer=tracing.http)] if tracing is not None else []),
            Middleware(
                RequestMetricsMiddleware, stats=request_stats, attribute=app_of, metrics=metrics
            ),
            Middleware(
                SizeLimitMiddleware,
                max_request_bytes=settings.max_request_bytes,
                max_ws_message_bytes=settings.max_ws_message_bytes,
            ),
        ],
        exception_handlers={HTTPException: legacy_http_errors(rest)},
        lifespan=lifespan,
    )
