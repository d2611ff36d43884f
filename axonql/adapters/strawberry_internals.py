"""Strawberry's unexported and undocumented names AxonQL builds on, behind one seam.

Written against strawberry-graphql==0.341.2 (pinned). Private names used:
- `strawberry.schema.schema.StrawberryGraphQLCoreExecutionContext`, the executor class
  Strawberry uses by default (not exported): base of the shared event execution;
- `strawberry.schema.schema.StreamResult`, the type of `Schema.stream`'s result (not exported);
- `Schema._schema`, the graphql-core schema Strawberry builds;
- the WebSocket protocol handlers' undocumented internals: graphql-transport-ws's
  `run_operation`, `cleanup_operation`, `operations` and `Operation.send_next`/`completed`/
  `task`; graphql-ws's `handle_async_results`, `cleanup_operation`, `send_data_message`,
  `tasks` and `subscriptions`.
The handler bases below turn those into three named seams (`operation_ids`, `operation_scope`,
`stop_operation_task`). Contract test: `tests/test_adapters.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from typing import Any, TypeVar, cast

from graphql import GraphQLSchema
from strawberry import Schema
from strawberry.schema.base import BaseSchema
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, StreamResult
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types import ExecutionResult

ContextT = TypeVar("ContextT")
RootValueT = TypeVar("RootValueT")

Send = Callable[[ExecutionResult], Awaitable[None]]
"""Strawberry's own way of sending one result of an operation (formats errors)."""

StrawberryExecutionContext = StrawberryGraphQLCoreExecutionContext


def graphql_core_schema(schema: BaseSchema) -> GraphQLSchema:
    """The graphql-core schema a Strawberry schema was built into."""
    return cast(Schema, schema)._schema


def _never() -> bool:
    return False


class _OperationSeams:
    """The seams both handlers offer, with Strawberry's own behaviour as the default."""

    def operation_scope(
        self, operation_id: str, send: Send, completed: Callable[[], bool]
    ) -> AbstractContextManager[None]:
        """Entered around one operation's whole run, in its task (default: nothing)."""
        return nullcontext()

    async def stop_operation_task(self, task: asyncio.Task[Any] | None) -> None:
        """Ends an operation's task (Strawberry: cancel it once, without waiting)."""
        if task is not None:
            task.cancel()


class TransportWSHandlerBase(_OperationSeams, BaseGraphQLTransportWSHandler[ContextT, RootValueT]):
    """Strawberry's graphql-transport-ws handler with named seams."""

    def operation_ids(self) -> Collection[str]:
        """The ids of the operations this connection holds."""
        return self.operations.keys()

    async def run_operation(self, operation: Operation[ContextT, RootValueT]) -> None:
        scope = self.operation_scope(operation.id, operation.send_next, lambda: operation.completed)
        with scope:
            await super().run_operation(operation)

    async def cleanup_operation(self, operation_id: str) -> None:
        operation = self.operations.pop(operation_id, None)
        if operation is None or operation.task is None:
            return
        await self.stop_operation_task(operation.task)


class LegacyWSHandlerBase(_OperationSeams, BaseGraphQLWSHandler[ContextT, RootValueT]):
    """Strawberry's graphql-ws handler with the same seams."""

    def operation_ids(self) -> Collection[str]:
        return self.tasks.keys()

    async def handle_async_results(
        self,
        operation_id: str,
        query: str,
        operation_name: str | None,
        variables: dict[str, object] | None,
    ) -> None:
        send = partial(self.send_data_message, operation_id=operation_id)
        with self.operation_scope(operation_id, send, _never):
            await super().handle_async_results(operation_id, query, operation_name, variables)

    async def cleanup_operation(self, operation_id: str) -> None:
        self.subscriptions.pop(operation_id, None)
        await self.stop_operation_task(self.tasks.pop(operation_id, None))


__all__ = [
    "LegacyWSHandlerBase",
    "Send",
    "StrawberryExecutionContext",
    "StreamResult",
    "TransportWSHandlerBase",
    "graphql_core_schema",
]
