"""The Route record: one documented REST path as data (operation, bindings, shape, status)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from axonql.rest_compat.envelopes import Envelope

Converter = Callable[[Any], Any]
Shaper = Callable[[Any, "Inputs"], Any]
FieldType = Literal["string", "integer", "number", "boolean", "object", "array"]


@dataclass(frozen=True)
class Var:
    """Where one GraphQL variable comes from: `path.x`, `query.x`, `body.x`, `page.limit` …"""

    source: str
    convert: Converter | None = None
    default: Any = None
    constant: bool = False


Binding = str | Var | Mapping[str, Any]
"""A source string, a `Var`, or a nested mapping that becomes an input object."""


def const(value: Any) -> Var:
    """A fixed variable value (e.g. a filter the REST path implies)."""
    return Var(source="const", default=value, constant=True)


@dataclass(frozen=True)
class Field:
    """One documented body field or query parameter: its JSON type, for validation and OpenAPI."""

    name: str
    type: FieldType = "string"
    required: bool = False
    items: FieldType | None = None
    description: str = ""


@dataclass(frozen=True)
class Pagination:
    """How a list route pages: OCTOSPINE `limit/offset` block or the drift API's page headers."""

    style: Literal["limit_offset", "page_size"]
    items: str
    total: str
    default_size: int = 10
    max_size: int = 100


@dataclass
class Inputs:
    """The parsed request a route reads from: path, query and body values."""

    path: Mapping[str, str]
    query: Mapping[str, str]
    body: Mapping[str, Any]
    ignored: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)  # response headers a shape adds


@dataclass(frozen=True)
class Route:
    """A documented REST path executed as one GraphQL operation; it has no logic of its own."""

    method: Literal["GET", "POST", "PUT", "DELETE"]
    path: str
    operation: str
    variables: Mapping[str, Binding] = field(default_factory=dict)
    result: str = ""
    lower: tuple[str, ...] = ()
    shape: Shaper | None = None
    status: int = 200
    pagination: Pagination | None = None
    rate_group: str = "default"
    body: tuple[Field, ...] = ()
    params: tuple[Field, ...] = ()
    summary: str = ""
    message: str = "Operation completed successfully"
    example: Mapping[str, Any] | None = None
    example_query: Mapping[str, str] | None = None
    download: bool = False
    optional: tuple[str, ...] = ()
    # Agent work: with `Prefer: respond-async` the operation runs with `wait: 0` and this
    # shape answers 202 (the task id and where to follow it).
    respond_async: Shaper | None = None

    @property
    def path_params(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]


@dataclass(frozen=True)
class Api:
    """One legacy API: where it is mounted, its envelope, its rate limits and its route table."""

    name: str
    title: str
    mount: str
    envelope: Envelope
    routes: tuple[Route, ...]
    rate_limits: Mapping[str, str] = field(default_factory=dict)
    reset_after_header: bool = False

    def full_path(self, route: Route) -> str:
        return f"{self.mount}{route.path}"
