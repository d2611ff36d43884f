"""Keyset (cursor) and offset pagination over any collection, stable under inserts."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import pymongo
from beanie import Document
from bson import json_util

from axonql.errors import ValidationError
from axonql.models.base import utcnow
from axonql.services import validation as v

D = TypeVar("D", bound=Document)
A = TypeVar("A")
T = TypeVar("T")

DEFAULT_LIST_LIMIT = 50
MAX_LIST_OFFSET = 10_000
"""Offsets read every document they skip; deeper pages are served by cursors (connections)."""


Count = Callable[[], Awaitable[int]]
Fetch = Callable[[dict[str, Any], Any, int], Awaitable[list[T]]]
"""Reads what matches a filter, in a sort order (None: any), at most a number (0: all)."""


@dataclass
class Page(Generic[D]):
    """One page of documents with the cursor of each and what lies around it.

    `count` counts every match; it runs only when someone asks (a connection's `totalCount`).
    """

    items: list[D]
    cursors: list[str]
    count: Count
    has_next: bool
    has_previous: bool

    async def total(self) -> int:
        return await self.count()


def encode_cursor(value: Any, doc_id: str) -> str:
    return base64.urlsafe_b64encode(json_util.dumps([value, doc_id]).encode()).decode()


def decode_cursor(cursor: str) -> tuple[Any, str]:
    try:
        value, doc_id = json_util.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except Exception as exc:
        raise ValidationError("malformed cursor", field="after") from exc
    return value, str(doc_id)


def decode_time_cursor(cursor: str) -> tuple[datetime, str]:
    """A time order's cursor (`paginate`'s): a cursor of another order is refused."""
    value, doc_id = decode_cursor(cursor)
    if not isinstance(value, datetime):
        raise ValidationError("malformed cursor", field="after")
    return aware(value), doc_id


def storage_value(value: Any) -> Any:
    """Values as the database stores them (enums by value)."""
    return getattr(value, "value", value)


def counter(
    model: type[D], query: dict[str, Any], maintained: Callable[[], Awaitable[int | None]] | None
) -> Count:
    """A total from maintained counts when they cover `query`, else a count of the matches."""

    async def count() -> int:
        known = await maintained() if maintained is not None else None
        if known is not None:
            return known
        return int(await model.get_pymongo_collection().count_documents(query))

    return count


async def paginate(
    model: type[D],
    query: dict[str, Any],
    *,
    sort_field: str,
    descending: bool,
    first: int,
    after: str | None = None,
    offset: int = 0,
    count: Count | None = None,
    span: Span | None = None,
    fetch: Fetch[D] | None = None,
) -> Page[D]:
    """Documents matching `query`, ordered by the time field `sort_field` (`TIME_FIELDS`) then
    id, after a cursor or offset.

    They are read window by window (`windows`), so the database reads about the documents on
    the page, not every match (other orders: `value_order`).
    """
    cursor = decode_time_cursor(after) if after else None
    want = offset + first + 1
    docs = await windows(model, query, sort_field, descending, want, cursor, span or Span(), fetch)
    docs = docs[offset:]
    has_next = len(docs) > first
    docs = docs[:first]
    cursors = [encode_cursor(storage_value(getattr(d, sort_field)), str(d.id)) for d in docs]
    return Page(
        items=docs,
        cursors=cursors,
        count=count or counter(model, query, None),
        has_next=has_next,
        has_previous=bool(after) or offset > 0,
    )


TIME_FIELDS = frozenset({"created_at", "updated_at"})
GROWTH = 4
SLACK = 1.25  # a window sized for `want` documents is this much wider, so one usually does


def _wider(width: timedelta, got: int, need: int) -> timedelta:
    """The next window: sized by the density the last one showed, at most `GROWTH` times."""
    if got == 0:
        return width * GROWTH
    return min(width * GROWTH, max(width, width * (need / got) * SLACK))


SPARSE = 4
"""A query the tallies say matches at most this many pages is read whole, not in windows: its
equality filters are index-served, and windows would widen across the whole time range."""

MIN_WIDTH = timedelta(milliseconds=10)  # `created_at` is stored to the millisecond
FLOOR = datetime(2000, 1, 1, tzinfo=UTC)
"""Below the oldest known `created_at` (or this, when none is known) one open window ends."""


@dataclass(frozen=True)
class Span:
    """What is known of a collection's `created_at` range (from its tallies), to size windows."""

    oldest: datetime | None = None
    newest: datetime | None = None
    count: int | None = None
    matches: int | None = None
    """How many documents the query matches, when the tallies know (see `SPARSE`)."""
    head: tuple[timedelta, int] | None = None
    """How far past `oldest` the first n matches reach, when known (a queue's head)."""

    def first_width(self, want: int) -> timedelta:
        """A window expected to hold about `want` matches (a few minutes when unknown): from
        the head's reach when known, else the span over the query's matches when the tallies
        know them, else over the collection."""
        if self.head is not None:
            reach, n = self.head
            return max(MIN_WIDTH, reach * (want / n) * SLACK)
        spread = self.matches or self.count
        if self.oldest is None or self.newest is None or not spread:
            return timedelta(minutes=10)
        per_document = (self.newest - self.oldest) / spread
        return max(MIN_WIDTH, per_document * want * SLACK)


def _bounds(condition: Any) -> tuple[datetime | None, datetime | None]:
    """The [low, high) a query already puts on the sort field (`query_filters.window`)."""
    if not isinstance(condition, dict):
        return None, None
    return condition.get("$gte"), condition.get("$lt")


def variants(query: dict[str, Any]) -> list[dict[str, Any]]:
    """`query` with one `{field: {$in: [...]}}` split into one equality query per value.

    SecantusDB serves an equality (with a compound index, equality + range) but scans for
    `$in`; the split pages are merged.
    """
    for name, condition in query.items():
        if (
            isinstance(condition, dict)
            and list(condition) == ["$in"]
            and isinstance(condition["$in"], list)
            and 0 < len(condition["$in"]) <= 16
        ):
            return [{**query, name: value} for value in condition["$in"]]
    return [query]


async def windows(
    model: type[D],
    query: dict[str, Any],
    field: str,
    descending: bool,
    want: int,
    cursor: tuple[Any, str] | None,
    span: Span,
    fetch: Fetch[D] | None = None,
) -> list[D]:
    """The first `want` documents of `model` matching `query` in `field` order (then id), read
    as growing time windows (see `windows_of`) by `fetch` (default: the model's `find`)."""

    def key(doc: D) -> tuple[Any, str]:
        return aware(getattr(doc, field)), str(doc.id)

    read: Fetch[D] = fetch or reader(model.find)
    return await windows_of(read, key, query, field, descending, want, cursor, span)


def raw_reader(collection: Any, session: Any = None) -> Fetch[dict[str, Any]]:
    """A `Fetch` of stored documents as they are (for writers that update what they read)."""
    return reader(lambda where: collection.find(where, session=session))


def reader(find: Callable[[dict[str, Any]], Any]) -> Fetch[Any]:
    """A `Fetch` over `find` (a Beanie model's or a PyMongo collection's: both sort, limit and
    list)."""

    async def fetch(where: dict[str, Any], order: Any, limit: int) -> list[Any]:
        found = find(where)
        if order is not None:
            found = found.sort(order)
        return list(await (found.limit(limit) if limit else found).to_list())

    return fetch


async def windows_of(
    fetch: Fetch[T],
    key: Callable[[T], tuple[Any, str]],
    query: dict[str, Any],
    field: str,
    descending: bool,
    want: int,
    cursor: tuple[Any, str] | None,
    span: Span,
) -> list[T]:
    """The first `want` matches in `field` order (then id), read as growing time windows.

    Each read is bounded by a range on the indexed `field` placed first in the filter, so the
    database reads only the documents of that window (with a compound index on the query's
    equality fields and `field`, only the matching ones). A window starts where the last one
    ended and is `GROWTH` times wider, until the page is full or the windows pass the oldest
    known `created_at`; the last window is open-ended, so a document older than the tallies
    know is still found. The cost follows the page (and the offset), not the collection.
    """
    rest = {k: c for k, c in query.items() if k != field}
    low_limit, high_limit = _bounds(query.get(field))
    parts = variants(rest)
    found: list[T] = []
    if cursor is not None:
        value, doc_id = cursor
        value = aware(value)
        op = "$lt" if descending else "$gt"
        for part in parts:  # ties with the cursor's value, after its id
            found += await fetch({field: value, **part, "_id": {op: doc_id}}, None, 0)
        found.sort(key=lambda d: key(d)[1], reverse=descending)
        found = found[:want]
    direction = pymongo.DESCENDING if descending else pymongo.ASCENDING
    order: Any = [(field, direction), ("_id", direction)]

    async def read(bounds: dict[str, Any]) -> int:
        batch: list[T] = []
        for part in parts:
            where = {field: bounds, **part} if bounds else part
            batch += await fetch(where, order, want)
        batch.sort(key=key, reverse=descending)
        found.extend(batch[: want - len(found)])
        return len(batch)

    floor = span.oldest or FLOOR
    width = span.first_width(want)
    now = utcnow()
    at = cursor_value(cursor)
    if span.matches is not None and span.matches <= SPARSE * want:
        whole: dict[str, Any] = {}  # only the cursor's and the query's own bounds
        start = at or (high_limit if descending else low_limit)
        if start is not None:
            whole["$lt" if descending else ("$gt" if at is not None else "$gte")] = start
        if descending and low_limit is not None:
            whole["$gte"] = low_limit
        if not descending and high_limit is not None:
            whole["$lt"] = high_limit
        await read(whole)
        return found
    if descending:
        high = at or high_limit  # exclusive; None: open above
        # the first window ends at the newest known `created_at` (open above, so anything
        # newer is read too): after a quiet spell, `now` would start it in an empty stretch
        low = (high or span.newest or now) - width
        while len(found) < want:
            last = low <= floor or (low_limit is not None and low <= low_limit)
            bounds: dict[str, Any] = {}
            if not last:
                bounds["$gte"] = low
            elif low_limit is not None:
                bounds["$gte"] = low_limit
            if high is not None:
                bounds["$lt"] = high
            got = await read(bounds)
            if last:
                break
            high, width = low, _wider(width, got, want - len(found))
            low = high - width
        return found
    start = at or low_limit  # None: open below
    low_op = "$gt" if at is not None else "$gte"
    ceiling = max(span.newest or now, now)
    end = (start or floor) + width
    while len(found) < want:
        last = end >= ceiling or (high_limit is not None and end >= high_limit)
        bounds = {low_op: start} if start is not None else {}
        if not last:
            bounds["$lt"] = end
        elif high_limit is not None:
            bounds["$lt"] = high_limit
        got = await read(bounds)
        if last:
            break
        start, low_op, width = end, "$gte", _wider(width, got, want - len(found))
        end = start + width
    return found


def in_time_order(
    found: list[D], field: str, descending: bool, cursor: tuple[datetime, str] | None
) -> list[D]:
    """`found` in (`field`, id) order, from just after `cursor` (a time order's page read
    whole: `paginate` reads the same order in windows)."""

    def key(doc: D) -> tuple[Any, str]:
        return aware(getattr(doc, field)), str(doc.id)

    ordered = sorted(found, key=key, reverse=descending)
    if cursor is None:
        return ordered
    return [d for d in ordered if (key(d) < cursor if descending else key(d) > cursor)]


def cursor_value(cursor: tuple[Any, str] | None) -> datetime | None:
    return aware(cursor[0]) if cursor is not None else None


def aware(value: Any) -> Any:
    """Datetimes as the database client returns them (UTC-aware)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def list_window(max_page_size: int, limit: int | None, offset: int | None) -> tuple[int, int]:
    """A (limit, offset) pair clamped to the server's page size."""
    size = v.int_in("limit", limit if limit is not None else DEFAULT_LIST_LIMIT, 1, max_page_size)
    skip = v.int_in("offset", offset or 0, 0, MAX_LIST_OFFSET)
    return size, skip
