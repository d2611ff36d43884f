"""The one small engine: runs a Route's GraphQL operation in-process and renders the result.

Request → rate limit → parse and validate the documented body → bind variables → execute on
the schema with the caller's principal → highest error status wins → documented body/envelope.
Unknown body fields are ignored and listed in the `X-Ignored-Fields` response header, so a
legacy client that sends extra keys keeps working and a typo is still visible.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any

import strawberry
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from axonql.errors import AxonError, ValidationError
from axonql.graphql_view import bearer_from_headers, resolve_principal
from axonql.rest_compat import pagination
from axonql.rest_compat.converters import snake
from axonql.rest_compat.envelopes import Failure
from axonql.rest_compat.ratelimit import RateLimiter, Verdict
from axonql.rest_compat.route import Api, Binding, Field, Inputs, Route, Var
from axonql.schema.context import Context
from axonql.schema.errors import translate
from axonql.services.auth import Principal
from axonql.state import AppState

log = logging.getLogger("axonql.rest")

_MISSING: Any = object()
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_TYPE_CHECKS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}
_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "a list",
}


_COERCION = re.compile(
    r"Variable '\$(\w+)' (?:has|got) invalid value(?: at ([\w.\[\]]+))?: (.*)", re.S
)


class BadRequest(AxonError):
    """A request the engine cannot read (malformed JSON, a body that is not an object)."""

    code = "INVALID_REQUEST"
    status = 400


def _type_ok(kind: str, value: Any) -> bool:
    if isinstance(value, bool) and kind != "boolean":
        return False
    return isinstance(value, _TYPE_CHECKS[kind])


def validate_body(spec: tuple[Field, ...], body: Mapping[str, Any]) -> list[str]:
    """Check documented fields' types and presence; return the names of unknown fields."""
    known = {f.name for f in spec}
    for f in spec:
        value = body.get(f.name)
        if value is None:
            if f.required:
                raise ValidationError(f"{f.name} is required", field=f.name)
            continue
        if not _type_ok(f.type, value):
            raise ValidationError(f"{f.name} must be {_TYPE_WORDS[f.type]}", field=f.name)
        if f.type == "array" and f.items:
            for item in value:
                if not _type_ok(f.items, item):
                    word = _TYPE_WORDS[f.items]
                    raise ValidationError(f"every {f.name} item must be {word}", field=f.name)
    return sorted(k for k in body if k not in known)


async def read_inputs(route: Route, request: Request) -> Inputs:
    """Path, query and (for POST/PUT) the JSON body, validated against the route's fields."""
    body: Any = {}
    if request.method in _BODY_METHODS:
        raw = await request.body()
        if raw.strip():
            try:
                body = json.loads(raw)
            except (ValueError, UnicodeDecodeError) as exc:
                raise BadRequest(f"the request body is not valid JSON: {exc}") from None
            if not isinstance(body, dict):
                raise BadRequest("the request body must be a JSON object")
    ignored = validate_body(route.body, body) if route.body or body else []
    return Inputs(
        path=dict(request.path_params),
        query=dict(request.query_params),
        body=body,
        ignored=ignored,
    )


def ignored_header(names: list[str]) -> str:
    """Unknown field names as a header value: ASCII only (escaped), bounded in length."""
    text = ", ".join(n.encode("ascii", "backslashreplace").decode("ascii") for n in names)
    text = "".join(ch if 32 < ord(ch) < 127 or ch == " " else "?" for ch in text).strip()
    return text if len(text) <= 500 else text[:497] + "..."


def _lookup(source: str, inputs: Inputs, win: pagination.Window | None) -> Any:
    where, _, name = source.partition(".")
    if where == "path":
        return inputs.path.get(name)
    if where == "query":
        return inputs.query.get(name) if name else dict(inputs.query)
    if where == "body":
        return pagination.dig(inputs.body, name) if name else inputs.body
    if where == "page" and win is not None:
        return {"limit": win.limit, "offset": win.offset, "page": win.page, "size": win.limit}[name]
    raise ValueError(f"unknown variable source {source!r}")


def bind(binding: Binding, inputs: Inputs, win: pagination.Window | None) -> Any:
    """One binding's value, or `_MISSING` when the request does not supply it."""
    if isinstance(binding, Mapping):
        out = {}
        for key, sub in binding.items():
            value = bind(sub, inputs, win)
            if value is not _MISSING:
                out[key] = value
        return out
    var = Var(binding) if isinstance(binding, str) else binding
    if var.constant:
        return var.default
    value = _lookup(var.source, inputs, win)
    if value is None:
        return var.default if var.default is not None else _MISSING
    if var.convert is None:
        return value
    name = var.source.partition(".")[2] or var.source
    try:
        return var.convert(value)
    except ValidationError as exc:
        raise ValidationError(f"{name}: {exc.message}", field=name) from None


def variables(route: Route, inputs: Inputs, win: pagination.Window | None) -> dict[str, Any]:
    return {
        key: value
        for key, binding in route.variables.items()
        if (value := bind(binding, inputs, win)) is not _MISSING
    }


def _failure_from(error: GraphQLError) -> Failure:
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
        found = _COERCION.match(message)
        if found:
            name = snake((found.group(2) or found.group(1)).strip(".").split(".")[-1])
            message = f"{name}: {found.group(3)}"
            details.setdefault("field", name)
    return Failure(status=status, code=code, message=message, details=details)


def worst(errors: list[GraphQLError]) -> Failure:
    """Of several errors the one with the highest status speaks for the response."""
    failures = [_failure_from(e) for e in errors]
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
        status, body = api.envelope.error(failure, request_id)
        return JSONResponse(body, status_code=status, headers=headers)

    async def _handle(
        self, api: Api, route: Route, request: Request, request_id: str, headers: dict[str, str]
    ) -> Response:
        state: AppState = request.app.state.axon
        principal, auth_error = await resolve_principal(
            state.settings, bearer_from_headers(request.headers)
        )
        verdict = await self._check_rate(api, route, request, principal)
        if verdict is not None:
            headers.update(verdict.headers(reset_after=api.reset_after_header))
            if not verdict.allowed:
                headers["Retry-After"] = str(verdict.reset_after)
                return self.error_response(
                    api, self._limited(api, route, verdict), request_id, headers
                )
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
        if route.precheck is not None:
            checked = await self.schema.execute(
                route.precheck.operation, variable_values=bound, context_value=context
            )
            if checked.errors:
                return self.error_response(api, worst(checked.errors), request_id, headers)
            route.precheck.require(
                pagination.dig(checked.data or {}, route.precheck.result), inputs
            )
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
            return self.error_response(api, worst(errors), request_id, headers)
        data: Any = pagination.dig(result.data or {}, route.result)
        if route.pagination is not None and win is not None:
            data, page_headers = pagination.apply(route.pagination, win, data)
            headers.update(page_headers)
        for path in route.lower:
            lower_at(data, path)
        if route.shape is not None:
            data = route.shape(data, inputs)
        if route.download:
            return download(data, headers)
        body = api.envelope.success(data, message=route.message, request_id=request_id)
        return JSONResponse(body, status_code=route.status, headers=headers)
