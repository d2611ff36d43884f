"""GraphQL over Server-Sent Events: the graphql-sse protocol, in both of its modes.

Strawberry serves GraphQL over HTTP and WebSockets; this serves the protocol of
github.com/enisdenjo/graphql-sse (PROTOCOL.md) on the same paths, for `AxonGraphQL`:

* distinct connections: a GET or POST with `Accept: text/event-stream` is answered with an
  event stream of `next` events and a final `complete`;
* single connection: `PUT` reserves a stream (201, its token in the body), a `GET` with the
  token (`X-GraphQL-Event-Stream-Token` or `?token=`) opens it, a `POST` with the token runs an
  operation on it (202; its results are `next`/`complete` events carrying the operation's
  `extensions.operationId`), and `DELETE ?operationId=…` stops one.

Operations run with the view's schema and context, so authentication and scope checks are the
HTTP and WebSocket ones; a credential that fails is refused before any stream opens (401, as a
WebSocket's `connection_init` is), anything else is a GraphQL error in a `next`. Subscription
streams yield their results here (no WebSocket sink is set, see `schema.direct_delivery`);
each `next` from an event is labelled `id: <event id>` (`schema.event_ids`) and a request's
`Last-Event-ID` resumes its subscription (`sse_resume`). Results wait in a small outbox, so a
slow client backs up into its subscribers' buffers and meets the usual slow-consumer handling.
A stream whose client has gone stops its operations for certain (`stop_task`), which takes
their subscribers out of the hub.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from axonql.adapters.strawberry_internals import graphql_core_schema
from axonql.errors import Conflict, InvalidRequest, NotFound, TooManySubscriptions
from axonql.schema import event_ids
from axonql.schema.context import Context
from axonql.services import safe_json
from axonql.sse_reservations import Reservation
from axonql.sse_resume import resume_after
from axonql.state import AppState
from axonql.stopping import stop_task
from axonql.subscriptions.log import parse_event_id

if TYPE_CHECKING:
    from axonql.graphql_view import AxonGraphQL

log = logging.getLogger("axonql.sse")

TOKEN_HEADER = "x-graphql-event-stream-token"
TOKEN_PARAM = "token"
EVENT_STREAM = "text/event-stream"
KEEP_ALIVE = b":\n\n"
DISTINCT_OUTBOX = 16  # results waiting for a distinct stream's client
MAX_OPERATION_ID = 200
STREAM_HEADERS = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}
ALL_OPERATIONS = frozenset(OperationType)
NO_MUTATION = frozenset({OperationType.QUERY, OperationType.SUBSCRIPTION})

Emit = Callable[[bytes], Awaitable[None]]


def accepts_event_stream(accept: str) -> bool:
    """Whether `Accept` names `text/event-stream` (with a `q` above 0)."""
    for media_range in accept.split(","):
        media, *params = media_range.split(";")
        if media.strip().lower() != EVENT_STREAM:
            continue
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q" and value.strip() in ("0", "0.0", "0.00", "0.000"):
                break
        else:
            return True
    return False


def stream_token(request: Request) -> str | None:
    return request.headers.get(TOKEN_HEADER) or request.query_params.get(TOKEN_PARAM) or None


def handles(request: Request) -> bool:
    """Whether a request is graphql-sse's; any other goes to Strawberry's GET/POST handling."""
    if request.method in ("PUT", "DELETE"):
        return True
    return stream_token(request) is not None or accepts_event_stream(
        request.headers.get("accept", "")
    )


def event(kind: str, data: object | None, event_id: str | None = None) -> bytes:
    """One SSE message; `json.dumps` escapes newlines, so `data` is one line."""
    head = f"id: {event_id}\n" if event_id else ""
    body = json.dumps(data, separators=(",", ":")) if data is not None else ""
    return f"{head}event: {kind}\ndata: {body}\n\n".encode()


@dataclass
class Operation:
    """One GraphQL request to run over SSE, its `Last-Event-ID` already applied."""

    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None
    allowed: frozenset[OperationType]


async def respond(view: AxonGraphQL, request: Request) -> Response:
    """The answer to a graphql-sse request; refusals raise as the view's other requests do."""
    state: AppState = request.app.state.axon
    token = stream_token(request)
    if request.method == "PUT":
        context = await _context(view, request)
        reserved = state.sse_reservations.reserve(_subject(context))
        return PlainTextResponse(reserved.token, status_code=201)
    if token is None:
        if request.method == "DELETE":
            raise NotFound("no event stream is reserved: DELETE needs the stream's token")
        return await _distinct(view, request)
    reservation = state.sse_reservations.find(token)
    if reservation is None:
        raise NotFound("no event stream is reserved for this token")
    context = await _context(view, request)
    # The stream may come from an EventSource, which cannot send credentials; requests that
    # run or stop operations must come from whoever reserved it.
    anonymous_stream = request.method == "GET" and context.principal is None
    if not anonymous_stream and _subject(context) != reservation.owner:
        raise NotFound("no event stream is reserved for this token")
    if request.method == "GET":
        return _open(state, reservation)
    if request.method == "DELETE":
        operation_id = request.query_params.get("operationId")
        if not operation_id:
            raise InvalidRequest("DELETE needs the operationId of the operation to stop")
        await stop_task(reservation.operations.pop(operation_id, None))
        return Response(status_code=200)
    return await _start(view, request, context, reservation)


def _subject(context: Context) -> str | None:
    return context.principal.subject if context.principal is not None else None


async def _context(view: AxonGraphQL, request: Request) -> Context:
    """The view's context; a credential that fails refuses the request (401, or 503)."""
    context = await view.get_context(request, Response())
    if context.auth_error is not None:
        raise context.auth_error
    return context


async def _operation(view: AxonGraphQL, request: Request, context: Context) -> Operation:
    """The request's operation: parsed and checked as the view does, persisted queries
    resolved, `Last-Event-ID` applied."""
    try:
        parsed = await view.parse_http_body(view.request_adapter_class(request))
    except json.JSONDecodeError as exc:
        raise HTTPException(400, "Unable to parse request body as JSON") from exc
    if isinstance(parsed, list):
        raise InvalidRequest("batched operations are not supported over SSE")
    schema = graphql_core_schema(view.schema)
    query = await context.state.persisted_queries.resolve(parsed.query, parsed.extensions, schema)
    if not query:
        raise InvalidRequest("No GraphQL query found in the request")
    variables = parsed.variables
    last_event_id = request.headers.get("last-event-id")
    if last_event_id:
        parse_event_id(last_event_id, field="Last-Event-ID")
        query, variables = resume_after(
            schema, query, variables, parsed.operation_name, last_event_id
        )
    return Operation(
        query=query,
        variables=variables,
        operation_name=parsed.operation_name,
        extensions=parsed.extensions,
        allowed=NO_MUTATION if request.method == "GET" else ALL_OPERATIONS,
    )


async def _run(
    view: AxonGraphQL,
    request: Request,
    context: Context,
    operation: Operation,
    emit: Emit,
    operation_id: str | None = None,
) -> None:
    """Execute `operation`, emitting a `next` per result and then `complete`."""

    def labelled(payload: object) -> object:
        return {"id": operation_id, "payload": payload} if operation_id is not None else payload

    tracker = event_ids.Tracker()
    with event_ids.tracking(tracker):
        try:
            results = await view.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                operation_name=operation.operation_name,
                operation_extensions=operation.extensions,
                allowed_operation_types=operation.allowed,
            )
            async with aclosing(results):
                async for result in results:
                    payload = await _payload(view, request, result)
                    await emit(event("next", labelled(payload), tracker.take()))
        except Exception:
            log.exception("SSE operation failed [request %s]", context.request_id)
            error = {
                "message": "internal server error",
                "extensions": {"code": "INTERNAL_ERROR", "status": 500},
            }
            await emit(event("next", labelled({"errors": [error]})))
    await emit(event("complete", {"id": operation_id} if operation_id is not None else None))


async def _payload(view: AxonGraphQL, request: Request, result: object) -> object:
    if isinstance(result, ExecutionResult):
        return await view.process_result(request, result)
    return getattr(result, "formatted", {})  # an incremental delivery frame


async def _distinct(view: AxonGraphQL, request: Request) -> Response:
    context = await _context(view, request)
    operation = await _operation(view, request, context)
    outbox: asyncio.Queue[bytes | None] = asyncio.Queue(DISTINCT_OUTBOX)
    running: list[asyncio.Task[None]] = []

    async def produce() -> None:
        await _run(view, request, context, operation, outbox.put)
        await outbox.put(None)

    def start() -> None:
        running.append(asyncio.create_task(produce(), name="axonql-sse-operation"))

    async def end() -> None:
        for task in running:
            await stop_task(task)

    return EventStream(outbox, context.settings.ws_keep_alive_seconds, end, start)


def _open(state: AppState, reservation: Reservation) -> Response:
    """The stream of a reservation: only one, ever; its end ends the reservation."""
    if reservation.connected:
        raise Conflict("this reservation's event stream is already open")
    state.sse_reservations.claim(reservation)

    async def end() -> None:
        await state.sse_reservations.close(reservation)

    return EventStream(reservation.outbox, state.settings.ws_keep_alive_seconds, end)


def _operation_id(extensions: dict[str, Any] | None) -> str:
    found = (extensions or {}).get("operationId")
    if not isinstance(found, str) or not found:
        raise InvalidRequest("the operation needs an id in extensions.operationId")
    if len(found) > MAX_OPERATION_ID or "\x00" in found or not safe_json.is_text(found):
        raise InvalidRequest(f"extensions.operationId must be text of at most {MAX_OPERATION_ID}")
    return found


async def _start(
    view: AxonGraphQL, request: Request, context: Context, reservation: Reservation
) -> Response:
    """Run an operation on a reserved stream: 202 once it runs (its results go there)."""
    operation = await _operation(view, request, context)
    operation_id = _operation_id(operation.extensions)
    if operation_id in reservation.operations:
        raise Conflict("an operation with this id is already running on this stream")
    limit = context.settings.max_subscriptions_per_socket
    if len(reservation.operations) >= limit:
        raise TooManySubscriptions(
            f"this stream already carries {limit} operations; complete one first",
            details={"max_subscriptions": limit},
        )
    task = asyncio.create_task(
        _run(view, request, context, operation, reservation.outbox.put, operation_id),
        name="axonql-sse-operation",
    )
    reservation.operations[operation_id] = task

    def forget(done: asyncio.Task[None]) -> None:
        if reservation.operations.get(operation_id) is done:
            del reservation.operations[operation_id]

    task.add_done_callback(forget)
    return Response(status_code=202)


class EventStream(Response):
    """An open `text/event-stream`: the outbox's frames, keep-alive comments between them.

    It ends after a `None` frame, or when the client goes; either way `end` runs, which
    stops what fed the outbox.
    """

    def __init__(
        self,
        outbox: asyncio.Queue[bytes | None],
        keep_alive: float,
        end: Callable[[], Awaitable[None]],
        start: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(status_code=200, media_type=EVENT_STREAM, headers=STREAM_HEADERS)
        # Sent in chunks until it ends: no `content-length` (Response gives an empty body 0).
        self.raw_headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        self.outbox = outbox
        self.keep_alive = keep_alive
        self.end = end
        self.start = start

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gone = asyncio.create_task(_disconnected(receive), name="axonql-sse-disconnect")
        try:
            if self.start is not None:
                self.start()
            await self._pump(send, gone)
        finally:
            gone.cancel()
            await self.end()

    async def _pump(self, send: Send, gone: asyncio.Task[None]) -> None:
        start = {"type": "http.response.start", "status": 200, "headers": self.raw_headers}
        await send(start)
        if not await _write(send, KEEP_ALIVE):  # flushes the headers for every client
            return
        while True:
            getter = asyncio.ensure_future(self.outbox.get())
            done, _ = await asyncio.wait(
                {getter, gone}, timeout=self.keep_alive, return_when=asyncio.FIRST_COMPLETED
            )
            if getter not in done:
                getter.cancel()
                if gone in done or not await _write(send, KEEP_ALIVE):
                    return
                continue
            frame = getter.result()
            if frame is None:
                break
            if gone.done() or not await _write(send, frame):
                return
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _write(send: Send, frame: bytes) -> bool:
    """False when the client is gone."""
    try:
        await send({"type": "http.response.body", "body": frame, "more_body": True})
    except OSError:
        return False
    return True


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
