"""The GraphQL endpoint: builds the per-request context and authenticates callers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData

from axonql.errors import AxonError
from axonql.graphiql import render_graphiql
from axonql.graphql_ws import LegacyWSHandler, TransportWSHandler
from axonql.schema.context import Context
from axonql.schema.errors import translate
from axonql.services import safe_json
from axonql.services.auth import Principal, authenticate
from axonql.state import AppState

CONNECTION_TOKEN_KEYS = ("Authorization", "authorization", "authToken", "token", "access_token")
HTTP_CODES = {400: "INVALID_REQUEST", 404: "RESOURCE_NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def request_error(message: str, extensions: dict[str, Any], status: int) -> JSONResponse:
    """A request refused before it ran, as GraphQL errors (never Strawberry's plain text)."""
    body = {"errors": [{"message": message, "extensions": extensions}]}
    return JSONResponse(body, status_code=status)


def bearer_from_headers(headers: Mapping[str, str]) -> str | None:
    """`Authorization: Bearer …` (JWT or API key) or `X-API-Key: …`."""
    value = headers.get("authorization")
    if value:
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else value.strip()
    return headers.get("x-api-key") or None


def bearer_from_params(params: Mapping[str, Any]) -> str | None:
    """A token in `connection_init`: `{"Authorization": "Bearer …"}`, `{"token": …}` or headers."""
    nested = params.get("headers")
    if isinstance(nested, Mapping):
        found = bearer_from_headers({str(k).lower(): str(v) for k, v in nested.items()})
        if found:
            return found
    for key in CONNECTION_TOKEN_KEYS:
        value = params.get(key)
        if isinstance(value, str) and value:
            scheme, _, token = value.partition(" ")
            return token.strip() if scheme.lower() == "bearer" else value.strip()
    return None


async def resolve_principal(
    state: AppState, token: str | None
) -> tuple[Principal | None, AxonError | None]:
    """The caller for a token; a bad token is remembered, refused when a field needs a scope."""
    if not token:
        return None, None
    try:
        return await authenticate(state.settings, token, state.token_validity), None
    except Exception as exc:
        # A credential that fails, or a database that cannot check it (503): either way the
        # caller is nobody, and a field that needs a scope answers with this error.
        known = translate(exc)
        if known is None:
            raise
        return None, known


class AxonGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with AxonQL's context and connection_init authentication."""

    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(
        self, *args: Any, max_json_depth: int = safe_json.DEFAULT_MAX_DEPTH, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """HTTP refusals as JSON GraphQL errors with a code, whatever raised them."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        response: Response
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as exc:
            code = HTTP_CODES.get(exc.status_code, "INVALID_REQUEST")
            extensions = {"code": code, "status": exc.status_code}
            response = request_error(exc.reason, extensions, exc.status_code)
        except AxonError as exc:  # refused at the boundary: hostile JSON, a body too large
            response = request_error(exc.message, exc.extensions(), exc.status)
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        """Request bodies, GET variables and WebSocket messages: any depth parses, no NaN."""
        try:
            return safe_json.loads(data, self.max_json_depth)
        except json.JSONDecodeError:
            raise
        except ValueError as exc:  # bad UTF-8, NaN: Strawberry only expects JSONDecodeError
            raise json.JSONDecodeError(str(exc), "", 0) from None

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The request, with every part checked for hostile JSON before anything runs."""
        parsed = await super().parse_http_body(request)
        for item in parsed if isinstance(parsed, list) else [parsed]:
            safe_json.check_operation(
                {
                    "query": item.query,
                    "operationName": item.operation_name,
                    "variables": item.variables,
                    "extensions": item.extensions,
                },
                self.max_json_depth,
            )
        return parsed

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        state: AppState = request.app.state.axon
        token = bearer_from_headers(request.headers)
        principal, error = await resolve_principal(state, token)
        # The middleware's id (the caller's, length-limited, or a new one) is the one logged
        # and echoed in `X-Request-ID`.
        request_id = request.scope.get("request_id") or request.headers.get("x-request-id", "")
        return Context(
            state=state,
            request=request,
            principal=principal,
            auth_error=error,
            request_id=str(request_id),
            response=response if isinstance(response, Response) else None,
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        """The self-hosted GraphiQL page instead of Strawberry's CDN-loading one."""
        return render_graphiql(request)

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        token = bearer_from_params(context.connection_params or {})
        if token is None:
            return None
        principal, error = await resolve_principal(context.state, token)
        if error is not None:
            raise ConnectionRejectionError({"code": error.code, "message": error.message})
        context.principal = principal
        context.auth_error = None
        return None
