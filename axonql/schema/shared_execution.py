"""Executes each subscription event once per distinct operation and audience, not once per
subscriber.

graphql-core runs the whole selection set for every subscriber and every event. With 1,000
subscribers on the same stream that is 1,000 identical executions per event. The event objects
the streams yield are shared (see `schema.subscription`), so the result for (event, operation
text, variables) is the same for everyone who passed the subscription's scope check, unless a
field selected reads the caller. The operation's *audience* says who may share a result:
- everyone, when no field selected reads the caller;
- callers with the same scopes, when one depends on scopes (`field(reads_caller="scopes")`,
  or a nested field guarded by a permission), as `Event.task` does;
- one principal, for `field(reads_caller="identity")`;
- nobody else, for any other resolver that takes `info` (it might read anything of the
  request), so a field added without saying what it reads is never shared by mistake.

The results are remembered per schema (`SharedEventExecution.for_one_schema`); the seams into
graphql-core are `adapters.graphql_core_internals`. Off with `AXONQL_DIRECT_DELIVERY=false`.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import AsyncIterable, Awaitable
from typing import Any, ClassVar

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    print_ast,
)
from strawberry.permission import PermissionExtension

from axonql.adapters.graphql_core_internals import EventExecutor
from axonql.schema.direct_delivery import DirectStream
from axonql.schema.permissions import READS_CALLER
from axonql.schema.subscription import Event

_LIMIT = 4096

EVERYONE, SCOPES, IDENTITY, CONTEXT = 0, 1, 2, 3
"""Audiences, narrowest last: what of the caller an operation's result may depend on."""
_LEVELS = {None: EVERYONE, "scopes": SCOPES, "identity": IDENTITY}
_DEFINITION = "strawberry-definition"  # where Strawberry keeps a field's definition


def _field_audience(graphql_field: Any) -> int:
    definition = graphql_field.extensions.get(_DEFINITION)
    if definition is None:
        return EVERYONE
    if READS_CALLER in definition.metadata:
        return _LEVELS.get(definition.metadata[READS_CALLER], CONTEXT)
    if any(isinstance(ext, PermissionExtension) for ext in definition.extensions):
        return SCOPES
    resolver = definition.base_resolver
    if resolver is not None and resolver.info_parameter is not None:
        return CONTEXT
    return EVERYONE


def audience(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
) -> int:
    """Who may share a result of `operation` (the subscription's own root field excepted:
    its scope was checked when each caller subscribed)."""
    root = schema.subscription_type
    widest = EVERYONE
    if root is None:
        return widest

    def visit(parent: GraphQLNamedType | None, selections: SelectionSetNode, depth: int) -> None:
        nonlocal widest
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                fields = getattr(parent, "fields", None) or {}
                found = fields.get(selection.name.value)
                if found is None:
                    continue  # __typename, or not valid (validation reports it)
                if depth > 0:
                    widest = max(widest, _field_audience(found))
                if selection.selection_set is not None:
                    visit(get_named_type(found.type), selection.selection_set, depth + 1)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = schema.get_type(condition.name.value) if condition else parent
                visit(target, selection.selection_set, depth)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    target = schema.get_type(fragment.type_condition.name.value)
                    visit(target, fragment.selection_set, depth)

    visit(root, operation.selection_set, 0)
    return widest


class SharedResults:
    """One schema's event results, keyed by (event id, operation key), the newest `limit`."""

    def __init__(self, limit: int = _LIMIT) -> None:
        self.limit = limit
        self.results: OrderedDict[tuple[str, str], tuple[Event, Any]] = OrderedDict()
        self.keys: OrderedDict[tuple[int, int], tuple[Any, Any, str, int]] = OrderedDict()

    def operation_key(self, executor: Any) -> tuple[str, int]:
        """Operation text + variables, and the operation's audience; remembered per
        subscription (its events share all three)."""
        operation, variables = executor.operation, executor.variable_values
        known = self.keys.get((id(operation), id(variables)))
        if known is not None and known[0] is operation and known[1] is variables:
            return str(known[2]), known[3]
        text = operation.loc.source.body if operation.loc is not None else print_ast(operation)
        key = f"{text}\x00{json.dumps(variables.coerced, sort_keys=True, default=str)}"
        reach = audience(executor.schema, operation, executor.fragments)
        self.keys[(id(operation), id(variables))] = (operation, variables, key, reach)
        if len(self.keys) > self.limit:
            self.keys.popitem(last=False)
        return key, reach

    def remember(self, key: tuple[str, str], event: Event, result: Any) -> None:
        self.results[key] = (event, result)
        if len(self.results) > self.limit:
            self.results.popitem(last=False)


def _caller(executor: Any, reach: int) -> str:
    """The part of the key that separates callers who may not share (see `audience`)."""
    if reach == EVERYONE:
        return ""
    if reach == CONTEXT:
        return f"\x00context:{id(executor.context_value)}"
    principal = getattr(executor.context_value, "principal", None)
    scopes = ",".join(sorted(principal.scopes)) if principal is not None else "-"
    if reach == SCOPES:
        return f"\x00scopes:{scopes}"
    who = f"{principal.kind}:{principal.subject}" if principal is not None else "-"
    return f"\x00identity:{who}:{scopes}"


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
        subscription_key = self.__dict__.get("_subscription_key")
        if subscription_key is None:  # once per subscription: its operation and caller stay
            operation, reach = shared.operation_key(self)
            subscription_key = self.__dict__["_subscription_key"] = operation + _caller(self, reach)
        key = (str(payload.id), subscription_key)
        entry = shared.results.get(key)
        if entry is None or entry[0] is not payload:
            result = self.execute_event(payload)
            if self.is_awaitable(result):
                result = asyncio.ensure_future(result)
            shared.remember(key, payload, result)
            return _handed_out(result)
        return _handed_out(entry[1])
