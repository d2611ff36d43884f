"""What every legacy WebSocket bridge shares: the caller's token, in-process GraphQL, teardown.

A bridge never decides what a caller may see: each stream is a GraphQL subscription executed
on the same schema with a `Context` carrying the caller's principal (as `/graphql` builds it),
so scopes, filters and the subscribers' bounded buffers stay in one place. A session owns one
task per followed stream and cancels them all when the socket goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import strawberry
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState
from strawberry.types import ExecutionResult
from structlog.contextvars import bound_contextvars

from axonql.errors import AuthenticationFailed, ValidationError
from axonql.observability.metrics import route_template
from axonql.request_auth import bearer_from_headers, resolve_principal
from axonql.rest_compat.engine import worst
from axonql.rest_compat.envelopes import Envelope, Failure
from axonql.rest_compat.ratelimit import RateLimiter
from axonql.schema.context import Context
from axonql.services import safe_json
from axonql.services.auth import Principal
from axonql.state import AppState
from axonql.subscriptions import log as event_log

log = logging.getLogger("axonql.rest")

# Close codes: the graphql-ws conventions AxonQL already uses on /graphql.
UNAUTHENTICATED = 4401
AUTH_TIMEOUT = 4408
TOO_MANY = 4429

Translate = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]
RenderError = Callable[[Failure, str], dict[str, Any]]


class BridgeFailure(Exception):
    """A failure to report to the client as the API's error message."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def enveloped(envelope: Envelope) -> RenderError:
    """Error messages as the API's documented error body plus `"type": "error"`."""

    def render(failure: Failure, request_id: str) -> dict[str, Any]:
        _, body = envelope.error(failure, request_id)
        return {"type": "error", **body}

    return render


def iso(value: Any, *, millis: bool = False) -> str:
    """A GraphQL DateTime (or now) as the documents write times: UTC with a `Z`."""
    when = datetime.fromisoformat(value) if isinstance(value, str) else datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    spec = "milliseconds" if millis else "seconds"
    return when.astimezone(UTC).isoformat(timespec=spec).replace("+00:00", "Z")


def offered_token(websocket: WebSocket) -> str | None:
    """`Authorization: Bearer …`, `X-API-Key`, or `?token=` on the connection URL."""
    return bearer_from_headers(websocket.headers) or websocket.query_params.get("token") or None


async def resume_point() -> str:
    """The last event id handed out: streams start after it, so nothing committed from now on
    is missed, however long the stream takes to register with the hub."""
    return await event_log.last_event_id()


class Session:
    """One legacy WebSocket connection: its caller, its streams and its error format."""

    def __init__(
        self,
        websocket: WebSocket,
        schema: strawberry.Schema,
        render_error: RenderError,
        *,
        limiter: RateLimiter | None = None,
        message_limit: str | None = None,
    ) -> None:
        self.websocket = websocket
        self.schema = schema
        self.render_error = render_error
        self.state: AppState = websocket.app.state.axon
        self.principal: Principal | None = None
        self.request_id = f"ws_{secrets.token_hex(8)}"
        self.limiter = limiter
        self.message_limit = message_limit
        # A stream shared by two APIs answers an unreadable message in the format of the API
        # its text (or the connection's last message) belongs to.
        self.unreadable: Callable[[str], RenderError] | None = None
        self._streams: dict[str, asyncio.Task[None]] = {}
        self._send_lock = asyncio.Lock()

    @property
    def settings(self) -> Any:
        return self.state.settings

    def context(self) -> Context:
        return Context(
            state=self.state,
            request=self.websocket,
            principal=self.principal,
            request_id=self.request_id,
        )

    # --- sending -------------------------------------------------------------------------

    async def send(self, message: dict[str, Any]) -> bool:
        """Send one JSON message; False once the client has gone."""
        if self.websocket.application_state != WebSocketState.CONNECTED:
            return False
        async with self._send_lock:
            try:
                await self.websocket.send_text(json.dumps(message, default=str))
            except (WebSocketDisconnect, RuntimeError, OSError):
                return False
        return True

    async def send_error(self, failure: Failure) -> bool:
        return await self.send(self.render_error(failure, self.request_id))

    async def refuse(self, failure: Failure, code: int) -> None:
        """Tell the client why in the API's error format, then close."""
        await self.send_error(failure)
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
            await self.websocket.close(code=code, reason=failure.message[:120])

    # --- authentication ------------------------------------------------------------------

    async def authenticate(self, token: str | None) -> bool:
        """Resolve the caller; a missing or bad token refuses the connection (4401)."""
        principal, error = await resolve_principal(self.state, token)
        if principal is None:
            reason = error or AuthenticationFailed("authentication required")
            await self.refuse(Failure(reason.status, reason.code, reason.message), UNAUTHENTICATED)
            return False
        self.principal = principal
        return True

    async def login(
        self,
        token_in: Callable[[Any], str | None],
        hint: str,
        errors_for: Callable[[Any], RenderError] | None = None,
    ) -> tuple[bool, Any]:
        """Authenticate with the connection's token, else with the first message's.

        Returns whether the caller is in, and the first message when one was read (it may
        also carry a command, as LUKHAS's `subscribe` with `auth_token` does). `errors_for`
        picks the error format from that message where one path serves two APIs.
        """
        token = offered_token(self.websocket)
        if token is not None:
            return await self.authenticate(token), None
        try:
            message = await self.receive(timeout=self.settings.ws_auth_timeout_seconds)
        except TimeoutError:
            failure = Failure(401, "AUTHENTICATION_FAILED", f"no authentication in time: {hint}")
            await self.refuse(failure, AUTH_TIMEOUT)
            return False, None
        if message is None:
            return False, None
        if errors_for is not None:
            self.render_error = errors_for(message)
        token = token_in(message) if isinstance(message, dict) else None
        if token is None:
            failure = Failure(401, "AUTHENTICATION_FAILED", f"authentication required: {hint}")
            await self.refuse(failure, UNAUTHENTICATED)
            return False, message
        return await self.authenticate(token), message

    # --- receiving -----------------------------------------------------------------------

    async def receive(self, timeout: float | None = None) -> Any:
        """The next JSON message; `None` when the client is gone. Bad JSON is answered.

        With a timeout, `TimeoutError` when nothing arrives in time.
        """
        while True:
            try:
                if timeout is None:
                    message = await self.websocket.receive()
                else:
                    message = await asyncio.wait_for(self.websocket.receive(), timeout)
            except (WebSocketDisconnect, RuntimeError):
                return None
            if message["type"] == "websocket.disconnect":
                return None
            text = message.get("text")
            if text is None and message.get("bytes") is not None:
                text = message["bytes"].decode("utf-8", "replace")
            if not await self._within_limit():
                continue
            max_depth = self.settings.max_json_depth
            try:
                parsed = safe_json.loads(text or "", max_depth)
            except ValueError:
                failure = Failure(400, "INVALID_REQUEST", "messages must be JSON objects")
                if self.unreadable is not None:
                    await self.send(self.unreadable(text or "")(failure, self.request_id))
                else:
                    await self.send_error(failure)
                continue
            try:  # lone surrogates, NUL in keys, nesting: answered, never passed on
                safe_json.check("", parsed, max_depth=max_depth)
            except ValidationError as exc:
                await self.send_error(Failure.of(exc))
                continue
            return parsed

    async def _within_limit(self) -> bool:
        if self.limiter is None or self.message_limit is None:
            return True
        verdict = await self.limiter.hit(self.message_limit, "ws", self.request_id)
        if verdict.allowed:
            return True
        self.state.metrics.refused("ws_message", route_template(self.websocket.scope))
        await self.send_error(
            Failure(
                429,
                "RATE_LIMIT_EXCEEDED",
                "Rate limit exceeded. Try again later.",
                {"limit": verdict.limit, "window": "1 minute", "retry_after": verdict.reset_after},
            )
        )
        return False

    # --- GraphQL, in process -------------------------------------------------------------

    async def execute(self, document: str, variables: dict[str, Any] | None = None) -> Any:
        """Run a query or mutation as the caller; errors raise `BridgeFailure`."""
        result = await self.schema.execute(
            document, variable_values=variables or {}, context_value=self.context()
        )
        if result.errors:
            raise BridgeFailure(worst(list(result.errors)))
        return result.data

    def follow(
        self,
        key: str,
        document: str,
        field: str,
        variables: dict[str, Any],
        translate: Translate,
    ) -> None:
        """Start (or restart) stream `key`: each event of `field` goes through `translate`."""
        self._start(key, self._pump(key, document, field, variables, translate))

    def poll(
        self, key: str, seconds: float, produce: Callable[[], Awaitable[dict[str, Any] | None]]
    ) -> None:
        """Start (or restart) stream `key`: `produce()` now and every `seconds` after."""
        self._start(key, self._poll(seconds, produce))

    def start_work(self, key: str, work: Coroutine[Any, Any, None]) -> None:
        """Run one request's work beside the streams; it ends with the connection at latest."""
        self._start(key, work)

    def _start(self, key: str, work: Coroutine[Any, Any, None]) -> None:
        self.stop(key)
        self._streams[key] = asyncio.create_task(self._guard(key, work), name=f"ws-bridge-{key}")

    def stop(self, key: str) -> None:
        task = self._streams.pop(key, None)
        if task is not None:
            task.cancel()

    async def _guard(self, key: str, work: Coroutine[Any, Any, None]) -> None:
        """Report how a stream ended (in the API's error format) and forget it."""
        try:
            await work
        except BridgeFailure as exc:
            await self.send_error(_for_stream(exc.failure, key))
        except Exception:
            with bound_contextvars(request_id=self.request_id, stream=key):
                log.exception("WebSocket bridge stream failed")
            await self.send_error(Failure(500, "INTERNAL_ERROR", "internal server error"))
        finally:
            if self._streams.get(key) is asyncio.current_task():
                del self._streams[key]

    async def _pump(
        self,
        key: str,
        document: str,
        field: str,
        variables: dict[str, Any],
        translate: Translate,
    ) -> None:
        source = await self.schema.subscribe(
            document, variable_values=variables, context_value=self.context()
        )
        if isinstance(source, ExecutionResult):
            raise BridgeFailure(worst(list(source.errors or [])))
        try:
            async for item in source:
                if item.errors:
                    raise BridgeFailure(worst(list(item.errors)))
                message = await translate((item.data or {})[field])
                if message is not None and not await self.send(message):
                    return
        finally:
            await source.aclose()

    async def _poll(
        self, seconds: float, produce: Callable[[], Awaitable[dict[str, Any] | None]]
    ) -> None:
        while True:
            try:
                message = await produce()
            except BridgeFailure as exc:
                if exc.failure.status < 500:
                    raise  # refused (scope, input): asking again will not help
                message = self.render_error(exc.failure, self.request_id)  # say so, try again
            if message is not None and not await self.send(message):
                return
            await asyncio.sleep(seconds)

    async def close(self) -> None:
        """Cancel every stream and wait for them: nothing outlives the connection."""
        tasks = list(self._streams.values())
        self._streams.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.websocket.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
                await self.websocket.close()


def _for_stream(failure: Failure, key: str) -> Failure:
    """The failure with the stream it ended named in its details."""
    details = {**failure.details, "stream": key}
    return Failure(failure.status, failure.code, failure.message, details)


EVENT_FIELDS = "id type payload createdAt systemId taskId agentId userId memoryId"


def subscription(field: str, arguments: dict[str, str]) -> str:
    """`subscription($after: ID, …) { field(after: $after, …) { …event fields } }`."""
    declared = ", ".join(f"${name}: {kind}" for name, kind in {"after": "ID", **arguments}.items())
    passed = ", ".join(f"{name}: ${name}" for name in ("after", *arguments))
    return f"subscription Bridge({declared}) {{ {field}({passed}) {{ {EVENT_FIELDS} }} }}"
