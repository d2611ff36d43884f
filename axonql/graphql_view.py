"""The GraphQL endpoint: builds the per-request context and authenticates callers."""

from __future__ import annotations

import json
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.types import ExecutionResult, SubscriptionExecutionResult

from axonql import graphql_media, graphql_sse
from axonql.adapters.strawberry_internals import graphql_core_schema
from axonql.errors import AxonError
from axonql.graphiql import render_graphiql
from axonql.graphql_ws import LegacyWSHandler, TransportWSHandler
from axonql.request_auth import bearer_from_headers, bearer_from_params, resolve_principal
from axonql.schema.context import Context
from axonql.services import safe_json
from axonql.state import AppState

HTTP_CODES = {400: "INVALID_REQUEST", 404: "RESOURCE_NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


def request_error(
    message: str, extensions: dict[str, Any], status: int, media_type: str = graphql_media.JSON
) -> JSONResponse:
    """A request refused before it ran, as GraphQL errors (never Strawberry's plain text)."""
    body = {"errors": [{"message": message, "extensions": extensions}]}
    return JSONResponse(body, status_code=status, media_type=media_type)


class AxonGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI app with AxonQL's context and connection_init authentication."""

    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(
        self,
        *args: Any,
        max_json_depth: int = safe_json.DEFAULT_MAX_DEPTH,
        introspection: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_json_depth = max_json_depth
        # The schema is the app's one, shared with REST and the bridges: only this public
        # endpoint refuses introspection (in production), per request (see schema/cost.py).
        self.introspection = introspection

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """HTTP refusals as JSON GraphQL errors with a code, whatever raised them."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        response: Response
        request = Request(scope=scope, receive=receive)
        try:
            if graphql_sse.handles(request):  # GraphQL over SSE (graphql-sse), both modes
                response = await graphql_sse.respond(self, request)
            else:
                response = await self.run(request)
        except HTTPException as exc:
            code = HTTP_CODES.get(exc.status_code, "INVALID_REQUEST")
            extensions = {"code": code, "status": exc.status_code}
            media = graphql_media.negotiate(request.headers.get("accept"))
            response = request_error(exc.reason, extensions, exc.status_code, media)
        except AxonError as exc:  # refused at the boundary: hostile JSON, a body too large
            media = graphql_media.negotiate(request.headers.get("accept"))
            response = request_error(exc.message, exc.extensions(), exc.status, media)
        await response(scope, receive, send)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        """The response being built, with the media type the caller's `Accept` asks for."""
        sub_response = await super().get_sub_response(request)
        sub_response.media_type = graphql_media.negotiate(request.headers.get("accept"))
        return sub_response

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """With `application/graphql-response+json`, a request error has no `data` entry."""
        response = await super().process_result(request, result)
        media = graphql_media.negotiate(request.headers.get("accept"))
        if media == graphql_media.GRAPHQL_RESPONSE and graphql_media.is_request_error(result):
            response.pop("data", None)
        return response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """The negotiated content type; a response without `data` (a request error) is a 4xx.

        Only `process_result` drops `data`, and only for `application/graphql-response+json`:
        `application/json` keeps answering 200 (see `axonql.graphql_media`).
        """
        response = super().create_response(response_data, sub_response)
        media = sub_response.media_type or graphql_media.JSON
        response.headers["content-type"] = media
        response.headers.add_vary_header("Accept")
        if isinstance(response_data, dict) and "data" not in response_data:
            response.status_code = graphql_media.request_error_status(response_data.get("errors"))
        return response

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

    async def execute_operation(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: Context,
        root_value: None,
        sub_response: Response,
    ) -> ExecutionResult | list[ExecutionResult] | SubscriptionExecutionResult:
        """APQ hashes and trusted documents (services/persisted_queries.py) become the
        query text here, before Strawberry picks the operation (no mutation over GET)."""
        queries, schema = context.state.persisted_queries, graphql_core_schema(self.schema)
        for item in request_data if isinstance(request_data, list) else [request_data]:
            item.query = await queries.resolve(item.query, item.extensions, schema)
        return await super().execute_operation(
            request, request_adapter, request_data, context, root_value, sub_response
        )

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
            introspection=self.introspection,
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
