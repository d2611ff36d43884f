"""Pieces of MongoDB filters that every list shares: time windows, text search, tags."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

MAX_SEARCH_LENGTH = 100


def compact(conditions: dict[str, Any]) -> dict[str, Any]:
    """A filter from conditions, leaving out the ones that are None ('any')."""
    return {field: value for field, value in conditions.items() if value is not None}


def window(after: datetime | None, before: datetime | None) -> dict[str, Any] | None:
    """`after` inclusive, `before` exclusive; None when neither is given."""
    bounds: dict[str, Any] = {}
    if after:
        bounds["$gte"] = after
    if before:
        bounds["$lt"] = before
    return bounds or None


def through(moment: datetime) -> datetime:
    """The exclusive bound that means `<= moment` on stored times (kept to the millisecond)."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000) + timedelta(milliseconds=1)


def literal(text: str) -> str:
    """A regex matching `text` as typed; NUL written `\\x00` (MongoDB refuses a raw one)."""
    return re.escape(text).replace("\x00", "\\x00")


def search_text(text: str | None, limit: int = MAX_SEARCH_LENGTH) -> str | None:
    """What a search looks for: the text as typed, its first `limit` characters."""
    return text[:limit] if text else None


def contains(text: str | None, limit: int = MAX_SEARCH_LENGTH) -> dict[str, Any] | None:
    """A case-insensitive substring match of the text as typed (never a user regex)."""
    searched = search_text(text, limit)
    return {"$regex": literal(searched), "$options": "i"} if searched else None


def all_of(values: list[str] | None) -> Any:
    """Every one of the values (e.g. tags) present in an array field.

    One value is an equality (the same matches as `$all`), which an index serves on
    SecantusDB; `$all` is read from another clause's index.
    """
    if not values:
        return None
    return values[0] if len(set(values)) == 1 else {"$all": values}


def at_least(value: float | None) -> dict[str, Any] | None:
    return {"$gte": value} if value is not None else None
