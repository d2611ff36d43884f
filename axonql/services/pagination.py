"""Keyset (cursor) and offset pagination over any collection, stable under inserts."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pymongo
from beanie import Document
from bson import json_util

from axonql.errors import ValidationError

D = TypeVar("D", bound=Document)


@dataclass
class Page(Generic[D]):
    """One page of documents with the cursor of each and what lies around it."""

    items: list[D]
    cursors: list[str]
    total: int
    has_next: bool
    has_previous: bool


def encode_cursor(value: Any, doc_id: str) -> str:
    return base64.urlsafe_b64encode(json_util.dumps([value, doc_id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[Any, str]:
    try:
        value, doc_id = json_util.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except Exception as exc:
        raise ValidationError("malformed cursor", field="after") from exc
    return value, str(doc_id)


def _storage_value(value: Any) -> Any:
    """Values as the database stores them (enums by value)."""
    return getattr(value, "value", value)


async def paginate(
    model: type[D],
    query: dict[str, Any],
    *,
    sort_field: str,
    descending: bool,
    first: int,
    after: str | None = None,
    offset: int = 0,
) -> Page[D]:
    """Documents matching `query`, ordered by `sort_field` then id, after a cursor or offset."""
    total = await model.get_pymongo_collection().count_documents(query)
    direction = pymongo.DESCENDING if descending else pymongo.ASCENDING
    window = dict(query)
    if after:
        value, doc_id = decode_cursor(after)
        op = "$lt" if descending else "$gt"
        window = {
            "$and": [
                query,
                {"$or": [{sort_field: {op: value}}, {sort_field: value, "_id": {op: doc_id}}]},
            ]
        }
    order: Any = [(sort_field, direction), ("_id", direction)]
    finder = model.find(window).sort(order).skip(offset)
    docs = await finder.limit(first + 1).to_list()
    has_next = len(docs) > first
    docs = docs[:first]
    cursors = [encode_cursor(_storage_value(getattr(d, sort_field)), str(d.id)) for d in docs]
    return Page(
        items=docs,
        cursors=cursors,
        total=total,
        has_next=has_next,
        has_previous=bool(after) or offset > 0,
    )
