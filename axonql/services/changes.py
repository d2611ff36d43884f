"""What an update changed, named for its event (`fields` in the payload, `details.fields`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

DERIVED = frozenset({"updated_at", "revision", "priority_rank"})
"""Kept in step by every write (or computed from another field): never news on their own."""


def fields_of(document: BaseModel) -> dict[str, Any]:
    """A document's fields as they are now, to compare with after the change."""
    return document.model_dump()


def changed_fields(before: dict[str, Any], document: BaseModel) -> list[str]:
    """The stored fields of `document` that differ from `before`, sorted."""
    after = document.model_dump()
    return sorted(k for k, v in after.items() if k not in DERIVED and before.get(k) != v)
