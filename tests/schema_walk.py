"""Walks the built schema: its root fields, the scope each declares, an operation for each.

Used by the tests that must cover every field, including fields added after they were written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    Undefined,
    get_named_type,
)

from axonql.schema.permissions import Requires
from axonql.schema.root import build_schema

SCALAR_SAMPLES: dict[str, Any] = {
    "ID": "x",
    "String": "x",
    "Int": 1,
    "Float": 0.5,
    "Boolean": True,
    "JSON": {},
    "DateTime": "2026-01-01T00:00:00+00:00",
    "Date": "2026-01-01",
    "Time": "00:00:00",
    "Decimal": "1",
    "UUID": "00000000-0000-0000-0000-000000000000",
    "Base64": "eA==",
}


@dataclass(frozen=True)
class RootField:
    """One Query/Mutation/Subscription field and the scope it declares."""

    kind: str  # "query", "mutation" or "subscription"
    name: str
    scope: str | None
    field: GraphQLField

    @property
    def label(self) -> str:
        return f"{self.kind}.{self.name}"


def declared_scope(field: GraphQLField) -> str | None:
    """The `@requires(scope: …)` on a field, read from its Strawberry definition."""
    definition = (field.extensions or {}).get("strawberry-definition")
    scopes = [d.scope for d in getattr(definition, "directives", []) if isinstance(d, Requires)]
    return str(scopes[0]) if len(scopes) == 1 else None


def root_fields() -> list[RootField]:
    schema = build_schema()._schema
    roots = {
        "query": schema.query_type,
        "mutation": schema.mutation_type,
        "subscription": schema.subscription_type,
    }
    found: list[RootField] = []
    for kind, root in roots.items():
        if root is None:
            continue
        for name, field in root.fields.items():
            found.append(RootField(kind, name, declared_scope(field), field))
    return found


def sample_value(
    type_: GraphQLInputType, samples: dict[str, Any] = SCALAR_SAMPLES, complete: bool = False
) -> Any:
    """A valid value for an input type: required input fields only (or, `complete`, every
    field, nested inputs to a few levels), scalars taken from `samples`."""
    return _sample(type_, samples, complete, depth=0)


def _sample(type_: GraphQLInputType, samples: dict[str, Any], complete: bool, depth: int) -> Any:
    if isinstance(type_, GraphQLNonNull):
        return _sample(type_.of_type, samples, complete, depth)
    if isinstance(type_, GraphQLList):
        return [_sample(type_.of_type, samples, complete, depth)]
    if isinstance(type_, GraphQLEnumType):
        values = list(type_.values)
        return values[-1] if complete else values[0]
    if isinstance(type_, GraphQLInputObjectType):
        fields = list(type_.fields.items())
        if type_.is_one_of:
            fields = fields[:1]
        elif not complete or depth > 3:
            fields = [
                (name, f)
                for name, f in fields
                if isinstance(f.type, GraphQLNonNull) and f.default_value is Undefined
            ]
        return {name: _sample(f.type, samples, complete, depth + 1) for name, f in fields}
    assert isinstance(type_, GraphQLScalarType)
    assert type_.name in samples, f"no sample value for scalar {type_.name}"
    return samples[type_.name]


def operation_for(
    root: RootField, samples: dict[str, Any] = SCALAR_SAMPLES, complete: bool = False
) -> tuple[str, dict[str, Any]]:
    """`kind Probe($a: T!) { field(a: $a) { __typename } }` and its variables: required
    arguments only, or (`complete`) every argument."""
    declarations: list[str] = []
    arguments: list[str] = []
    variables: dict[str, Any] = {}
    for name, arg in root.field.args.items():
        required = isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
        if not (required or complete):
            continue
        declarations.append(f"${name}: {arg.type}")
        arguments.append(f"{name}: ${name}")
        variables[name] = sample_value(arg.type, samples, complete)
    named = get_named_type(root.field.type)
    composite = (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)
    selection = " { __typename }" if isinstance(named, composite) else ""
    header = f"({', '.join(declarations)})" if declarations else ""
    call = f"({', '.join(arguments)})" if arguments else ""
    return f"{root.kind} Probe{header} {{ {root.name}{call}{selection} }}", variables
