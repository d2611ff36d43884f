"""One SERVER span per HTTP request: method, route template, status and request id.

Added to the middleware stack only when tracing is on. It sits inside `RequestIdMiddleware`
(which puts the id in the scope) and makes its span current, so the GraphQL operation and
database command spans of the request become its children.
"""

from __future__ import annotations

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from axonql.middleware import ConnectionMiddleware
from axonql.observability.tracing import REQUEST_ID, with_request_id


def route_template(scope: Scope) -> str | None:
    """The matched route's path template (`/api/tasks/{task_id}`), set by Starlette's router."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None


class HttpSpans(ConnectionMiddleware):
    """Times each HTTP request to the end of its response; WebSockets pass straight on."""

    def __init__(self, app: ASGIApp, tracer: trace.Tracer) -> None:
        self.app = app
        self.tracer = tracer

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = str(scope.get("method", "GET"))
        request_id = str(scope.get("request_id", ""))
        parent = with_request_id(request_id)
        span = self.tracer.start_span(
            method,
            context=parent,
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": method,
                "url.path": str(scope.get("path", "")),
                REQUEST_ID: request_id,
            },
        )
        token = context.attach(trace.set_span_in_context(span, parent))
        status = 0

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observe)
        except Exception as exc:
            span.record_exception(exc)
            status = status or 500
            raise
        finally:
            route = route_template(scope)
            if route is not None:
                span.update_name(f"{method} {route}")
                span.set_attribute("http.route", route)
            if status:
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
            context.detach(token)
            span.end()
