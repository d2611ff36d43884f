"""create_app(settings): routes, middleware and the lifespan that owns the database."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL

from axonql.database import connect
from axonql.graphiql import graphiql_routes
from axonql.graphql_view import AxonGraphQL
from axonql.middleware import (
    RequestIdMiddleware,
    RequestMetricsMiddleware,
    SecurityHeadersMiddleware,
)
from axonql.request_attribution import app_of
from axonql.rest_compat.bridges import bridge_routes
from axonql.rest_compat.mount import rest_routes
from axonql.schema.cost import CostLimits
from axonql.schema.root import build_schema
from axonql.services.bootstrap import bootstrap
from axonql.services.metrics_sampler import MetricsSampler
from axonql.services.request_stats import RequestStats
from axonql.services.scheduler import Background
from axonql.settings import Settings
from axonql.size_limits import SizeLimitMiddleware
from axonql.state import AppState
from axonql.subscriptions import realtime

log = logging.getLogger("axonql")

GRAPHQL_PATHS = ("/graphql", "/api/graphql")


def graphql_routes(settings: Settings) -> list[BaseRoute]:
    view = AxonGraphQL(
        build_schema(
            introspection=settings.introspection_enabled, cost=CostLimits.from_settings(settings)
        ),
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL),
        keep_alive=True,
        keep_alive_interval=settings.ws_keep_alive_seconds,
        max_subscriptions_per_connection=settings.max_subscriptions_per_socket,
        max_json_depth=settings.max_json_depth,
    )
    routes: list[BaseRoute] = []
    for path in GRAPHQL_PATHS:
        routes.append(Route(path, view, methods=["GET", "POST"]))
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
) -> Starlette:
    """The ASGI application for one instance; tests pass settings and database client options."""
    settings = settings or Settings()
    request_stats = RequestStats()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        database = await connect(settings, **(client_kwargs or {}))
        state = AppState(settings=settings, database=database)
        state.extras["request_stats"] = request_stats
        app.state.axon = state
        try:
            await realtime.start_for(state)
            await bootstrap(state, load_demo=load_demo)
            work = Background(state)
            state.extras["background"] = work
            work.start()
            sampler = MetricsSampler(settings, state.extras)
            sampler.start()
            try:
                yield
            finally:
                await sampler.stop()
                await work.stop()
        finally:
            await realtime.stop_for(state)
            await database.close()

    return AxonStarlette(
        routes=[
            *graphql_routes(settings),
            *rest_routes(settings),
            *bridge_routes(build_schema(cost=CostLimits.from_settings(settings))),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(RequestMetricsMiddleware, stats=request_stats, attribute=app_of),
            Middleware(
                SizeLimitMiddleware,
                max_request_bytes=settings.max_request_bytes,
                max_ws_message_bytes=settings.max_ws_message_bytes,
            ),
        ],
        lifespan=lifespan,
    )
