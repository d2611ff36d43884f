"""Starlette routes for every table at its API's mount point, `/openapi.json` and `/docs`."""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute
from starlette.routing import Route as StarletteRoute
from starlette.types import Receive, Scope, Send

from axonql.rest_compat import openapi
from axonql.rest_compat.engine import Engine
from axonql.rest_compat.ratelimit import RateLimiter
from axonql.rest_compat.route import Api, Route
from axonql.rest_compat.tables import APIS
from axonql.settings import Settings


class RouteEndpoint:
    """The ASGI app of one documented path: hands the request to the engine."""

    def __init__(self, engine: Engine, api: Api, route: Route) -> None:
        self.engine = engine
        self.api = api
        self.route = route

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.engine.handle(self.api, self.route, Request(scope, receive))
        await response(scope, receive, send)


def rest_routes(
    settings: Settings,
    schema: strawberry.Schema,
    apis: Iterable[Api] = APIS,
) -> list[BaseRoute]:
    """Routes for every API table, on the app's one schema; mount after `/graphql`."""
    apis = tuple(apis)
    engine = Engine(
        schema,
        RateLimiter(settings.rest_rate_limit_storage),
        overrides=settings.rest_rate_limits,
        rate_limits=settings.rest_rate_limits_enabled,
    )
    routes: list[BaseRoute] = [
        StarletteRoute(
            api.full_path(route), RouteEndpoint(engine, api, route), methods=[route.method]
        )
        for api in apis
        for route in api.routes
    ]
    spec = openapi.document(apis)
    page = openapi.docs_page(apis)

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(spec)

    async def docs(request: Request) -> Response:
        return HTMLResponse(page)

    routes.append(StarletteRoute("/openapi.json", openapi_json, methods=["GET"]))
    routes.append(StarletteRoute("/docs", docs, methods=["GET"]))
    return routes


def engine_of(routes: Iterable[BaseRoute]) -> Engine | None:
    """The engine behind mounted REST routes (tests reset its rate-limit counters)."""
    for route in routes:
        endpoint = getattr(route, "app", None)
        if isinstance(endpoint, RouteEndpoint):
            return endpoint.engine
    return None
