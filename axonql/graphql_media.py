"""The two media types of GraphQL over HTTP, and the status codes each one implies.

The GraphQL over HTTP spec defines `application/json` (the legacy default, still what a
missing `Accept`, `*/*` or `application/*` get) and `application/graphql-response+json`.
They differ in one point: with `application/json` every well-formed request answers 200, even
when the document does not parse or validate, because legacy clients and intermediaries read
any 4xx as "the server failed". With `application/graphql-response+json` the status says what
happened: a request error (the document does not parse or validate, the variables do not
coerce, the operation cannot be selected) has no `data` entry and a 4xx (or 5xx) status; once
execution has started `data` is there, possibly null, and the status is 200.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from strawberry.types import ExecutionResult

JSON = "application/json"
GRAPHQL_RESPONSE = "application/graphql-response+json"

# Media ranges that `application/json` satisfies; `application/graphql-response+json` is only
# chosen when named, so wildcard clients keep the legacy behaviour.
_JSON_RANGES = frozenset({JSON, "application/*", "*/*"})


def _quality(params: Sequence[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return max(0.0, min(1.0, float(value.strip())))
            except ValueError:
                return 0.0
    return 1.0


def negotiate(accept: str | None) -> str:
    """The response media type for an `Accept` header.

    The supported type with the highest `q` wins; on equal `q`, the client's first one. A
    missing header, or one naming neither type, gets `application/json` (answering something
    readable beats a 406 for clients that predate the new type).
    """
    best, best_q = JSON, -1.0
    for media_range in (accept or "").split(","):
        media, *params = media_range.split(";")
        media = media.strip().lower()
        if media == GRAPHQL_RESPONSE:
            candidate = GRAPHQL_RESPONSE
        elif media in _JSON_RANGES:
            candidate = JSON
        else:
            continue
        q = _quality(params)
        if q > 0 and q > best_q:
            best, best_q = candidate, q
    return best


def is_request_error(result: ExecutionResult) -> bool:
    """Whether `result` failed before execution started (so it has no `data` entry).

    graphql-core answers `data=None` both for a request error and for an execution whose
    null reached the root; they differ in the errors: every field error has a `path`, while
    parse, validation and variable-coercion errors (and an operation that cannot be selected)
    never do.
    """
    errors = result.errors
    return result.data is None and bool(errors) and all(e.path is None for e in errors or ())


def request_error_status(errors: Any) -> int:
    """The HTTP status of a request error: its errors' own `extensions.status`, else 400."""
    statuses = [
        error["extensions"]["status"]
        for error in errors or ()
        if isinstance(error, dict)
        and isinstance(error.get("extensions"), dict)
        and isinstance(error["extensions"].get("status"), int)
        and 400 <= error["extensions"]["status"] <= 599
    ]
    return max(statuses, default=400)
