"""Starlette routes for every table at its API's mount point, `/openapi.json` and `/docs`."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import strawberry
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, compile_path
from starlette.routing import Route as StarletteRoute
from starlette.types import Receive, Scope, Send

from axonql.rest_compat import openapi
from axonql.rest_compat.engine import Engine
from axonql.rest_compat.envelopes import Failure
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


def mount_prefix(api: Api) -> str:
    """The path every route of an API starts with: its mount and their common segments."""
    paths = [route.path.strip("/").split("/") for route in api.routes]
    common: list[str] = []
    for parts in zip(*paths, strict=False):
        if len(set(parts)) != 1 or parts[0].startswith("{"):
            break
        common.append(parts[0])
    return api.mount + "".join(f"/{part}" for part in common)


class LegacyHttpErrors:
    """404 and 405 under an API's mount in that API's JSON error body, not Starlette's text.

    A path no route matched belongs to the API with the longest matching prefix (NexusNet's
    is the root); a documented path asked with another method answers 405 with `Allow`.
    Anything else keeps Starlette's plain answer.
    """

    def __init__(self, engine: Engine, apis: Iterable[Api] = APIS) -> None:
        self.engine = engine
        apis = tuple(apis)
        self.prefixes = sorted(
            ((mount_prefix(api), api) for api in apis), key=lambda found: -len(found[0])
        )
        self.methods = {
            api.name: [(compile_path(api.full_path(r))[0], r.method) for r in api.routes]
            for api in apis
        }

    def allowed(self, api: Api, path: str) -> list[str]:
        return sorted({method for regex, method in self.methods[api.name] if regex.match(path)})

    def api_for(self, path: str) -> Api | None:
        for prefix, api in self.prefixes:
            if path == prefix or path.startswith(prefix + "/"):
                return api
        return None

    async def __call__(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        route = request.scope.get("route")
        endpoint = getattr(route, "app", None)
        api: Api | None = None
        if exc.status_code == 405 and isinstance(endpoint, RouteEndpoint):
            api = endpoint.api
        elif exc.status_code == 404 and route is None:
            api = self.api_for(request.url.path)
        if api is None:
            if exc.status_code in {204, 304}:
                return Response(status_code=exc.status_code, headers=exc.headers)
            return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)
        method, path = request.method, request.url.path
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            allowed = self.allowed(api, path)
            headers["Allow"] = ", ".join(allowed)
            message = f"{method} is not allowed on {path}"
            failure = Failure(405, "METHOD_NOT_ALLOWED", message, {"allowed": allowed})
        else:
            failure = Failure(
                404, "RESOURCE_NOT_FOUND", f"no endpoint {method} {path}", {"path": path}
            )
        request_id = str(request.scope.get("request_id") or f"req_{secrets.token_hex(8)}")
        return self.engine.error_response(api, failure, request_id, headers)


def legacy_http_errors(routes: Iterable[BaseRoute]) -> LegacyHttpErrors:
    """The handler for Starlette's 404/405 around the mounted REST routes' engine."""
    engine = engine_of(routes)
    if engine is None:
        raise RuntimeError("no REST routes mounted")
    return LegacyHttpErrors(engine)


def engine_of(routes: Iterable[BaseRoute]) -> Engine | None:
    """The engine behind mounted REST routes (tests reset its rate-limit counters)."""
    for route in routes:
        endpoint = getattr(route, "app", None)
        if isinstance(endpoint, RouteEndpoint):
            return endpoint.engine
    return None
