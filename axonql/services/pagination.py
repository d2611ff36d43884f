"""Keyset (cursor) and offset pagination over any collection, stable under inserts."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pymongo
from beanie import Document
from bson import json_util

from axonql.errors import ValidationError
from axonql.services import validation as v
from axonql.settings import Settings

D = TypeVar("D", bound=Document)
A = TypeVar("A")

DEFAULT_LIST_LIMIT = 50
MAX_LIST_OFFSET = 10_000_000


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


def list_window(max_page_size: int, limit: int | None, offset: int | None) -> tuple[int, int]:
    """A (limit, offset) pair clamped to the server's page size."""
    size = v.int_in("limit", limit if limit is not None else DEFAULT_LIST_LIMIT, 1, max_page_size)
    skip = v.int_in("offset", offset or 0, 0, MAX_LIST_OFFSET)
    return size, skip


@dataclass(frozen=True)
class SortOrder:
    """A connection's order: one stored field, then the id to break ties."""

    field: str
    descending: bool


@dataclass(frozen=True)
class Listing(Generic[D, A]):
    """A collection's list and connection fields, so each area states only its filter's query.

    `query` turns the area's filter arguments (`TaskFilterArgs`, ...) into a MongoDB query.
    """

    model: type[D]
    query: Callable[[A], dict[str, Any]]

    async def newest_first(
        self, settings: Settings, args: A, limit: int | None, offset: int | None
    ) -> list[D]:
        """OCTOSPINE's lists: newest first, by limit and offset."""
        size, skip = list_window(settings.max_page_size, limit, offset)
        page = await paginate(
            self.model,
            self.query(args),
            sort_field="created_at",
            descending=True,
            first=size,
            offset=skip,
        )
        return page.items

    async def page(
        self, settings: Settings, args: A, order: SortOrder, first: int, after: str | None
    ) -> Page[D]:
        """A Relay connection's page: `first` documents in `order` after the cursor `after`."""
        size, _ = list_window(settings.max_page_size, first, 0)
        return await paginate(
            self.model,
            self.query(args),
            sort_field=order.field,
            descending=order.descending,
            first=size,
            after=after,
        )
