"""`Last-Event-ID` as a subscription's `after`: where a reconnecting SSE client resumes.

Every `next` of an event stream carries its AxonQL event id (`id:`), so an SSE client that
reconnects sends the last one it received as `Last-Event-ID`; AxonQL's streams resume with
`after: <event id>`. The header applies to the operation of the request that carries it
(the POST or GET of distinct connections mode, the POST of single connection mode): every
root field of a subscription that takes `after` gets the header's value, through the variable
its `after` argument names, or as a literal where it has none or a literal. The header wins
over the request's own `after` (the client has seen everything up to it). Queries and
mutations ignore it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from graphql import GraphQLError, GraphQLSchema, OperationType, get_operation_ast, parse, print_ast
from graphql.language import (
    ArgumentNode,
    FieldNode,
    NameNode,
    SelectionNode,
    StringValueNode,
    VariableNode,
)

AFTER = "after"


def resume_after(
    schema: GraphQLSchema,
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    last_event_id: str,
) -> tuple[str, dict[str, Any] | None]:
    """The query and variables with every root `after` set to `last_event_id`."""
    try:
        document = parse(query)
    except GraphQLError:
        return query, variables  # the stream reports the syntax error
    operation = get_operation_ast(document, operation_name)
    root = schema.subscription_type
    if operation is None or operation.operation != OperationType.SUBSCRIPTION or root is None:
        return query, variables
    values = dict(variables or {})
    selections: list[SelectionNode] = []
    changed = False
    for node in operation.selection_set.selections:
        definition = root.fields.get(node.name.value) if isinstance(node, FieldNode) else None
        if not isinstance(node, FieldNode) or definition is None or AFTER not in definition.args:
            selections.append(node)
            continue
        arguments = list(node.arguments or ())
        at = next((i for i, a in enumerate(arguments) if a.name.value == AFTER), None)
        given = arguments[at].value if at is not None else None
        if isinstance(given, VariableNode):
            values[given.name.value] = last_event_id
            selections.append(node)
            continue
        literal = ArgumentNode(
            name=NameNode(value=AFTER), value=StringValueNode(value=last_event_id)
        )
        if at is None:
            arguments.append(literal)
        else:
            arguments[at] = literal
        selections.append(replace(node, arguments=tuple(arguments)))
        changed = True
    if not changed:
        return query, values
    selection_set = replace(operation.selection_set, selections=tuple(selections))
    rewritten = replace(operation, selection_set=selection_set)
    definitions = tuple(rewritten if d is operation else d for d in document.definitions)
    return print_ast(replace(document, definitions=definitions)), values
