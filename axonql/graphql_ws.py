"""Strawberry's GraphQL WebSocket protocol handlers, hardened, with a delivery sink per operation.

In both modes: hostile JSON is refused, a connection's operations are capped, and a stopped
operation's task is stopped for certain (PyMongo can absorb one cancellation).

With direct delivery on (`AXONQL_DIRECT_DELIVERY`, the default) each operation gets a sink: a
subscription stream writes its results to the operation's socket itself instead of yielding
them up Strawberry's per-result pipeline (`schema.direct_delivery`). The messages are the
protocols' own: `next` (graphql-transport-ws) and `data` (graphql-ws). A result with only
`data` (every event result but a failed one) is written as one text frame whose payload was
encoded once for all its subscribers (`subscriptions.frames`); a result with errors takes
Strawberry's own message path. With it off, every result takes Strawberry's path.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, cast

from starlette.websockets import WebSocket
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    Message,
    SubscribeMessage,
)
from strawberry.subscriptions.protocols.graphql_ws.types import (
    ConnectionInitMessage,
    OperationMessage,
    StartMessage,
)
from strawberry.types import ExecutionResult

from axonql.adapters.strawberry_internals import (
    LegacyWSHandlerBase,
    Send,
    TransportWSHandlerBase,
    graphql_core_schema,
)
from axonql.errors import AxonError, InvalidRequest, TooManySubscriptions, ValidationError
from axonql.schema.context import Context
from axonql.schema.direct_delivery import delivering_to
from axonql.services import safe_json
from axonql.stopping import stop_task
from axonql.subscriptions.frames import EncodedPayloads

TOO_MANY_INITIALISATIONS = 4429  # graphql-transport-ws's close code, used for graphql-ws too
BAD_MESSAGE = 4400
OPERATION_TYPES = ("subscribe", "start")


def refusal(message: object, max_depth: int) -> AxonError | None:
    """Why a protocol message carries hostile JSON (lone surrogates, NUL keys, too deep).

    An operation's payload is checked as an HTTP request is, its variables named from the
    variable; anything else from the message's top level.
    """
    try:
        if (
            isinstance(message, dict)
            and message.get("type") in OPERATION_TYPES
            and isinstance(message.get("payload"), dict)
        ):
            safe_json.check_operation(message["payload"], max_depth)
            rest = {k: v for k, v in message.items() if k != "payload"}
            safe_json.check("", rest, max_depth=max_depth)
        else:
            safe_json.check("", message, max_depth=max_depth)
    except (ValidationError, InvalidRequest) as exc:
        return exc
    return None


def formatted(error: AxonError) -> dict[str, Any]:
    """An error as a GraphQL error object: message and `extensions.code`/`status`/`field`."""
    return {"message": error.message, "extensions": error.extensions()}


def close_reason(text: str) -> str:
    """A close reason fits in 123 bytes of UTF-8 (the WebSocket protocol's limit)."""
    return text.encode("ascii", "backslashreplace")[:120].decode("ascii")


def too_many(limit: int) -> TooManySubscriptions:
    return TooManySubscriptions(
        f"this connection already holds {limit} operations; complete one first",
        details={"max_subscriptions": limit},
    )


def _operation_id(message: object) -> str | None:
    """The id of an operation message, when it can be echoed (a short, valid string)."""
    if not isinstance(message, dict) or message.get("type") not in OPERATION_TYPES:
        return None
    found = message.get("id")
    if not isinstance(found, str) or len(found) > 200 or "\x00" in found:
        return None
    return found if safe_json.is_text(found) else None


Handler = TransportWSHandlerBase[Context, None] | LegacyWSHandlerBase[Context, None]


async def refused_start(handler: Handler, operation_id: str, payload: object) -> AxonError | None:
    """Why a new operation may not start: over the connection's cap, or a persisted query
    refused; None lets Strawberry start it (and make its own refusals)."""
    limit = handler.max_subscriptions_per_connection
    ids = handler.operation_ids()
    if (
        limit is not None
        and handler.connection_acknowledged
        and operation_id not in ids
        and len(ids) >= limit
    ):
        return too_many(limit)
    return await persisted(handler, payload)


async def persisted(handler: Handler, payload: object) -> AxonError | None:
    """Trusted documents and APQ hashes hold over a socket as over HTTP: the operation's
    query becomes the document its hash names, or the operation is refused."""
    if not isinstance(payload, dict) or not handler.connection_acknowledged:
        return None  # Strawberry's own refusals
    queries = handler.context.state.persisted_queries
    try:
        query = await queries.resolve(
            payload.get("query"), payload.get("extensions"), graphql_core_schema(handler.schema)
        )
    except AxonError as exc:
        return exc
    if query is not None:
        payload["query"] = query
    return None


def _max_depth(view: object) -> int:
    return int(getattr(view, "max_json_depth", safe_json.DEFAULT_MAX_DEPTH))


class _Frames:
    """One operation's results as `kind` messages on its socket; `send` for anything else."""

    __slots__ = ("closed", "frames", "kind", "operation_id", "send", "socket")

    def __init__(
        self,
        socket: WebSocket,
        frames: EncodedPayloads,
        kind: str,
        operation_id: str,
        send: Send,
        closed: Callable[[], bool],
    ) -> None:
        self.socket = socket
        self.frames = frames
        self.kind = kind
        self.operation_id = operation_id
        self.send = send  # Strawberry's own message path: formats errors, honours completion
        self.closed = closed

    async def deliver(self, result: ExecutionResult) -> None:
        data = result.data
        if data is None or result.errors or self.closed():
            await self.send(result)
        else:
            await self.socket.send_text(self.frames.frame(self.kind, self.operation_id, data))


def _socket(context: Context) -> WebSocket:
    socket = context.request
    assert isinstance(socket, WebSocket), "a WebSocket protocol handler serves a WebSocket"
    return socket


def _delivery(
    context: Context, kind: str, operation_id: str, send: Send, completed: Callable[[], bool]
) -> AbstractContextManager[None]:
    """The operation's sink when direct delivery is on; nothing (Strawberry's path) when off."""
    if not context.state.settings.direct_delivery:
        return nullcontext()
    frames = context.state.realtime.frames
    return delivering_to(_Frames(_socket(context), frames, kind, operation_id, send, completed))


class TransportWSHandler(TransportWSHandlerBase[Context, None]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stopping: set[asyncio.Task[None]] = set()  # tasks stopping operations' tasks

    async def stop_operation_task(self, task: asyncio.Task[Any] | None) -> None:
        """Stop the operation's task without blocking the socket's reader (as Strawberry
        does), but until it has ended; `shutdown` waits for each task in turn."""
        chore = asyncio.create_task(stop_task(task))
        self._stopping.add(chore)
        chore.add_done_callback(self._stopping.discard)

    def operation_scope(
        self, operation_id: str, send: Send, completed: Callable[[], bool]
    ) -> AbstractContextManager[None]:
        # nothing is sent after `complete`
        return _delivery(self.context, "next", operation_id, send, completed)

    async def handle_message(self, message: Message) -> None:
        """Hostile JSON refused: an `error` for a subscribe's id, else closed 4400."""
        if not isinstance(message, dict):
            await self.handle_invalid_message("messages must be JSON objects")
            return
        refused = refusal(message, _max_depth(self.view))
        if refused is None:
            await super().handle_message(message)
            return
        operation_id = _operation_id(message)
        if (
            operation_id is None
            or not self.connection_acknowledged
            or operation_id in self.operation_ids()
        ):
            await self.handle_invalid_message(close_reason(refused.message))
            return
        await self.send_message(
            cast(Message, {"id": operation_id, "type": "error", "payload": [formatted(refused)]})
        )

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """Over the cap, an `error` with code TOO_MANY_SUBSCRIPTIONS for that operation."""
        refused = await refused_start(self, message["id"], message.get("payload"))
        if refused is not None:
            error = {"id": message["id"], "type": "error", "payload": [formatted(refused)]}
            await self.send_message(cast(Message, error))
            return
        await super().handle_subscribe(message)


class LegacyWSHandler(LegacyWSHandlerBase[Context, None]):
    async def handle_message(self, message: OperationMessage) -> None:
        """Hostile JSON refused: an `error` for a start's id, `connection_error` otherwise."""
        if not isinstance(message, dict):
            await self.send_message(
                cast(
                    OperationMessage,
                    {"type": "error", "payload": {"message": "messages must be JSON objects"}},
                )
            )
            return
        refused = refusal(message, _max_depth(self.view))
        if refused is None:
            await super().handle_message(message)
            return
        operation_id = _operation_id(message)
        if operation_id is not None and self.connection_acknowledged:
            error = {"type": "error", "id": operation_id, "payload": formatted(refused)}
            await self.send_message(cast(OperationMessage, error))
            return
        if message.get("type") == "connection_init":
            await self.send_message(
                cast(OperationMessage, {"type": "connection_error", "payload": formatted(refused)})
            )
            await self.websocket.close(code=BAD_MESSAGE, reason=close_reason(refused.message))
            return
        await self.send_message(
            cast(OperationMessage, {"type": "error", "payload": formatted(refused)})
        )

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        """One `connection_init` per socket: another is refused and closes it (4429), as
        graphql-transport-ws does; acknowledging each would start a keep-alive task each."""
        if self.connection_acknowledged:
            refused = AxonError(
                "connection_init was already received on this connection",
                code="TOO_MANY_INITIALISATIONS",
            )
            refused.status = 429
            await self.send_message(
                cast(OperationMessage, {"type": "connection_error", "payload": formatted(refused)})
            )
            await self.websocket.close(
                code=TOO_MANY_INITIALISATIONS, reason="Too many initialisation requests"
            )
            return
        await super().handle_connection_init(message)

    async def stop_operation_task(self, task: asyncio.Task[Any] | None) -> None:
        """Stop the operation's task until it has ended (Strawberry cancels once)."""
        await stop_task(task)

    def operation_scope(
        self, operation_id: str, send: Send, completed: Callable[[], bool]
    ) -> AbstractContextManager[None]:
        return _delivery(self.context, "data", operation_id, send, completed)

    async def handle_start(self, message: StartMessage) -> None:
        """Over the cap, an `error` with code TOO_MANY_SUBSCRIPTIONS for that operation."""
        operation_id = message["id"]
        refused = await refused_start(self, operation_id, message.get("payload"))
        if refused is not None:
            error = {"type": "error", "id": operation_id, "payload": formatted(refused)}
            await self.send_message(cast(OperationMessage, error))
            return
        await super().handle_start(message)
