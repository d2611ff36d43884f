"""Pure converters the route tables name: documented REST values → GraphQL variable values."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from axonql.errors import ServiceUnavailable, ValidationError
from axonql.rest_compat.route import Converter

_CAMEL_BOUNDARY = re.compile(r"_([a-z0-9])")
_SNAKE_BOUNDARY = re.compile(r"(?<=[a-z0-9])([A-Z])")


def camel(name: str) -> str:
    """`max_concurrent_tasks` → `maxConcurrentTasks` (GraphQL input field names)."""
    return _CAMEL_BOUNDARY.sub(lambda m: m.group(1).upper(), name)


def snake(name: str) -> str:
    """`createdAt` → `created_at` (documented REST key names)."""
    return _SNAKE_BOUNDARY.sub(lambda m: "_" + m.group(1).lower(), name)


def upper(value: Any) -> Any:
    """An enum value as documented (`high`) → the GraphQL enum name (`HIGH`)."""
    return value.upper() if isinstance(value, str) else value


def to_int(value: Any) -> int:
    """A query-string integer; anything else is a validation error, never a 500."""
    if isinstance(value, bool):
        raise ValidationError("expected an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,12}", value.strip()):
        return int(value)
    raise ValidationError(f"expected an integer, got {value!r}")


def to_float(value: Any) -> float:
    """A query-string number."""
    if isinstance(value, bool):
        raise ValidationError("expected a number")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        raise ValidationError(f"expected a number, got {value!r}") from None


def to_bool(value: Any) -> bool:
    """`true/false/1/0` in a query string."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValidationError(f"expected true or false, got {value!r}")


def to_str(value: Any) -> str:
    """Numbers the document sends where GraphQL takes a string (schedule `value: 300`)."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value)
    raise ValidationError(f"expected a string, got {value!r}")


def alias(mapping: Mapping[str, Any], then: Converter | None = None) -> Converter:
    """Documented words that name something else here (`status=active` → several statuses)."""

    def convert(value: Any) -> Any:
        if isinstance(value, str) and value.lower() in mapping:
            return mapping[value.lower()]
        return then(value) if then else value

    return convert


def upper_list(value: Any) -> list[Any]:
    """A list of enum values, or one value, as GraphQL enum names."""
    values = value if isinstance(value, list) else [value]
    return [upper(v) for v in values]


def fields(**converters: Converter | None) -> Converter:
    """A documented object → a GraphQL input object: camelCase keys, listed keys converted."""

    def convert(value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise ValidationError(f"expected an object, got {type(value).__name__}")
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key not in converters:
                continue
            conv = converters[key]
            out[camel(key)] = conv(item) if conv and item is not None else item
        return out

    return convert


def each(convert: Converter) -> Callable[[Any], list[Any]]:
    """Apply a converter to every item of a list."""

    def run(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise ValidationError("expected a list")
        return [convert(v) for v in value]

    return run


def require_healthy(health: Mapping[str, Any]) -> None:
    """A health route answers 503 (in its API's error body) while the server is unhealthy."""
    if health.get("status") == "unhealthy":
        raise ServiceUnavailable(
            "the service is unhealthy", details={"services": health.get("services")}
        )


def healthy(health: dict[str, Any], inputs: Any) -> dict[str, Any]:
    """A shaper for health routes that return the `health` field as documented."""
    require_healthy(health)
    return health
