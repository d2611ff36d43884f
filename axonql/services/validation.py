"""Small checks applied to every input before it reaches the database."""

from __future__ import annotations

import json
import math
from typing import Any

from axonql.errors import ConsciousnessLevelInvalid, ValidationError
from axonql.services import safe_json

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


INT64 = safe_json.INT64
MAX_JSON_DEPTH = 32


def storable(field: str, value: Any, *, document: bool = False, dotted_keys: bool = False) -> None:
    """Refuse what JSON allows but MongoDB cannot hold: integers beyond 64 bits, deep nesting,
    lone surrogates and NUL in keys; in a `document`, keys starting with `$` or holding `.`.

    The error names `field` (the input), and the place inside it in `details.path`.
    """
    try:
        safe_json.check(
            field,
            value,
            max_depth=MAX_JSON_DEPTH,
            int64=True,
            document=document,
            dotted_keys=dotted_keys,
        )
    except ValidationError as exc:
        details = {**exc.details, "path": exc.field}
        raise ValidationError(exc.message, field=field, details=details) from None


def json_object(field: str, value: Any, *, dotted_keys: bool = False) -> dict[str, Any]:
    """A JSON object of bounded size (parameters, configuration, context …) MongoDB can store.

    `dotted_keys`: its own keys are dot-paths (a config patch), not stored as keys.
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"{field} must be a JSON object", field=field)
    storable(field, value, document=True, dotted_keys=dotted_keys)
    if len(json.dumps(value, default=str)) > MAX_JSON_BYTES:
        raise ValidationError(f"{field} is larger than {MAX_JSON_BYTES} bytes", field=field)
    return value


def client_id(field: str, value: str) -> str:
    """An id chosen by the client (`executive`, `user123`): short, no control characters."""
    checked = text(field, value, 100)
    if not all(ch.isalnum() or ch in "-_.:" for ch in checked):
        raise ValidationError(f"{field} may contain letters, digits and - _ . : only", field=field)
    return checked
