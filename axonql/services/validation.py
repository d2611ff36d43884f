"""Small checks applied to every input before it reaches the database."""

from __future__ import annotations

import json
import math
from typing import Any

from axonql.errors import ConsciousnessLevelInvalid, ValidationError

MAX_JSON_BYTES = 64 * 1024
MAX_LIST_ITEMS = 100


def text(field: str, value: str, max_length: int, *, required: bool = True) -> str:
    """A string within its length limit; required strings may not be blank."""
    stripped = value.strip()
    if required and not stripped:
        raise ValidationError(f"{field} must not be empty", field=field)
    if len(value) > max_length:
        raise ValidationError(
            f"{field} is longer than {max_length} characters",
            field=field,
            details={"max_length": max_length, "length": len(value)},
        )
    return stripped


def number_in(field: str, value: float, low: float, high: float) -> float:
    if math.isnan(value) or not low <= value <= high:
        raise ValidationError(f"{field} must be between {low} and {high}", field=field)
    return float(value)


def int_in(field: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise ValidationError(f"{field} must be between {low} and {high}", field=field)
    return value


def consciousness_level(value: float, field: str = "consciousnessLevel") -> float:
    if math.isnan(value) or not 0.0 <= value <= 1.0:
        raise ConsciousnessLevelInvalid(
            "consciousness level must be between 0.0 and 1.0", field=field
        )
    return float(value)


def strings(field: str, values: list[str], max_length: int = 100) -> list[str]:
    """A bounded list of short, non-empty strings, de-duplicated in order."""
    if len(values) > MAX_LIST_ITEMS:
        raise ValidationError(f"{field} has more than {MAX_LIST_ITEMS} items", field=field)
    seen: dict[str, None] = {}
    for value in values:
        seen[text(field, value, max_length)] = None
    return list(seen)


INT64 = (-(2**63), 2**63 - 1)
MAX_JSON_DEPTH = 32


def storable(field: str, value: Any) -> None:
    """Refuse what JSON allows but MongoDB cannot hold: integers beyond 64 bits, deep nesting."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ValidationError(
                f"{field} is nested more than {MAX_JSON_DEPTH} levels", field=field
            )
        if isinstance(item, int) and not isinstance(item, bool):
            if not INT64[0] <= item <= INT64[1]:
                raise ValidationError(f"{field} holds an integer beyond 64 bits", field=field)
        elif isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def json_object(field: str, value: Any) -> dict[str, Any]:
    """A JSON object of bounded size (parameters, configuration, context …) MongoDB can store."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"{field} must be a JSON object", field=field)
    storable(field, value)
    if len(json.dumps(value, default=str)) > MAX_JSON_BYTES:
        raise ValidationError(f"{field} is larger than {MAX_JSON_BYTES} bytes", field=field)
    return value


def client_id(field: str, value: str) -> str:
    """An id chosen by the client (`executive`, `user123`): short, no control characters."""
    checked = text(field, value, 100)
    if not all(ch.isalnum() or ch in "-_.:" for ch in checked):
        raise ValidationError(f"{field} may contain letters, digits and - _ . : only", field=field)
    return checked
