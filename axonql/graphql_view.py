"""The GraphQL endpoint: builds the per-request context and authenticates callers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError

from axonql.errors import AuthenticationFailed, AxonError
from axonql.graphiql import render_graphiql
from axonql.graphql_ws import LegacyWSHandler, TransportWSHandler
from axonql.schema.context import Context
from axonql.services.auth import Principal, authenticate
from axonql.settings import Settings
from axonql.state import AppState

CONNECTION_TOKEN_KEYS = ("Authorization", "authorization", "authToken", "token", "access_token")


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
    settings: Settings, token: str | None
) -> tuple[Principal | None, AxonError | None]:
    """The caller for a token; a bad token is remembered, refused when a field needs a scope."""
    if not token:
        return None, None
    try:
        return await authenticate(settings, token), None
    except AuthenticationFailed as exc:
        return None, exc


class AxonGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with AxonQL's context and connection_init authentication."""

    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        state: AppState = request.app.state.axon
        token = bearer_from_headers(request.headers)
        principal, error = await resolve_principal(state.settings, token)
        # The middleware's id (the caller's, length-limited, or a new one) is the one logged
        # and echoed in `X-Request-ID`.
        request_id = request.scope.get("request_id") or request.headers.get("x-request-id", "")
        return Context(
            state=state,
            request=request,
            principal=principal,
            auth_error=error,
            request_id=str(request_id),
        )

    async def render_graphql_ide(self, request: Request) -> Response:
        """The self-hosted GraphiQL page instead of Strawberry's CDN-loading one."""
        return render_graphiql(request)

    async def on_ws_connect(self, context: Context) -> dict[str, object] | None:
        token = bearer_from_params(context.connection_params or {})
        if token is None:
            return None
        principal, error = await resolve_principal(context.settings, token)
        if error is not None:
            raise ConnectionRejectionError({"code": error.code, "message": error.message})
        context.principal = principal
        context.auth_error = None
        return None
