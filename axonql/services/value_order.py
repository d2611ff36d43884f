"""Pages in the order of a field other than time (a name, a progress, a score), at any size.

SecantusDB reads every document a filter matches before it sorts and limits, so a page sorted
by `name` over a whole collection costs the collection. These pages are read instead as ranges
of the field's index, each sized from a sample of the field's values (`ValueSamples`) to hold
about the page. A value that many documents share (a progress of 100) is read as a level: its
documents in `created_at` windows of the `(field, created_at)` index. Ties are ordered by
`created_at`, then id, in the sort's direction; the cursor carries the value and `created_at`.
The sample only sizes the ranges: every document is found whatever it says.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

import pymongo

from axonql.errors import ValidationError
from axonql.ids import HEX_DIGITS
from axonql.services import pagination as p

T = TypeVar("T")

SAMPLE = 2048
"""Values a sample aims at: each then stands for about 1/2048 of the collection."""
SAMPLE_SECONDS = 60.0
"""A sample older than this is taken again (values drift as documents change)."""
ID_SPACE = 16**HEX_DIGITS
FIRST_SHARE = 4096
"""The first id range a sample reads is 1/4096 of the id space; it widens until it holds
`SAMPLE` documents (or covers every id)."""


def _rank(value: Any) -> tuple[int, Any]:
    """MongoDB's order for the values these fields hold: null (or missing) first."""
    return (0, 0) if value is None else (1, value)


@dataclass(frozen=True)
class ValueSample:
    """The values of one field in documents whose ids fell in a random id range, ascending.

    Ids end in random hex digits (`ids.new_id`), so the range is a uniform sample, and each
    value stands for `per` documents of the collection.
    """

    values: tuple[Any, ...]
    per: float
    taken: float = 0.0

    def counted(self) -> list[tuple[Any, int]]:
        """Each non-null value with how many sampled documents hold it, ascending."""
        counts: list[tuple[Any, int]] = []
        for value in self.values:
            if value is None:
                continue
            if counts and counts[-1][0] == value:
                counts[-1] = (value, counts[-1][1] + 1)
            else:
                counts.append((value, 1))
        return counts

    def count_of(self, value: Any) -> int:
        return sum(1 for v in self.values if v == value)

    @property
    def size(self) -> float:
        """The documents the sample stands for."""
        return len(self.values) * self.per


async def take_sample(
    collection: Any, field_name: str, id_prefix: str, target: int = SAMPLE
) -> ValueSample:
    """`field_name`'s values in a random range of ids, widened until it holds `target`
    documents; each try reads only its range of the `_id` index, so the cost is the sample's."""
    width = ID_SPACE // FIRST_SHARE
    while True:
        start = random.randrange(ID_SPACE - width + 1)  # a sample, not a secret
        end = start + width
        high = f"{id_prefix}_{end:0{HEX_DIGITS}x}" if end < ID_SPACE else f"{id_prefix}_g"
        where = {"_id": {"$gte": f"{id_prefix}_{start:0{HEX_DIGITS}x}", "$lt": high}}
        docs = await collection.find(where, {field_name: 1}).to_list()
        if len(docs) >= target or width >= ID_SPACE:
            break
        grow = 64 if not docs else target * p.SLACK / len(docs)
        width = min(ID_SPACE, int(width * min(64.0, max(2.0, grow))))
    values = sorted((doc.get(field_name) for doc in docs), key=_rank)
    return ValueSample(tuple(values), ID_SPACE / width, time.monotonic())


@dataclass
class ValueSamples:
    """This instance's samples per (collection, field), taken when first needed and again
    after `SAMPLE_SECONDS`, or sooner (at most once a second) when the collection's known size
    has moved more than 2× from what the sample stands for (a bulk import, a purge). In the
    app state: one per instance, none global."""

    taken: dict[tuple[str, str], ValueSample] = field(default_factory=dict)

    async def of(
        self, collection: Any, field_name: str, id_prefix: str, size: int | None = None
    ) -> ValueSample:
        key = (str(collection.name), field_name)
        known = self.taken.get(key)
        if known is None or _stale(known, size):
            known = self.taken[key] = await take_sample(collection, field_name, id_prefix)
        return known


def _stale(sample: ValueSample, size: int | None) -> bool:
    age = time.monotonic() - sample.taken
    if age > SAMPLE_SECONDS:
        return True
    moved = size is not None and not sample.size / 2 <= size <= max(sample.size * 2, SAMPLE)
    return moved and age > 1.0


Cursor = tuple[Any, tuple[datetime, str]]
"""(value, (created_at, id)): the last document of the previous page."""


def encode(value: Any, created_at: datetime, doc_id: str) -> str:
    return p.encode_cursor([value, created_at], doc_id)


def decode(after: str) -> Cursor:
    value, doc_id = p.decode_cursor(after)
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], datetime)):
        raise ValidationError("malformed cursor", field="after")  # not a cursor of this order
    return value[0], (p.aware(value[1]), doc_id)


def _successor(value: Any) -> Any:
    """The least value after `value` of its type (None: not a string or a number)."""
    if isinstance(value, str):
        return value + "\x00"
    if isinstance(value, int | float) and not isinstance(value, bool):
        successor = math.nextafter(float(value), math.inf)
        if abs(successor) < TINY:
            successor = TINY if successor > 0 else 0.0
        return successor
    return None


def _above(value: Any) -> dict[str, Any]:
    """Values greater than `value`, as `$gte` its successor: SecantusDB reads a `$gt` bound on
    a compound index from the bound itself, through every document holding it."""
    successor = _successor(value)
    return {"$gt": value} if successor is None else {"$gte": successor}


def _up_to(value: Any) -> dict[str, Any]:
    """Values up to `value` inclusive, as `$lt` its successor: from a compound index whose
    leading equalities precede the field (an agent's tasks by name), SecantusDB's `$lte`
    misses the documents holding the bound itself (measured on 0.7.0b3)."""
    successor = _successor(value)
    return {"$lte": value} if successor is None else {"$lt": successor}


TINY = 1e-100
"""SecantusDB's indexes misplace numbers closer to 0 than about 1e-150 (a bound of 5e-324
matched nothing above it, measured), so a successor that small is rounded out to this: such
values are not told apart from 0."""


_IMPOSSIBLE = object()


def _merged(condition: Any, extra: dict[str, Any]) -> Any:
    """The filter's own condition on the sorted field (a search, a range) and a range or value
    of this reader, as one condition (`_IMPOSSIBLE` when no value meets both)."""
    if condition is None:
        return extra["$eq"] if list(extra) == ["$eq"] else extra
    merged = dict(condition) if isinstance(condition, dict) else {"$eq": condition}
    for op, value in extra.items():
        if op not in merged:
            merged[op] = value
        elif op in ("$gt", "$gte"):
            merged[op] = max(merged[op], value)
        elif op in ("$lt", "$lte"):
            merged[op] = min(merged[op], value)
        elif merged[op] != value:
            return _IMPOSSIBLE
    return merged


@dataclass(frozen=True)
class _Reading:
    """One page's read: the query, the order and what it has found so far."""

    fetch: p.Fetch[Any]
    key: Callable[[Any], tuple[Any, ...]]
    query: dict[str, Any]
    field: str
    descending: bool
    want: int
    span: p.Span
    found: list[Any]

    @property
    def need(self) -> int:
        return self.want - len(self.found)

    @property
    def order(self) -> list[tuple[str, int]]:
        """(field, `created_at`, id), in the sort's direction."""
        direction = pymongo.DESCENDING if self.descending else pymongo.ASCENDING
        return [(self.field, direction), ("created_at", direction), ("_id", direction)]

    def _first(self, condition: Any) -> dict[str, Any]:
        """The query with `condition` on the sorted field placed first: SecantusDB serves a
        filter its compound indexes do not cover from the index of its first field (here the
        sorted field's, so a range reads only its own documents)."""
        rest = {name: c for name, c in self.query.items() if name != self.field}
        return {self.field: condition, **rest}

    async def level(self, value: Any, count: float, within: tuple[datetime, str] | None) -> None:
        """`value`'s documents (about `count` of them) in `created_at` order, after `within`."""
        condition = _merged(self.query.get(self.field), {"$eq": value})
        if condition is _IMPOSSIBLE:
            return
        narrowed = self._first(condition)
        span = replace(self.span, matches=round(count), head=None)
        docs = await p.windows_of(
            self.fetch,
            lambda d: self.key(d)[1:],
            narrowed,
            "created_at",
            self.descending,
            self.need,
            within,
            span,
        )
        self.found.extend(docs)

    async def range(self, bounds: dict[str, Any]) -> int:
        """The first documents whose value lies within `bounds`; how many the range held (up
        to what was still needed)."""
        condition = _merged(self.query.get(self.field), bounds)
        if condition is _IMPOSSIBLE:
            return 0
        batch: list[Any] = []
        for part in p.variants(self._first(condition)):
            batch += await self.fetch(part, self.order, self.need)
        batch.sort(key=self.key, reverse=self.descending)
        self.found.extend(batch[: self.need])
        return len(batch)


async def by_value(
    fetch: p.Fetch[T],
    key: Callable[[T], tuple[Any, ...]],
    query: dict[str, Any],
    field_name: str,
    descending: bool,
    want: int,
    cursor: Cursor | None,
    sample: ValueSample,
    span: p.Span,
    nullable: bool = True,
) -> list[T]:
    """The first `want` matches of `query` in (`field_name`, `created_at`, id) order after
    `cursor`, read as ranges of about a page each (see the module's docstring).

    `key` gives a document's place in that order; `span.matches`, when known, is how many
    documents match `query` (a query matching at most a few pages is read whole); documents
    without a value (null first, as MongoDB orders them) are looked for when `nullable`.
    """
    reading = _Reading(fetch, key, query, field_name, descending, want, span, [])
    if span.matches is not None and span.matches <= p.SPARSE * want:
        return await _whole(reading, cursor)
    share = 1.0
    if span.matches is not None and sample.size:
        share = min(1.0, span.matches / sample.size)
    scale = sample.per * share  # matches each sampled document stands for
    heavy = p.SPARSE * want  # a value holding more is read as a level, in time windows
    values = sample.counted()
    if descending:
        values.reverse()

    def after(value: Any) -> dict[str, Any]:
        return {"$lt": value} if descending else _above(value)

    def before(value: Any) -> dict[str, Any]:
        return _above(value) if descending else {"$lt": value}

    def through(value: Any) -> dict[str, Any]:
        return {"$gte": value} if descending else _up_to(value)

    def beyond(value: Any, start: Any) -> bool:
        return bool(value < start) if descending else bool(value > start)

    start: Any = None  # the last value read (exclusive); None: from the first
    nulls = sample.count_of(None) * scale
    if cursor is not None:
        value, within = cursor
        await reading.level(value, sample.count_of(value) * scale, within)
        if value is None:  # nulls come first ascending and last descending
            if descending or reading.need <= 0:
                return reading.found
        else:
            start = value
    elif not descending and nullable:
        await reading.level(None, nulls, None)
    ahead = [(v, n) for v, n in values if start is None or beyond(v, start)]
    target = reading.need * p.SLACK
    while reading.need > 0:
        expected, taken, end, through_end = 0.0, 0, None, False
        for v, n in ahead:
            if n * scale > heavy:
                end = v
                break
            expected += (n + 1) * scale  # the gap before `v`, and `v`
            taken += 1
            if expected >= target:
                end, through_end = v, True
                break
        bounds: dict[str, Any] = {} if start is None else after(start)
        if end is not None:
            bounds.update(through(end) if through_end else before(end))
        if not bounds:
            bounds = {"$ne": None}  # nothing sampled: every non-null value
        got = await reading.range(bounds)
        if reading.need <= 0:
            break
        if end is None:  # that range was open to the end
            if descending and nullable:
                await reading.level(None, nulls, None)
            break
        if not through_end:  # `end` is a value many documents share
            await reading.level(end, dict(ahead)[end] * scale, None)
            taken += 1
        start, ahead = end, ahead[taken:]
        target = (
            target * p.GROWTH
            if got == 0
            else min(target * p.GROWTH, max(target, reading.need * p.SLACK * expected / got))
        )
    return reading.found[:want]


async def _whole(reading: _Reading, cursor: Cursor | None) -> list[Any]:
    """A query matching a few pages: every match, in order, after the cursor."""
    batch: list[Any] = []
    for part in p.variants(reading.query):
        batch += await reading.fetch(part, reading.order, 0)
    return in_order(batch, reading.key, reading.descending, cursor)[: reading.want]


def in_order(
    found: list[T], key: Callable[[T], tuple[Any, ...]], descending: bool, cursor: Cursor | None
) -> list[T]:
    """`found` in (value, `created_at`, id) order (`key`), from just after `cursor`."""
    ordered = sorted(found, key=key, reverse=descending)
    if cursor is None:
        return ordered
    value, (created, doc_id) = cursor
    mark = (_rank(value), created, doc_id)
    return [d for d in ordered if (key(d) < mark if descending else key(d) > mark)]


def place(doc: Any, field_name: str) -> tuple[Any, ...]:
    """A document's place in (`field_name`, `created_at`, id) order."""
    value = p.storage_value(getattr(doc, field_name))
    return (_rank(value), p.aware(doc.created_at), str(doc.id))
