"""Hypothesis against a live server: every Query and Mutation field with generated arguments.

Run as a subprocess by `test_graphql_fuzz.py` (the server keeps serving in the test's event
loop): `python -m tests.fuzz_graphql URL TOKEN EXAMPLES`. Values come from each argument's
GraphQL type, mixed with hostile ones: lone surrogates, NUL bytes, `$`- and dot-keys, deep
JSON, integers beyond 64 bits, huge strings. A failure is an HTTP 5xx, a traceback reaching
the client, or an error coded INTERNAL_ERROR; each is printed as one JSON line and the exit
status is 1.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import httpx
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.schema_walk import SCALAR_SAMPLES, RootField, operation_for, root_fields

HOSTILE_STRINGS = [
    "\ud800",
    "a\udfffb",
    "nul\x00byte",
    "$where",
    "a.b",
    "$gt",
    "x" * 20_000,
    "' OR 1=1 --",
    '{"$ne": null}',
    "task_" + "9" * 40,
    "../../etc/passwd",
    "\u202e\ufeff",
]
HOSTILE_KEYS = ["$set", "a.b", "k\x00", "\ud800", "", "__proto__"]
HOSTILE_NUMBERS = [2**63, -(2**63) - 1, 2**64, 10**30]
# Arguments that make the server wait; generated values would only slow the run down.
WAITING = re.compile(r"wait|timeout", re.I)


DEEP = re.compile(r'"@@deep:(\d+)@@"')


def deep(depth: int) -> str:
    """A marker for JSON nested `depth` deep, spelled out only in the request text: Python's
    own encoder (and Hypothesis's reporting) would recurse that deep."""
    return f"@@deep:{depth}@@"


def encode(payload: dict[str, Any]) -> bytes:
    # ensure_ascii keeps lone surrogates as \\ud800 escapes, as a hostile client sends them.
    text = json.dumps(payload, ensure_ascii=True)
    return DEEP.sub(lambda m: "[" * int(m[1]) + '"bottom"' + "]" * int(m[1]), text).encode()


def json_values() -> st.SearchStrategy[Any]:
    leaves = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=10),
        st.sampled_from(HOSTILE_STRINGS[:6]),
    )
    keys = st.one_of(st.text(max_size=8), st.sampled_from(HOSTILE_KEYS))
    nested = st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=3)
        ),
        max_leaves=8,
    )
    deep_values = st.sampled_from([70, 100, 3000]).map(deep)  # built lazily: no huge reprs
    return st.one_of(nested, deep_values, deep_values.map(lambda value: {"a": value}))


def scalar(type_: GraphQLScalarType) -> st.SearchStrategy[Any]:
    sample = SCALAR_SAMPLES.get(type_.name, "x")
    hostile = st.sampled_from(HOSTILE_STRINGS)
    match type_.name:
        case "String" | "ID":
            return st.one_of(st.text(max_size=30), hostile, st.just(sample))
        case "Int":
            return st.one_of(
                st.integers(-(2**31), 2**31 - 1), st.sampled_from(HOSTILE_NUMBERS), st.just(1)
            )
        case "Float":
            return st.one_of(
                st.floats(allow_nan=False, allow_infinity=False, width=64),
                st.sampled_from([1e308, -1e308, 0.0, 1.0]),
            )
        case "Boolean":
            return st.booleans()
        case "JSON":
            return json_values()
        case _:
            return st.one_of(st.just(sample), hostile, st.text(max_size=30))


def values(type_: GraphQLInputType, name: str = "", depth: int = 0) -> st.SearchStrategy[Any]:
    if WAITING.search(name):
        return st.just(0)
    if isinstance(type_, GraphQLNonNull):
        return values(type_.of_type, name, depth)
    inner = _values(type_, name, depth)
    return st.one_of(st.none(), inner) if depth > 0 else inner


def _values(type_: GraphQLInputType, name: str, depth: int) -> st.SearchStrategy[Any]:
    if isinstance(type_, GraphQLList):
        return st.lists(values(type_.of_type, name, depth + 1), max_size=3)
    if isinstance(type_, GraphQLEnumType):
        return st.sampled_from(list(type_.values))
    if isinstance(type_, GraphQLInputObjectType):
        required: dict[str, st.SearchStrategy[Any]] = {}
        optional: dict[str, st.SearchStrategy[Any]] = {}
        for field_name, field in type_.fields.items():
            strategy = values(field.type, field_name, depth + 1) if depth < 4 else st.none()
            needed = isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
            (required if needed else optional)[field_name] = strategy
        return st.fixed_dictionaries(required, optional=optional)
    assert isinstance(type_, GraphQLScalarType)
    return scalar(type_)


def arguments(root: RootField) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {name: values(arg.type, name) for name, arg in root.field.args.items()}
    )


def failure(response: httpx.Response) -> str | None:
    """Why this answer counts as a server failure, or None."""
    if response.status_code >= 500:
        return f"HTTP {response.status_code}"
    if "Traceback" in response.text:
        return "traceback in the body"
    try:
        body = response.json()
    except ValueError:
        return f"not JSON: {response.headers.get('content-type')}"
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code == "INTERNAL_ERROR":
            return f"INTERNAL_ERROR: {error.get('message')}"
    return None


def probe(
    client: httpx.Client, root: RootField, examples: int, found: list[dict[str, Any]]
) -> None:
    """Send `examples` generated argument sets to one root field; record failures."""
    document, _ = operation_for(root, complete=True)

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(arguments(root))
    def send(variables: dict[str, Any]) -> None:
        body = encode({"query": document, "variables": variables})
        why: str | None
        try:
            response = client.post("/graphql", content=body)
        except httpx.HTTPError as exc:  # a dropped connection is a failure too
            why, text = f"no answer: {exc!r}", ""
        else:
            why, text = failure(response), response.text
        if why is not None:
            found.append(
                {
                    "field": root.label,
                    "why": why,
                    "variables": body[:300].decode(errors="replace"),
                    "body": text[:300],
                }
            )

    send()


def fuzz(url: str, token: str, examples: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with httpx.Client(base_url=url, timeout=30, headers=headers) as client:
        for root in root_fields():
            if root.kind != "subscription":
                probe(client, root, examples, found)
    return found


def main() -> int:
    url, token, examples = sys.argv[1], sys.argv[2], int(sys.argv[3])
    found = fuzz(url, token, examples)
    for item in found:
        print(json.dumps(item))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
