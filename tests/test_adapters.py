"""Contract tests of `axonql/adapters`: the pinned versions, and the private names they use.

An upgrade of Strawberry, graphql-core or broadcaster that moves or changes one of these fails
here, by name, before the subscription suite fails in some roundabout way. The way out while
an adapter is brought up to date is `AXONQL_DIRECT_DELIVERY=false`.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import AsyncIterable, AsyncIterator
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from graphql import Executor, GraphQLSchema, build_schema, parse, subscribe
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from axonql import graphiql_assets
from axonql.adapters import broadcaster_redis, graphql_core_internals, strawberry_internals
from axonql.schema.root import build_schema as build_axonql_schema

PYPROJECT = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()


def params(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


@pytest.mark.parametrize(
    ("distribution", "adapter"),
    [
        ("strawberry-graphql", strawberry_internals),
        ("graphql-core", graphql_core_internals),
        ("broadcaster", broadcaster_redis),
    ],
)
def test_installed_version_is_the_pinned_one_the_adapter_names(
    distribution: str, adapter: Any
) -> None:
    pinned = re.search(rf'"{distribution}==([^"]+)"', PYPROJECT)
    assert pinned is not None, f"{distribution} is not pinned exactly in pyproject.toml"
    assert version(distribution) == pinned[1]
    assert f"{distribution}=={pinned[1]}" in (adapter.__doc__ or "")


# graphql-core


def test_graphql_core_executor_methods_the_event_seams_override() -> None:
    assert params(Executor.cancellable_iterable) == ["self", "iterable"]
    assert params(Executor.build_per_event_executor) == ["self", "payload"]
    assert params(Executor.execute_operation) == ["self", "serially"]
    assert issubclass(strawberry_internals.StrawberryExecutionContext, Executor)


class Recording(graphql_core_internals.EventExecutor):
    """Notes what graphql-core hands the seams."""

    opened: list[Any] = []
    payloads: list[Any] = []

    def stream_opened(self, stream: AsyncIterable[Any]) -> None:
        self.opened.append(stream)

    def event_result(self, payload: Any) -> Any:
        self.payloads.append(payload)
        return super().event_result(payload)


TICKS = build_schema("type Query { noop: Int } type Subscription { tick: Int }")


async def test_graphql_core_calls_the_event_seams_once_per_stream_and_event() -> None:
    async def ticks() -> AsyncIterator[dict[str, int]]:
        yield {"tick": 1}
        yield {"tick": 2}

    source = ticks()
    stream = subscribe(
        TICKS,
        parse("subscription { tick }"),
        root_value={"tick": lambda _info: source},
        executor_class=Recording,
    )
    if inspect.isawaitable(stream):
        stream = await stream
    assert isinstance(stream, AsyncIterator)
    results = [result.data async for result in stream]
    assert results == [{"tick": 1}, {"tick": 2}]
    assert Recording.opened == [source]
    assert Recording.payloads == [{"tick": 1}, {"tick": 2}]


# Strawberry


def test_strawberry_schema_exposes_its_graphql_core_schema() -> None:
    schema = build_axonql_schema()
    core = strawberry_internals.graphql_core_schema(schema)
    assert isinstance(core, GraphQLSchema)
    assert core.subscription_type is not None
    assert issubclass(
        schema.execution_context_class, strawberry_internals.StrawberryExecutionContext
    )
    assert strawberry_internals.StreamResult is not None


def test_strawberry_transport_ws_handler_internals() -> None:
    handler = BaseGraphQLTransportWSHandler[Any, None](
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,
        None,
        None,  # type: ignore[arg-type]
        timedelta(seconds=1),
    )
    assert handler.operations == {}
    assert params(BaseGraphQLTransportWSHandler.run_operation) == ["self", "operation"]
    assert params(BaseGraphQLTransportWSHandler.cleanup_operation) == ["self", "operation_id"]
    assert "self.run_operation(operation)" in inspect.getsource(
        BaseGraphQLTransportWSHandler.handle_subscribe
    )
    assert "cleanup_operation" in inspect.getsource(BaseGraphQLTransportWSHandler.shutdown)
    assert {"completed", "task"} <= set(Operation.__slots__)
    assert params(Operation.send_next) == ["self", "execution_result"]


def test_strawberry_legacy_ws_handler_internals() -> None:
    handler = BaseGraphQLWSHandler[Any, None](
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,
        None,
        None,  # type: ignore[arg-type]
        True,
        1.0,
    )
    assert handler.tasks == {} and handler.subscriptions == {}
    assert params(BaseGraphQLWSHandler.handle_async_results) == [
        "self",
        "operation_id",
        "query",
        "operation_name",
        "variables",
    ]
    assert params(BaseGraphQLWSHandler.send_data_message) == [
        "self",
        "execution_result",
        "operation_id",
    ]
    assert params(BaseGraphQLWSHandler.cleanup_operation) == ["self", "operation_id"]
    start = inspect.getsource(BaseGraphQLWSHandler.handle_start)
    assert "self.handle_async_results(" in start and "self.tasks[operation_id]" in start
    assert "cleanup_operation" in inspect.getsource(BaseGraphQLWSHandler.handle_stop)


def test_strawberry_graphiql_page_has_the_parts_we_replace() -> None:
    page = graphiql_assets.strawberry_page()
    assert len(graphiql_assets.EXAMPLE_QUERY.findall(page)) == 1
    assert graphiql_assets.page_assets(page)
    opened = graphiql_assets.page_opening_on("query Mine { `x` ${y} }", page)
    assert "const EXAMPLE_QUERY = `query Mine { \\`x\\` \\${y} }`;" in opened


# broadcaster


async def test_broadcaster_redis_backend_internals() -> None:
    upstream = broadcaster_redis.UpstreamRedisBackend
    assert upstream.__module__ == "broadcaster._backends.redis"
    assert params(upstream.subscribe) == ["self", "channel"]
    assert params(upstream.unsubscribe) == ["self", "channel"]
    assert inspect.iscoroutinefunction(upstream._pubsub_listener)
    assert params(upstream._pubsub_listener) == ["self"]
    backend = broadcaster_redis.RedisBackend("redis://127.0.0.1:1/0")  # nothing connects yet
    assert isinstance(backend._ready, asyncio.Event)
    assert callable(backend._pubsub.subscribe) and callable(backend._pubsub.aclose)
    listener = inspect.getsource(upstream._pubsub_listener)
    assert "self._ready" in listener and "self._pubsub" in listener
