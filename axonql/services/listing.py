"""A collection's list and connection fields: its filter, its totals and how each order is read.

Time orders are read in `created_at`/`updated_at` windows (`pagination.windows`), a field of a
few levels level by level (`Levels`), any other field in ranges of its values sized from a
sample (`value_order`): at any size a page costs about its own documents. A filter with few
matches (a rare search, an automation's runs) is read whole from an index that holds just them
and ordered here instead (`Listing._rare_matches`, `Listing._few_matches`), with the cursors
the order's own reading gives.
"""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, Generic, Protocol, TypeVar, cast

from beanie import Document

from axonql.errors import ValidationError
from axonql.services import tallies, value_order
from axonql.services.lookup import by_ids
from axonql.services.pagination import (
    SPARSE,
    TIME_FIELDS,
    Count,
    Fetch,
    Page,
    Span,
    aware,
    counter,
    decode_time_cursor,
    encode_cursor,
    in_time_order,
    list_window,
    paginate,
    reader,
    storage_value,
    windows,
    windows_of,
)
from axonql.services.query_filters import literal, search_text
from axonql.services.value_order import ValueSamples
from axonql.settings import Settings
from axonql.text_grams import rarest

D = TypeVar("D", bound=Document)
A = TypeVar("A")
Check = Callable[[D], bool]
"""A condition checked on each document read (what the database was not asked)."""


@dataclass(frozen=True)
class SortOrder:
    """A connection's order: one stored field (ties: by `created_at`, then id, except for
    the time fields, whose ties go by id)."""

    field: str
    descending: bool


@dataclass(frozen=True)
class Levels(Generic[A]):
    """A sort field with a few stored levels (a task's priority), paged level by level.

    Within a level the order is `created_at` (the same direction), read in time windows from
    the filter narrowed to that level, so the page costs its own documents at any size: the
    field's own index would make SecantusDB sort every match. With a filter the tallies do not
    count, a level the counted part of it (`tallied`) leaves empty is skipped and one it
    leaves a few documents in is read from those: windows of every document would find
    nothing there, slowly.
    """

    field: str
    narrow: Callable[[A], list[tuple[int, A]]]
    """(level, the filter narrowed to it), lowest level first; levels the filter excludes
    are left out."""
    tallied: Callable[[A], A] | None = None
    """The part of a filter the tallies count (its matches bound a level's, when the whole
    filter is not counted: an agent's tasks of one priority are at most that priority's)."""


@dataclass(frozen=True)
class Searched(Generic[A]):
    """Text fields that a filter searches for a substring (`query_filters.contains`), with the
    collection keeping pieces of them beside each document (same id, its `created_at` and the
    filters `carried`): the three-character pieces of a name (`text_grams`,
    `services/name_pieces`), the terms of a memory (`services/memory_terms`).

    A newest-first page reads the ids holding the search's rarest piece from that collection's
    index, then those documents by id with the rest of the filter, and checks the search on
    them: a rare search reads about its matches. Beside other filters, the pieces are read
    when fewer documents hold the piece (estimated from a sample of the field's values) than
    match the rest of the filter (from the tallies); otherwise the rest of the filter is read
    and the search checked on what it finds. In any other order a rare search's matches are
    all read from its pieces and ordered here (`Listing._rare_matches`).
    """

    field: str
    """The filter's key holding the search (and the field sampled, when `sampled`)."""
    text: Callable[[A], str | None]
    """What the search looks for, from the filter arguments (`query_filters.search_text`;
    None: no search)."""
    without: Callable[[A], A]
    """The filter arguments without the search (their matches are counted by the tallies)."""
    pieces: type[Document]
    carried: frozenset[str] = frozenset({"created_at"})
    """The filters the pieces carry besides the pieces themselves (a task's automation flag):
    asked of the pieces' index, the rest of the filter of the documents they name."""
    piece: Callable[[str], str | None] = rarest
    """What the pieces' index is asked for a search (None: nothing any match must hold)."""
    words: str = "name_grams"
    """The pieces' field."""
    fields: tuple[str, ...] = ()
    """The fields the search looks in (none given: `field`)."""
    sampled: bool = True
    """Whether a sample of `field`'s values tells how many documents hold a piece; when not,
    a newest-first page always reads the pieces, and other orders never do."""


class _Searching(Protocol):
    search: str | None


F = TypeVar("F", bound=_Searching)


def name_search(
    pieces: type[Document],
    carried: frozenset[str] = frozenset({"created_at"}),
    field: str = "name",
) -> Searched[F]:
    """The filter's `search` (a substring of `field`), read from the name pieces in `pieces`
    (`services/name_pieces`); the filter arguments are a dataclass."""
    return Searched(
        field,
        lambda f: search_text(f.search),
        lambda f: dataclasses.replace(cast(Any, f), search=None),
        pieces,
        carried,
    )


@dataclass(frozen=True)
class Listing(Generic[D, A]):
    """A collection's list and connection fields, so each area states only its filter's query.

    `query` turns the area's filter arguments (`TaskFilterArgs`, ...) into a MongoDB query;
    `maintained`, when given, answers a total from the tallies (None: not covered, count);
    `kind` names the collection's tallies, whose `created_at` span sizes the time windows;
    `levels` pages a sort by a field of few values (see `Levels`); `id_prefix` is the
    prefix of the collection's ids (`ids.new_id`), whose random rest samples it (`value_order`);
    `searched`, a text field whose searches are read by their pieces (see `Searched`).
    """

    model: type[D]
    query: Callable[[A], dict[str, Any]]
    maintained: Callable[[A], Awaitable[int | None]] | None = None
    kind: str | None = None
    levels: Levels[A] | None = None
    id_prefix: str = ""
    searched: Searched[A] | None = None

    def _checked_query(
        self, args: A, query: dict[str, Any]
    ) -> tuple[dict[str, Any], list[Check[D]]]:
        """What the database can be asked of `query`, and the checks of the rest on what it
        finds: several values that must all be present (`$all`: tags) are asked as the first
        (an index serves one equality); a search of `searched` is checked whole."""
        served = dict(query)
        checks: list[Check[D]] = []
        for name, condition in query.items():
            if isinstance(condition, dict) and list(condition) == ["$all"] and condition["$all"]:
                served[name] = condition["$all"][0]
                checks.append(_holds_all(name, set(condition["$all"])))
        searched = self.searched
        text = searched.text(args) if searched is not None else None
        if searched is not None and text and searched.field in query:
            del served[searched.field]
            checks.append(_holds_text(searched.fields or (searched.field,), text))
        return served, checks

    def _piece(self, args: A, query: dict[str, Any]) -> tuple[Searched[A], str] | None:
        """The searched field and the rarest piece of its search, when the filter searches
        it for three characters or more."""
        searched = self.searched
        text = searched.text(args) if searched is not None else None
        piece = searched.piece(text) if searched is not None and text else None
        if searched is None or piece is None or searched.field not in query:
            return None
        return searched, piece

    async def _served(
        self,
        samples: ValueSamples,
        span: Span,
        args: A,
        query: dict[str, Any],
        order: str = "created_at",
    ) -> tuple[dict[str, Any], Fetch[D]]:
        """What the database is asked for `query` read in `order`, and the fetch that checks
        the rest on what it finds (`_checked_query`); a search is asked of its pieces when
        that reads less (see `Searched`)."""
        served, checks = self._checked_query(args, query)
        searching = self._piece(args, query)
        if (
            searching is not None
            and order == "created_at"
            and await self._pieces_pay(samples, span, args, served, *searching)
        ):
            return self._pieces_asked(served, *searching, checks)
        found: Fetch[D] = reader(self.model.find)
        if not checks:
            return query, found
        # the search is checked here, never asked: with a `$regex` on an indexed field beside
        # them, SecantusDB reads that field's whole index (3.7 s at 100,000 tasks, measured)
        return served, _checked(found, checks)

    def _pieces_asked(
        self, served: dict[str, Any], searched: Searched[A], piece: str, checks: list[Check[D]]
    ) -> tuple[dict[str, Any], Fetch[D]]:
        """What the pieces' index is asked (the piece, with the filters it carries), and the
        fetch reading the documents it names with the rest of the filter."""
        asked = {k: v for k, v in served.items() if k in searched.carried}
        rest = {k: v for k, v in served.items() if k not in searched.carried}
        return asked | {searched.words: piece}, self._by_pieces(searched, rest, checks)

    async def _holders(
        self, samples: ValueSamples, span: Span, searched: Searched[A], piece: str
    ) -> tuple[float, float]:
        """How many documents hold `piece`, and how many there are, estimated from a sample
        of the field's values."""
        collection = self.model.get_pymongo_collection()
        sample = await samples.of(collection, searched.field, self.id_prefix, span.count)
        holding = sum(1 for v in sample.values if isinstance(v, str) and piece in v.casefold())
        return holding * sample.per, sample.size

    async def _pieces_pay(
        self,
        samples: ValueSamples,
        span: Span,
        args: A,
        served: dict[str, Any],
        searched: Searched[A],
        piece: str,
    ) -> bool:
        """Whether fewer documents hold `piece` (`_holders`) than match the rest of the filter
        (`served`, counted by the tallies; a filter they do not cover is taken to match a
        `UNTALLIED_SHARE` of the collection)."""
        if not searched.sampled or set(served) <= searched.carried:
            return True
        holders, size = await self._holders(samples, span, searched, piece)
        counted = await self.maintained(searched.without(args)) if self.maintained else None
        return holders <= (counted if counted is not None else size * UNTALLIED_SHARE)

    async def _rare_matches(
        self, samples: ValueSamples, span: Span, args: A, query: dict[str, Any], size: int
    ) -> list[D] | None:
        """Every match of a search rare enough that reading them all (about its holders)
        costs less than reading another order's ranges until they hold a page (about the
        page ÷ the search's share, as `_holders`² ≤ page × collection says); None: not rare
        enough, or no search."""
        searching = self._piece(args, query)
        if searching is None or not searching[0].sampled:
            return None
        holders, stored = await self._holders(samples, span, *searching)
        if holders > size and holders * holders > size * stored:
            return None
        served, checks = self._checked_query(args, query)
        asked, fetch = self._pieces_asked(served, *searching, checks)
        return await fetch(asked, None, 0)

    def _by_pieces(
        self, searched: Searched[A], rest: dict[str, Any], checks: list[Check[D]]
    ) -> Fetch[D]:
        """A fetch that asks the pieces' collection, then reads what it names by id with the
        rest of the filter (`lookup.by_ids`), in the pieces' order, keeping those passing
        `checks`."""
        ids_of = reader(
            lambda where: searched.pieces.get_pymongo_collection().find(where, {"_id": 1})
        )

        async def fetch(where: dict[str, Any], order: Any, limit: int) -> list[D]:
            ids = [str(found["_id"]) for found in await ids_of(where, order, limit)]
            if not ids:
                return []
            docs = {str(d.id): d for d in await by_ids(self.model, ids, rest)}
            return [docs[i] for i in ids if i in docs]

        return _checked(fetch, checks)

    async def _span(self, args: A) -> Span:
        if self.kind is None:
            return Span()
        totals = await tallies.read(self.kind)
        matches = await self.maintained(args) if self.maintained is not None else None
        return Span(totals.oldest, totals.newest, sum(totals.counts.values()), matches)

    def _count(self, args: A, query: dict[str, Any]) -> Count:
        maintained = self.maintained
        return counter(self.model, query, (lambda: maintained(args)) if maintained else None)

    async def newest_first(
        self,
        settings: Settings,
        samples: ValueSamples,
        args: A,
        limit: int | None,
        offset: int | None,
    ) -> list[D]:
        """OCTOSPINE's lists: newest first, by limit and offset (at most `MAX_LIST_OFFSET`;
        `samples`: this instance's samples of field values, see `page`)."""
        size, skip = list_window(settings.max_page_size, limit, offset)
        span = await self._span(args)
        served, fetch = await self._served(samples, span, args, self.query(args))
        page = await paginate(
            self.model,
            served,
            sort_field="created_at",
            descending=True,
            first=size,
            offset=skip,
            span=span,
            fetch=fetch,
        )
        return page.items

    async def page(
        self,
        settings: Settings,
        samples: ValueSamples,
        args: A,
        order: SortOrder,
        first: int,
        after: str | None,
    ) -> Page[D]:
        """A Relay connection's page: `first` documents in `order` after the cursor `after`
        (`samples`: this instance's samples of field values, for orders by value)."""
        size, _ = list_window(settings.max_page_size, first, 0)
        query = self.query(args)
        span: Span | None = None  # the tallies' span, read once and only when needed
        # (newest or oldest first, a search reads its pieces as it pages)
        if order.field != "created_at" and self._piece(args, query) is not None:
            span = await self._span(args)
            matches = await self._rare_matches(samples, span, args, query, size)
            if matches is not None:
                return self._page_of(matches, order, size, after, _counted(len(matches)))
        if order.field != "created_at":
            span = span if span is not None else await self._span(args)
            if query and span.matches is None:  # a filter the tallies do not count: few?
                few = await self._few_matches(samples, span, args, query, size, order.field)
                if isinstance(few, list):
                    page = self._page_of(few, order, size, after, _counted(len(few)))
                    return await self._loaded(page)
                if order.field not in TIME_FIELDS:  # sizes the ranges or the levels' windows
                    span = dataclasses.replace(span, matches=few)
        if order.field not in TIME_FIELDS:
            assert span is not None  # read above for every order but `createdAt`
            if self.levels is None or order.field != self.levels.field:
                return await self._by_value(samples, span, args, query, order, size, after)
            found = await self._by_level(
                samples, self.levels, args, order.descending, size + 1, after, span
            )
            return Page(
                items=[doc for _, doc in found[:size]],
                cursors=[
                    value_order.encode(level, doc.created_at, str(doc.id))
                    for level, doc in found[:size]
                ],
                count=self._count(args, query),
                has_next=len(found) > size,
                has_previous=bool(after),
            )
        span = span if span is not None else await self._span(args)
        served, fetch = await self._served(samples, span, args, query, order.field)
        return await paginate(
            self.model,
            served,
            sort_field=order.field,
            descending=order.descending,
            first=size,
            after=after,
            count=self._count(args, query),
            span=span,
            fetch=fetch,
        )

    async def _by_value(
        self,
        samples: ValueSamples,
        span: Span,
        args: A,
        query: dict[str, Any],
        order: SortOrder,
        size: int,
        after: str | None,
    ) -> Page[D]:
        """A page in the order of a field's values (`value_order`)."""
        name = order.field
        cursor = value_order.decode(after) if after else None
        if cursor is not None and not self._holds(name, cursor[0]):
            raise ValidationError("malformed cursor", field="after")
        collection = self.model.get_pymongo_collection()
        sample = await samples.of(collection, name, self.id_prefix, span.count)
        served, fetch = await self._served(samples, span, args, query, name)
        found = await value_order.by_value(
            fetch,
            lambda doc: value_order.place(doc, name),
            served,
            name,
            order.descending,
            size + 1,
            cursor,
            sample,
            span,
            nullable=type(None) in _types(self.model, name),
        )
        return _paged(found, size, after, _value_cursor(name), self._count(args, query))

    async def _few_matches(
        self,
        samples: ValueSamples,
        span: Span,
        args: A,
        query: dict[str, Any],
        size: int,
        field: str,
    ) -> list[Any] | int | None:
        """Every match of a filter the tallies do not count, when there are few, to be ordered
        here by `field`: read newest first in `created_at` windows (an equality the indexes
        serve with the time reads only its matches: an agent's, a parent's, a tag's tasks).
        Few is fewer than `SPARSE` pages, or fewer than √(page × collection) as the time
        those pages span estimates (`_spread_over`): reading them costs less than ranges of
        the order would (about the page ÷ the filter's share). Otherwise the estimate (None:
        unknown), which sizes the ranges. A filter the database is asked whole is read as
        stand-ins (`_stand_in`: id, time and `field`), whose page is loaded after."""
        want = SPARSE * size
        served, fetch = await self._served(samples, span, args, query)
        # never an estimate small enough for `by_value` to read every match unbounded
        least = want + SPARSE + 1
        if served is not query:  # checks or pieces: the documents themselves are needed
            found = await windows(self.model, served, "created_at", True, want, None, span, fetch)
            times = [doc.created_at for doc in found]
            return found if len(found) < want else _spread_over(span, times, least)
        collection = self.model.get_pymongo_collection()
        fields = {"created_at": 1, field: 1}
        stored = reader(lambda where: collection.find(where, fields))

        def key(doc: dict[str, Any]) -> tuple[Any, str]:
            return aware(doc["created_at"]), str(doc["_id"])

        timed = await windows_of(stored, key, served, "created_at", True, want, None, span)
        if len(timed) >= want:
            estimate = _spread_over(span, [key(doc)[0] for doc in timed], least)
            bound = math.isqrt(size * (span.count or 0))
            if estimate is None or estimate > bound:
                return estimate
            last = (timed[-1]["created_at"], str(timed[-1]["_id"]))
            timed += await windows_of(stored, key, served, "created_at", True, bound, last, span)
            if len(timed) >= bound:  # more than the estimate said: ranges after all
                return max(least, len(timed))
        return [_stand_in(doc, field) for doc in timed]

    async def _loaded(self, page: Page[Any]) -> Page[D]:
        """`page` with its stand-ins (`_stand_in`) replaced by their documents, read by id."""
        stand_ins = [item for item in page.items if not isinstance(item, self.model)]
        if not stand_ins:
            return page
        docs = {str(d.id): d for d in await by_ids(self.model, [i.id for i in stand_ins])}
        pairs = zip(page.items, page.cursors, strict=True)
        kept = [(docs[str(item.id)], c) for item, c in pairs if str(item.id) in docs]
        return dataclasses.replace(
            page, items=[item for item, _ in kept], cursors=[c for _, c in kept]
        )

    def _page_of(
        self, matches: list[D], order: SortOrder, size: int, after: str | None, count: Count
    ) -> Page[D]:
        """A page of `matches` (every match of the filter) in `order` after `after`, with the
        cursors the order's own reading gives (so the next page may be read either way)."""
        name = order.field
        if name in TIME_FIELDS:
            found = in_time_order(
                matches, name, order.descending, decode_time_cursor(after) if after else None
            )
            return _paged(found, size, after, _time_cursor(name), count)
        cursor = value_order.decode(after) if after else None
        if cursor is not None and not self._holds(name, cursor[0]):
            raise ValidationError("malformed cursor", field="after")
        found = value_order.in_order(
            matches, lambda d: value_order.place(d, name), order.descending, cursor
        )
        return _paged(found, size, after, _value_cursor(name), count)

    def _holds(self, name: str, value: Any) -> bool:
        """Whether a cursor's `value` is of the type the model stores in field `name` (so it
        compares with the stored values)."""
        if value is None:
            return True
        if isinstance(value, bool):
            return False
        if isinstance(value, str):
            return str in _types(self.model, name)
        return isinstance(value, int | float) and bool({int, float} & _types(self.model, name))

    async def _by_level(
        self,
        samples: ValueSamples,
        levels: Levels[A],
        args: A,
        descending: bool,
        want: int,
        after: str | None,
        whole: Span,
    ) -> list[tuple[int, D]]:
        """The first `want` matches (with their level) by level, then `created_at`, then id,
        after the cursor (`whole`: the span of the whole filter, with its matches estimated
        when the tallies do not count them, see `_few_matches`)."""
        at: tuple[int, tuple[datetime, str]] | None = None
        if after:
            mark, mark_time = value_order.decode(after)
            if not isinstance(mark, int) or isinstance(mark, bool):  # not of this order
                raise ValidationError("malformed cursor", field="after")
            at = mark, mark_time
        ordered = levels.narrow(args)
        found: list[tuple[int, D]] = []
        for level, narrowed in reversed(ordered) if descending else ordered:
            if at is not None and (level > at[0] if descending else level < at[0]):
                continue  # before the cursor's level
            within = at[1] if at is not None and level == at[0] else None
            span = await self._level_span(narrowed, whole)
            need = want - len(found)
            bound = await self._bound(levels, narrowed, span)
            if bound == 0:
                continue
            if span.matches is None and bound is not None and bound <= SPARSE * need:
                held = await self._level_whole(levels, narrowed)
                docs = in_time_order(held, "created_at", descending, within)[:need]
            else:
                span = _level_share(span, whole, bound, SPARSE * need + 1)
                query, fetch = await self._served(
                    samples, span, narrowed, self.query(narrowed), levels.field
                )
                docs = await windows(
                    self.model, query, "created_at", descending, need, within, span, fetch
                )
            found += [(level, doc) for doc in docs]
            if len(found) >= want:
                break
        return found

    async def _level_span(self, narrowed: A, whole: Span) -> Span:
        """A level's span: the whole filter's, read once for the page, with the level's own
        matches when the tallies count them."""
        matches = await self.maintained(narrowed) if self.maintained is not None else None
        return dataclasses.replace(whole, matches=matches, head=None)

    async def _bound(self, levels: Levels[A], narrowed: A, span: Span) -> int | None:
        """At most how many documents a level holds: its count when the tallies count the
        filter, else the count of the part they do (`Levels.tallied`); None: unknown."""
        if span.matches is not None or levels.tallied is None or self.maintained is None:
            return span.matches
        return await self.maintained(levels.tallied(narrowed))

    async def _level_whole(self, levels: Levels[A], narrowed: A) -> list[D]:
        """A level's matches, read from the few documents the counted part of its filter
        matches (an index serves that part with the time): their ids, then those documents by
        `_id` with the rest of the filter (`lookup.by_ids`), the search checked here."""
        assert levels.tallied is not None
        held = self.model.get_pymongo_collection().find(
            self.query(levels.tallied(narrowed)), {"_id": 1}
        )
        ids = [str(doc["_id"]) for doc in await held.to_list()]
        served, checks = self._checked_query(narrowed, self.query(narrowed))
        found = await by_ids(self.model, ids, served)
        return [doc for doc in found if all(check(doc) for check in checks)]


def _types(model: type[Document], name: str) -> set[type]:
    """The plain types a model's field may hold (`str | None` → {str, NoneType})."""
    annotation = model.model_fields[name].annotation
    return set(typing.get_args(annotation)) or {annotation}


def _stand_in(stored: dict[str, Any], field: str) -> SimpleNamespace:
    """A stored document's id, `created_at` and `field`, as a document's attributes: enough to
    order it and give its cursor (`value_order.place`, `in_time_order`)."""
    return SimpleNamespace(
        id=str(stored["_id"]),
        created_at=aware(stored["created_at"]),
        **{field: aware(stored.get(field))},
    )


def _level_share(span: Span, whole: Span, bound: int | None, least: int) -> Span:
    """A level's span with its matches estimated, when the tallies count neither: the whole
    filter's estimate × the level's share of what the tallies count (at least `least`, so
    its windows are never read whole on an estimate)."""
    if span.matches is not None or whole.matches is None:
        return span
    if bound is None or not whole.count:
        return span
    estimate = round(whole.matches * min(1.0, bound / whole.count))
    return dataclasses.replace(span, matches=max(least, estimate))


def _spread_over(span: Span, newest: list[datetime], least: int) -> int | None:
    """How many documents match, from the time the `newest` matches' `created_at` span
    against the collection's (at least `least`; None: unknown)."""
    if span.oldest is None or span.newest is None or span.newest <= span.oldest:
        return None
    reach = span.newest - min(newest)
    share = min(1.0, reach / (span.newest - span.oldest))
    return max(least, round(len(newest) / share)) if share > 0 else None


UNTALLIED_SHARE = 1 / 16
"""The share of a collection taken to match a filter the tallies do not count (an agent, a
tag, a parent: usually few), when choosing between reading it and reading a search's pieces."""


def _paged(
    found: list[D], size: int, after: str | None, cursor: Callable[[D], str], count: Count
) -> Page[D]:
    """A page of the first `size` of `found` (in order, after the cursor `after`; one more
    tells that a next page exists)."""
    return Page(
        items=found[:size],
        cursors=[cursor(doc) for doc in found[:size]],
        count=count,
        has_next=len(found) > size,
        has_previous=bool(after),
    )


def _time_cursor(name: str) -> Callable[[Any], str]:
    """A document's cursor in the order of the time field `name` (`paginate`'s)."""
    return lambda doc: encode_cursor(storage_value(getattr(doc, name)), str(doc.id))


def _value_cursor(name: str) -> Callable[[Any], str]:
    """A document's cursor in the order of field `name`'s values (`value_order`'s)."""
    return lambda doc: value_order.encode(
        storage_value(getattr(doc, name)), doc.created_at, str(doc.id)
    )


def _counted(total: int) -> Count:
    """The total of matches already read (all of them)."""

    async def count() -> int:
        return total

    return count


def _checked(fetch: Fetch[D], checks: list[Check[D]]) -> Fetch[D]:
    """`fetch`, keeping what passes every check (the database reads the window whole anyway,
    so it is asked for all of it, and the limit applies after the checks)."""

    async def checked(where: dict[str, Any], order: Any, limit: int) -> list[D]:
        kept = [d for d in await fetch(where, order, 0) if all(c(d) for c in checks)]
        return kept[:limit] if limit else kept

    return checked


def _holds_text(fields: tuple[str, ...], text: str) -> Callable[[Any], bool]:
    """Whether one of a document's `fields` holds `text`, in any case (as the filter's
    `query_filters.contains` asks the database)."""
    pattern = re.compile(literal(text), re.IGNORECASE)
    return lambda doc: any(pattern.search(str(getattr(doc, name))) for name in fields)


def _holds_all(name: str, wanted: set[Any]) -> Callable[[Any], bool]:
    """Whether a document's array field `name` holds every one of `wanted`."""
    return lambda doc: wanted <= set(getattr(doc, name) or ())
