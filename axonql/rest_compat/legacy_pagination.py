"""Legacy paging: OCTOSPINE `limit/offset` + `pagination` block; drift `page/size` + headers."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from axonql.errors import ValidationError
from axonql.rest_compat.converters import to_int
from axonql.rest_compat.route import Pagination


@dataclass(frozen=True)
class Window:
    """The page a request asked for, as `limit`/`offset` (what the GraphQL lists take)."""

    limit: int
    offset: int
    page: int = 1


def _int_param(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = to_int(raw)
    except ValidationError:
        raise ValidationError(f"{name} must be an integer", field=name) from None
    if not low <= value <= high:
        raise ValidationError(f"{name} must be between {low} and {high}", field=name)
    return value


def window(spec: Pagination, query: Mapping[str, str]) -> Window:
    """Read and validate the paging parameters of one request."""
    if spec.style == "limit_offset":
        limit = _int_param(query, "limit", spec.default_size, 1, spec.max_size)
        offset = _int_param(query, "offset", 0, 0, 10_000_000)
        return Window(limit=limit, offset=offset)
    page = _int_param(query, "page", 1, 1, 1_000_000)
    size = _int_param(query, "size", spec.default_size, 1, spec.max_size)
    return Window(limit=size, offset=(page - 1) * size, page=page)


def dig(data: Any, path: str) -> Any:
    """`a.b.c` inside nested dicts; missing → None."""
    for part in path.split(".") if path else ():
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data


def apply(
    spec: Pagination, win: Window, data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The documented body (items + block) and headers for one page of results."""
    items = dig(data, spec.items) or []
    counted = dig(data, spec.total)
    total = len(counted) if isinstance(counted, list) else int(counted or 0)
    if spec.total == spec.items:  # the operation returned the whole list: page it here
        items = items[win.offset : win.offset + win.limit]
    counter = spec.total.split(".")[0]
    body = {k: v for k, v in data.items() if k != counter}
    body[spec.items] = items
    if spec.style == "limit_offset":
        body["pagination"] = {
            "total": total,
            "limit": win.limit,
            "offset": win.offset,
            "has_more": win.offset + len(items) < total,
        }
        return body, {}
    body["total_count"] = total
    headers = {
        "X-Total-Count": str(total),
        "X-Page-Count": str(max(1, math.ceil(total / win.limit))),
        "X-Current-Page": str(win.page),
        "X-Page-Size": str(win.limit),
    }
    return body, headers
