"""ASGI middleware: a request id on every request and response; security headers; metrics."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

from starlette.datastructures import MutableHeaders
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from axonql.observability.metrics import Metrics
from axonql.services.request_stats import OUTCOME_SCOPE_KEY, RequestStats


class RequestIdMiddleware:
    """Reuses the caller's `X-Request-ID` or makes one; errors are logged with it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        supplied = headers.get(b"x-request-id", b"").decode("latin-1")[:64]
        request_id = supplied or f"req_{secrets.token_hex(8)}"
        scope["request_id"] = request_id
        if scope["type"] == "websocket":  # no response headers to add: leave its sends alone
            await self.app(scope, receive, send)
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)


class SecurityHeadersMiddleware:
    """`nosniff` on every HTTP response; `no-store` unless the response chose its caching.

    GraphQL and REST responses carry tokens (logins, API keys) and private data, so no cache
    may keep them; only the GraphiQL page and its versioned static files set their own
    `Cache-Control`, which is left alone.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ConnectionMiddleware:
    """ASGI middleware with one method per connection type; lifespan passes straight on."""

    app: ASGIApp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


Attribution = Callable[[Scope], str | None]

CLIENT_CLOSED_REQUEST = 499
"""Counted (as a 4xx, not a server error) for a client that left before the response ended."""


class RequestMetricsMiddleware(ConnectionMiddleware):
    """Times every HTTP request to the end of its body and counts open WebSockets.

    One measurement feeds both the legacy metric series (`RequestStats`: per-window rates and
    percentiles within 2 %, which Prometheus' fixed buckets cannot give) and, when given, the
    Prometheus families (`Metrics`: cumulative counts and latency histograms by route).

    A GraphQL response is HTTP 200 even when it carries a server error: the status its
    errors left under `OUTCOME_SCOPE_KEY` counts instead. `attribute` names the application
    a request belongs to, read after routing has filled in the scope.
    """

    def __init__(
        self,
        app: ASGIApp,
        stats: RequestStats,
        attribute: Attribution | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.app = app
        self.stats = stats
        self.attribute = attribute or (lambda scope: None)
        self.metrics = metrics

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 0
        recorded = False

        def record(final: int) -> None:
            nonlocal recorded
            recorded = True
            outcome = scope.get(OUTCOME_SCOPE_KEY)
            if final == 200 and isinstance(outcome, int):
                final = outcome
            elapsed = time.perf_counter() - started
            app = self.attribute(scope)
            self.stats.record(app, elapsed * 1000.0, final)
            if self.metrics is not None:
                self.metrics.observe_request(scope, app, final, elapsed)

        async def observe(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                record(status)

        try:
            await self.app(scope, receive, observe)
        except ClientDisconnect:
            if not recorded:
                record(CLIENT_CLOSED_REQUEST)
            raise
        except Exception:
            if not recorded:
                record(500)
            raise
        finally:
            if not recorded:  # a body left unfinished: the client went away mid-response
                record(CLIENT_CLOSED_REQUEST if status else 500)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        opened: list[str | None] = []

        async def observe(message: Message) -> None:
            await send(message)
            if message["type"] == "websocket.accept" and not opened:
                opened.append(self.attribute(scope))
                self.stats.websocket_opened(opened[0])

        try:
            await self.app(scope, receive, observe)
        finally:
            if opened:
                self.stats.websocket_closed(opened[0])
