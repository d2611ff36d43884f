"""Executes each subscription event once per distinct operation, not once per subscriber.

graphql-core runs the whole selection set for every subscriber and every event. With 1,000
subscribers on the same stream that is 1,000 identical executions per event. The event objects
the streams yield are shared (see `schema.subscription`) and their fields read nothing from the
request context, so the result for (event, operation text, variables) is the same for everyone
who passed the subscription's scope check: compute it once, hand out the same result.

The results are remembered per schema (`SharedEventExecution.for_one_schema`); the seams into
graphql-core are `adapters.graphql_core_internals`. Off with `AXONQL_DIRECT_DELIVERY=false`.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncIterable, Awaitable
from typing import Any, ClassVar

from graphql import print_ast

from axonql.adapters.graphql_core_internals import EventExecutor
from axonql.schema.direct_delivery import DirectStream
from axonql.schema.subscription import Event

_LIMIT = 4096


class SharedResults:
    """One schema's event results, keyed by (event id, operation key), the newest `limit`."""

    def __init__(self, limit: int = _LIMIT) -> None:
        self.limit = limit
        self.results: OrderedDict[tuple[str, str], tuple[Event, Any]] = OrderedDict()
        self.keys: OrderedDict[tuple[int, int], tuple[Any, Any, str]] = OrderedDict()

    def operation_key(self, operation: Any, variables: Any) -> str:
        """Operation text + variables; remembered per subscription (its events share both)."""
        known = self.keys.get((id(operation), id(variables)))
        if known is not None and known[0] is operation and known[1] is variables:
            return str(known[2])
        text = operation.loc.source.body if operation.loc is not None else print_ast(operation)
        key = f"{text}\x00{json.dumps(variables.coerced, sort_keys=True, default=str)}"
        self.keys[(id(operation), id(variables))] = (operation, variables, key)
        if len(self.keys) > self.limit:
            self.keys.popitem(last=False)
        return key

    def remember(self, key: tuple[str, str], event: Event, result: Any) -> None:
        self.results[key] = (event, result)
        if len(self.results) > self.limit:
            self.results.popitem(last=False)


async def _shared(result: asyncio.Future[Any]) -> Any:
    return await asyncio.shield(result)


def _handed_out(shared: Any) -> Any:
    """A finished result as is; one still running as an awaitable every subscriber can await."""
    if isinstance(shared, asyncio.Future):
        if shared.done() and not shared.cancelled() and shared.exception() is None:
            return shared.result()
        awaiting: Awaitable[Any] = _shared(shared)
        return awaiting
    return shared


class SharedEventExecution(EventExecutor):
    """Strawberry's execution context, sharing the results of subscription `Event`s."""

    shared: ClassVar[SharedResults]  # set for each schema by `for_one_schema`

    @classmethod
    def for_one_schema(cls) -> type[SharedEventExecution]:
        """This class with results of its own, for one schema's `execution_context_class`."""
        return type(cls.__name__, (cls,), {"shared": SharedResults()})

    def stream_opened(self, stream: AsyncIterable[Any]) -> None:
        """A direct stream gets bound to the executor that maps its events to results."""
        if isinstance(stream, DirectStream):
            stream.bind(self)

    def event_result(self, payload: Any) -> Any:
        if not isinstance(payload, Event):
            return self.execute_event(payload)
        shared = self.shared
        key = (str(payload.id), shared.operation_key(self.operation, self.variable_values))
        entry = shared.results.get(key)
        if entry is None or entry[0] is not payload:
            result = self.execute_event(payload)
            if self.is_awaitable(result):
                result = asyncio.ensure_future(result)
            shared.remember(key, payload, result)
            return _handed_out(result)
        return _handed_out(entry[1])
