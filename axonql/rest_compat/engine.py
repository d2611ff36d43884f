"""The one small engine: runs a Route's GraphQL operation in-process and renders the result.

Request → rate limit → read the documented body and bind variables (`inputs.py`) → execute
on the schema with the caller's principal → highest error status wins → documented
body/envelope (`envelopes.py`), with rate-limit and paging headers.
"""

from __future__ import annotations

import base64
import logging
import secrets
import time
from collections.abc import Mapping
from typing import Any

import strawberry
from graphql import (
    GraphQLError,
    GraphQLSchema,
    VariableDefinitionNode,
    type_from_ast,
    validate_input_value,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from axonql.adapters.strawberry_internals import graphql_core_schema
from axonql.errors import AxonError
from axonql.request_auth import bearer_from_headers, resolve_principal
from axonql.rest_compat import legacy_pagination as pagination
from axonql.rest_compat.access import refusal, required_scopes
from axonql.rest_compat.converters import snake
from axonql.rest_compat.envelopes import Failure
from axonql.rest_compat.inputs import ignored_header, read_inputs, variables
from axonql.rest_compat.ratelimit import RateLimiter, Verdict
from axonql.rest_compat.route import Api, Route
from axonql.schema.context import Context
from axonql.schema.errors import translate
from axonql.services.auth import Principal
from axonql.state import AppState

log = logging.getLogger("axonql.rest")


def _invalid_variable(
    error: GraphQLError, variables: Mapping[str, Any] | None, schema: GraphQLSchema | None
) -> tuple[str, str] | None:
    """(input name, what is wrong) for a variable value graphql-core could not coerce.

    From the error's structure: its node is the variable's definition and `original_error`
    says what is wrong. graphql-core prints the path inside the value only into the message,
    so the path is found again with its public `validate_input_value`.
    """
    node = error.nodes[0] if error.nodes else None
    inner = error.original_error
    if not isinstance(node, VariableDefinitionNode) or not isinstance(inner, GraphQLError):
        return None
    name = node.variable.name.value
    input_type = type_from_ast(schema, node.type) if schema is not None else None
    if input_type is not None and variables is not None and name in variables:
        paths: list[list[str | int]] = []
        validate_input_value(
            variables[name],
            input_type,  # type: ignore[arg-type]  # a variable's type is an input type
            lambda found, path: paths.append(path) if found.message == inner.message else None,
        )
        keys = [key for key in (paths[0] if paths else []) if isinstance(key, str)]
        name = keys[-1] if keys else name
    return snake(name), inner.message


def _failure_from(
    error: GraphQLError,
    variables: Mapping[str, Any] | None = None,
    schema: GraphQLSchema | None = None,
) -> Failure:
    ext = error.extensions or {}
    code = str(ext.get("code", "INTERNAL_ERROR"))
    status = int(ext.get("status", 500))
    details = dict(ext.get("details") or {})
    if "field" in ext:
        details["field"] = ext["field"]
    message = error.message
    if code == "INVALID_REQUEST" and not error.path:
        # The route's documents are fixed and valid: a variable the client supplied is wrong.
        code, status = "VALIDATION_ERROR", 422
        found = _invalid_variable(error, variables, schema)
        if found:
            name, problem = found
            message = f"{name}: {problem}"
            details.setdefault("field", name)
    return Failure(status=status, code=code, message=message, details=details)


def worst(
    errors: list[GraphQLError],
    variables: Mapping[str, Any] | None = None,
    schema: GraphQLSchema | None = None,
) -> Failure:
    """Of several errors the one with the highest status speaks for the response (`variables`
    and `schema` name the input a variable error is about)."""
    failures = [_failure_from(e, variables, schema) for e in errors]
    return max(failures, key=lambda f: f.status)


def lower_at(data: Any, path: str) -> None:
    """Lower-case the enum value at `a.b` / `items[].status` in place (GraphQL → documented)."""
    head, _, rest = path.partition(".")
    many = head.endswith("[]")
    key = head[:-2] if many else head
    if not isinstance(data, dict) or key not in data:
        return
    if many:
        for item in data[key] or []:
            if rest:
                lower_at(item, rest)
        return
    if rest:
        lower_at(data[key], rest)
    elif isinstance(data[key], str):
        data[key] = data[key].lower()


def download(data: Mapping[str, Any], headers: dict[str, str]) -> Response:
    """A file the operation returned base64-encoded, sent as an attachment."""
    name = str(data["filename"]).replace('"', "")
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return Response(
        base64.b64decode(data["content_base64"]),
        media_type=str(data["content_type"]),
        headers=headers,
    )


def _prefers_async(request: Request) -> bool:
    """`Prefer: respond-async` (RFC 7240), alone or among other preferences."""
    prefer = ",".join(request.headers.getlist("prefer")).lower()
    return any(p.split(";")[0].strip() == "respond-async" for p in prefer.split(","))


class Engine:
    """Executes routes against one schema; holds the rate limiter and limit overrides."""

    def __init__(
        self,
        schema: strawberry.Schema,
        limiter: RateLimiter,
        *,
        overrides: Mapping[str, str] | None = None,
        rate_limits: bool = True,
    ) -> None:
        self.schema = schema
        self.limiter = limiter
        self.overrides = dict(overrides or {})
        self.rate_limits = rate_limits
        self._scopes: dict[int, frozenset[str]] = {}

    def scopes_for(self, route: Route) -> frozenset[str]:
        """The scopes the route's operation needs (worked out once per route)."""
        key = id(route)
        if key not in self._scopes:
            self._scopes[key] = required_scopes(self.schema, route.operation, route.optional)
        return self._scopes[key]

    def limit_for(self, api: Api, route: Route) -> str | None:
        key = f"{api.name}.{route.rate_group}"
        return self.overrides.get(key) or api.rate_limits.get(route.rate_group)

    async def _check_rate(
        self, api: Api, route: Route, request: Request, principal: Principal | None
    ) -> Verdict | None:
        spec = self.limit_for(api, route) if self.rate_limits else None
        if spec is None:
            return None
        caller = (
            principal.subject
            if principal
            else f"ip:{request.client.host if request.client else '-'}"
        )
        return await self.limiter.hit(spec, api.name, route.rate_group, caller)

    def _limited(self, api: Api, route: Route, verdict: Verdict) -> Failure:
        window = (self.limit_for(api, route) or "").partition("/")[2] or "minute"
        return Failure(
            429,
            "RATE_LIMIT_EXCEEDED",
            "Rate limit exceeded. Try again later.",
            {"limit": verdict.limit, "window": f"1 {window}", "retry_after": verdict.reset_after},
        )

    async def handle(self, api: Api, route: Route, request: Request) -> Response:
        request_id = str(request.scope.get("request_id") or f"req_{secrets.token_hex(8)}")
        headers: dict[str, str] = {}
        try:
            return await self._handle(api, route, request, request_id, headers)
        except Exception as exc:
            known = translate(exc)
            if known is None:
                log.exception(
                    "REST route %s %s failed [request %s]", route.method, route.path, request_id
                )
                known = AxonError("internal server error")
            return self.error_response(api, Failure.of(known), request_id, headers)

    def error_response(
        self, api: Api, failure: Failure, request_id: str, headers: dict[str, str]
    ) -> Response:
        retry_after = failure.details.get("retry_after")
        if failure.status == 429 and retry_after is not None:
            headers.setdefault("Retry-After", str(retry_after))
        status, body = api.envelope.error(failure, request_id)
        return JSONResponse(body, status_code=status, headers=headers)

    async def _handle(
        self, api: Api, route: Route, request: Request, request_id: str, headers: dict[str, str]
    ) -> Response:
        state: AppState = request.app.state.axon
        principal, auth_error = await resolve_principal(state, bearer_from_headers(request.headers))
        verdict = await self._check_rate(api, route, request, principal)
        if verdict is not None:
            headers.update(verdict.headers(reset_after=api.reset_after_header))
            if not verdict.allowed:
                state.metrics.refused("rest", f"{api.name}.{route.rate_group}")
                headers["Retry-After"] = str(verdict.reset_after)
                return self.error_response(
                    api, self._limited(api, route, verdict), request_id, headers
                )
        refused = refusal(self.scopes_for(route), principal, auth_error)
        if refused is not None:
            return self.error_response(api, Failure.of(refused), request_id, headers)
        inputs = await read_inputs(route, request)
        if inputs.ignored:
            headers["X-Ignored-Fields"] = ignored_header(inputs.ignored)
        win = pagination.window(route.pagination, inputs.query) if route.pagination else None
        context = Context(
            state=state,
            request=request,
            principal=principal,
            auth_error=auth_error,
            request_id=request_id,
        )
        bound = variables(route, inputs, win)
        respond_async = route.respond_async is not None and _prefers_async(request)
        if respond_async:
            bound["wait"] = 0.0  # agent work: queue it and answer 202 at once
        started = time.perf_counter()
        result = await self.schema.execute(
            route.operation,
            variable_values=bound,
            context_value=context,
        )
        inputs.elapsed = time.perf_counter() - started
        # Root fields the route marks optional come back null when the caller may not read them.
        errors = [e for e in result.errors or [] if not (e.path and e.path[0] in route.optional)]
        if errors:
            failure = worst(errors, bound, graphql_core_schema(self.schema))
            return self.error_response(api, failure, request_id, headers)
        data: Any = pagination.dig(result.data or {}, route.result)
        if route.pagination is not None and win is not None:
            data, page_headers = pagination.apply(route.pagination, win, data)
            headers.update(page_headers)
        for path in route.lower:
            lower_at(data, path)
        shape = route.respond_async if respond_async else route.shape
        if shape is not None:
            data = shape(data, inputs)
        headers.update(inputs.headers)
        if route.download:
            return download(data, headers)
        body = api.envelope.success(data, message=route.message, request_id=request_id)
        status = 202 if respond_async else route.status
        return JSONResponse(body, status_code=status, headers=headers)
