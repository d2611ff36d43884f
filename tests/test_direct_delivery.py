"""Subscriptions over the GraphQL WebSocket protocols write their results to the socket directly.

The end-to-end behaviour (both protocols, filters, resume, slow consumers, token expiry) is
covered by the other subscription tests, which run through this path; these show that the path
is taken, and what the stream does on its own: results with errors keep their codes, a gone
client ends the stream quietly, and a stream nobody binds simply yields.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from graphql import build_schema, parse
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from axonql.schema.direct_delivery import DirectStream, current_sink, delivering_to
from axonql.schema.root import build_schema as build_axonql_schema
from axonql.schema.shared_execution import SharedEventExecution
from axonql.services.events import emit
from tests.support import RunningServer
from tests.test_subscriptions import wait_for_subscribers
from tests.ws_client import LEGACY_WS, TRANSPORT_WS, RawSubscription


class Collected:
    """A sink that keeps what it is given (stands in for a socket in the unit tests)."""

    def __init__(self, fail_with: BaseException | None = None) -> None:
        self.results: list[ExecutionResult] = []
        self.fail_with = fail_with

    async def deliver(self, result: ExecutionResult) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.results.append(result)


async def _events(*payloads: Any) -> AsyncIterator[Any]:
    for payload in payloads:
        yield payload


TICKS = build_schema("type Query { noop: Int } type Subscription { tick: Int }")


def _bound(stream: DirectStream) -> DirectStream:
    """Bound to a real graphql-core executor for `subscription { tick }`."""
    executor = SharedEventExecution.for_one_schema().build(TICKS, parse("subscription { tick }"))
    assert isinstance(executor, SharedEventExecution)
    executor.stream_opened(stream)  # as graphql-core does when it takes the stream
    return stream


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_websocket_subscriptions_take_the_direct_path(
    server: RunningServer, admin_token: str, protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bound: list[DirectStream] = []
    original = DirectStream.bind

    def spy(stream: DirectStream, executor: Any) -> None:
        bound.append(stream)
        original(stream, executor)

    monkeypatch.setattr(DirectStream, "bind", spy)
    query = "subscription { logEntries { id payload } }"
    url = f"{server.ws_url}/graphql"
    client = await RawSubscription.open(url, admin_token, query, protocol=protocol)
    try:
        await wait_for_subscribers(server, 1)
        emitted = [await emit("LOG_ENTRY", {"level": "info", "n": n}) for n in range(3)]
        received = [(await client.next_data())["logEntries"] for _ in emitted]
    finally:
        await client.close()
    assert [r["id"] for r in received] == [e.id for e in emitted]
    assert [r["payload"]["n"] for r in received] == [0, 1, 2]
    assert len(bound) == 1


async def test_results_reach_the_sink_in_order_and_never_come_out_of_the_stream() -> None:
    sink = Collected()
    stream = _bound(DirectStream(_events({"tick": 1}, {"tick": 2}), sink))
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
    assert [r.data for r in sink.results] == [{"tick": 1}, {"tick": 2}]
    assert all(r.errors is None for r in sink.results)


async def test_a_failed_event_is_delivered_with_coded_errors() -> None:
    def boom(info: Any) -> int:
        raise ValueError("no tick")

    sink = Collected()
    stream = _bound(DirectStream(_events({"tick": boom}, {"tick": 3}), sink))
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()
    failed, fine = sink.results
    assert failed.data == {"tick": None}
    assert failed.errors is not None
    coded = failed.errors[0].extensions
    assert coded == {"code": "INTERNAL_ERROR", "status": 500, "request_id": ""}
    assert fine.data == {"tick": 3}


@pytest.mark.parametrize("gone", [OSError("reset"), RuntimeError("close sent")])
async def test_a_gone_client_ends_the_stream_quietly(gone: BaseException) -> None:
    stream = _bound(DirectStream(_events({"tick": 1}, {"tick": 2}), Collected(fail_with=gone)))
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


async def test_a_bug_in_delivery_is_not_swallowed() -> None:
    stream = _bound(DirectStream(_events({"tick": 1}), Collected(fail_with=TypeError("bug"))))
    with pytest.raises(TypeError):
        await stream.__anext__()


async def test_an_unbound_stream_yields_its_source() -> None:
    sink = Collected()
    stream = DirectStream(_events("a", "b"), sink)
    assert [item async for item in stream] == ["a", "b"]
    assert sink.results == []


async def test_the_sink_belongs_to_the_operation_task_that_set_it() -> None:
    """Each operation runs in its own task: another one never sees this one's sink."""
    entered = asyncio.Event()
    seen: list[object] = []

    async def another_operation() -> None:
        await entered.wait()
        seen.append(current_sink())

    other = asyncio.create_task(another_operation())
    sink = Collected()
    with delivering_to(sink):
        assert current_sink() is sink
        entered.set()
        await other
    assert seen == [None]
    assert current_sink() is None


def test_schema_extensions_have_no_per_result_hooks() -> None:
    """Directly delivered results skip `on_stream_result` and `get_results`: keep none."""
    schema = build_axonql_schema()
    for extension in schema.extensions:
        kind = extension if isinstance(extension, type) else type(extension)
        for hook in ("on_stream_result", "get_results"):
            assert getattr(kind, hook) is getattr(SchemaExtension, hook), (kind, hook)


def test_the_switch_turns_shared_execution_off_and_each_schema_shares_its_own() -> None:
    fast, other = build_axonql_schema(), build_axonql_schema()
    standard = build_axonql_schema(direct_delivery=False)
    fast_class, other_class = fast.execution_context_class, other.execution_context_class
    assert issubclass(fast_class, SharedEventExecution)
    assert issubclass(other_class, SharedEventExecution)
    assert not issubclass(standard.execution_context_class, SharedEventExecution)
    assert vars(fast_class)["shared"] is not vars(other_class)["shared"]
