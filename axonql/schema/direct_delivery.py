"""Delivers a subscription's events straight to its WebSocket, past the per-result pipeline.

Between a subscriber's event buffer and its socket, Strawberry passes every result through
about seven async-generator layers (graphql-core's event mapping, Strawberry's result handling
and extension hooks, the protocol handler's loop). At 1,000 subscribers that walk cost as much
CPU as writing the frames. An operation started by a GraphQL WebSocket protocol handler has a
*sink* (set by the handler for its operation's task, see `graphql_ws`); a subscription stream
opened in that task executes each event with the subscription's own executor (whose results
are shared, see `shared_execution`) and hands the result to the sink itself. With
`AXONQL_DIRECT_DELIVERY=false` no sink is set and every stream yields (Strawberry's own path).

To Strawberry such a stream is one long `__anext__` that ends when the subscription does, so
completion, errors raised by the stream (an expired token, a slow consumer) and cancellation
take their usual path. A stream consumed any other way (the REST/WebSocket bridges call
`schema.subscribe`) has no sink, or is never bound to an executor, and yields as before.
Per-result extension hooks (`on_stream_result`, `get_results`) do not run for delivered
results; AxonQL's extensions define none (`tests/test_direct_delivery.py` keeps it so).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

from starlette.websockets import WebSocketDisconnect
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.types import ExecutionResult

from axonql.adapters.graphql_core_internals import EventExecutor
from axonql.schema.errors import coded_errors

# What a send to a socket that is gone raises (uvicorn's ClientDisconnected is an OSError;
# Starlette raises RuntimeError once a close was sent).
_GONE = (WebSocketDisconnect, WebSocketDisconnected, OSError, RuntimeError)


class Sink(Protocol):
    """Where one operation's results go: a `next` (or legacy `data`) message on its socket."""

    async def deliver(self, result: ExecutionResult) -> None: ...


_current: ContextVar[Sink | None] = ContextVar("axonql_operation_sink", default=None)


@contextmanager
def delivering_to(sink: Sink) -> Iterator[None]:
    """Subscriptions opened inside this block (in this task) deliver to `sink`."""
    token = _current.set(sink)
    try:
        yield
    finally:
        _current.reset(token)


def current_sink() -> Sink | None:
    return _current.get()


class DirectStream:
    """An event source that, once bound to its executor, delivers its results to a sink.

    Unbound (nobody executes it with a GraphQL executor), it is the plain source.
    """

    def __init__(self, source: AsyncIterator[Any], sink: Sink) -> None:
        self.source = source
        self.sink = sink
        self.executor: EventExecutor | None = None

    def bind(self, executor: EventExecutor) -> None:
        """Called by the executor that maps this stream's events to results."""
        self.executor = executor

    def __aiter__(self) -> DirectStream:
        return self

    async def __anext__(self) -> Any:
        if self.executor is None:
            return await self.source.__anext__()
        await self._deliver_all()
        raise StopAsyncIteration

    async def aclose(self) -> None:
        aclose = getattr(self.source, "aclose", None)
        if aclose is not None:
            await aclose()

    async def _deliver_all(self) -> None:
        executor = self.executor
        assert executor is not None
        context = executor.context_value
        async for payload in self.source:
            result = executor.event_result(payload)
            if executor.is_awaitable(result):
                result = await result
            errors = coded_errors(result.errors, context) if result.errors else None
            try:
                await self.sink.deliver(ExecutionResult(data=result.data, errors=errors))
            except _GONE:
                # The client is gone: end quietly; the protocol handler's own next send (the
                # `complete`) meets the same closed socket and ends the connection as usual.
                return
