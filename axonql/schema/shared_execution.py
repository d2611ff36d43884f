"""Executes each subscription event once per distinct operation, not once per subscriber.

graphql-core runs the whole selection set for every subscriber and every event. With 1,000
subscribers on the same stream that is 1,000 identical executions per event. The event objects
the streams yield are shared (see `schema.subscription`) and their fields read nothing from the
request context, so the result for (event, operation text, variables) is the same for everyone
who passed the subscription's scope check: compute it once, hand out the same result.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Awaitable
from typing import Any

from graphql import print_ast
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from axonql.schema import event_ids
from axonql.schema.direct_delivery import DirectStream
from axonql.schema.subscription import Event

_LIMIT = 4096
_results: OrderedDict[tuple[str, str], tuple[Event, Any]] = OrderedDict()


_keys: OrderedDict[tuple[int, int], tuple[Any, Any, str]] = OrderedDict()


def _operation_key(executor: Any) -> str:
    """Operation text + variables; remembered per subscription (its executor copies share both)."""
    operation, variables = executor.operation, executor.variable_values
    known = _keys.get((id(operation), id(variables)))
    if known is not None and known[0] is operation and known[1] is variables:
        return str(known[2])
    text = operation.loc.source.body if operation.loc is not None else print_ast(operation)
    key = f"{text}\x00{json.dumps(variables.coerced, sort_keys=True, default=str)}"
    _keys[(id(operation), id(variables))] = (operation, variables, key)
    if len(_keys) > _LIMIT:
        _keys.popitem(last=False)
    return key


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


class _AlreadyExecuted:
    """Stands in for a per-event executor when the event's result is already known.

    graphql-core copies the whole executor for every subscriber and event before executing;
    for a result that is already shared that copy is all the work left, so it is skipped.
    """

    __slots__ = ("result",)

    def __init__(self, result: Any) -> None:
        self.result = result

    def execute_operation(self, serially: bool | None = None) -> Any:
        return _handed_out(self.result)


class SharedEventExecution(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, memoising subscription events that are `Event`s."""

    def cancellable_iterable(self, iterable: Any) -> Any:
        """Where graphql-core takes a subscription's event stream: a direct one gets bound."""
        if isinstance(iterable, DirectStream):
            iterable.bind(self)
        return super().cancellable_iterable(iterable)

    def build_per_event_executor(self, payload: Any) -> Any:
        if isinstance(payload, Event):
            event_ids.note(str(payload.id))  # an SSE `next` is labelled with its event
            entry = _results.get((str(payload.id), _operation_key(self)))
            if entry is not None and entry[0] is payload:
                return _AlreadyExecuted(entry[1])
        return super().build_per_event_executor(payload)

    def execute_operation(self, serially: bool | None = None) -> Any:
        payload = self.root_value
        if not isinstance(payload, Event):
            return super().execute_operation(serially)
        key = (str(payload.id), _operation_key(self))
        entry = _results.get(key)
        if entry is None or entry[0] is not payload:
            result = super().execute_operation(serially)
            if self.is_awaitable(result):
                result = asyncio.ensure_future(result)
            entry = (payload, result)
            _results[key] = entry
            if len(_results) > _LIMIT:
                _results.popitem(last=False)
        return _handed_out(entry[1])
