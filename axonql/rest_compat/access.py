"""Permission first: the scopes a route's operation needs, checked before its input is read.

A caller without the scope gets 401/403 even when its body is malformed or names nothing
stored, so validation and existence answers never leak to someone who may not ask.
"""

from __future__ import annotations

from collections.abc import Iterable

import strawberry
from graphql import FieldNode, OperationDefinitionNode, parse

from axonql.errors import AuthenticationFailed, AuthorizationDenied, AxonError
from axonql.schema.permissions import PUBLIC, Requires
from axonql.services.auth import Principal

_ROOT_TYPES = {"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}


def required_scopes(
    schema: strawberry.Schema, operation: str, optional: Iterable[str] = ()
) -> frozenset[str]:
    """Scopes the root fields of `operation` declare (fields the route may drop excepted)."""
    skip = set(optional)
    needed: set[str] = set()
    for definition in parse(operation).definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        type_name = _ROOT_TYPES[definition.operation.value]
        for selection in definition.selection_set.selections:
            if not isinstance(selection, FieldNode) or selection.name.value.startswith("__"):
                continue
            key = selection.alias.value if selection.alias else selection.name.value
            if key in skip:
                continue
            field = schema.get_field_for_type(selection.name.value, type_name)
            for directive in field.directives if field is not None else ():
                if isinstance(directive, Requires) and directive.scope != PUBLIC:
                    needed.add(directive.scope)
    return frozenset(needed)


def refusal(
    needed: frozenset[str], principal: Principal | None, auth_error: AxonError | None
) -> AxonError | None:
    """Why this caller may not run an operation needing `needed`, or None when it may."""
    if not needed:
        return None
    if principal is None:
        return auth_error or AuthenticationFailed("authentication required")
    if principal.expired():
        return AuthenticationFailed("access token expired")
    missing = sorted(needed - principal.scopes)
    if missing:
        return AuthorizationDenied(
            f"this operation requires the scope {missing[0]}",
            details={"required_scope": missing[0]},
        )
    return None
