"""The event log as pages: `events` and each entity's `events`, newest or oldest first.

Cost grows with the page, not the log. SecantusDB reads every document a filter matches before
it sorts and limits, and serves only an equality that is exactly an index's prefix (never `$in`
or `$or`), so a page is read in windows of sequence numbers: `{<one equality>, seq: (lo, hi]}`
served by the compound index `(<field>, seq)` (or `seq` alone), each window matching at most its
width. An empty window doubles the next one, so a sparse subject costs a few more short reads,
never a scan; after one that read events, the next is as wide as their density says the rest
of the page needs. The equality is the first subject id of the filter, else one read per
event type; whatever else the filter asks is checked on what those reads return.

Pages end at the log's settled point (`log.last_seq`): an event still committing below it can
never appear later in a page already read, and a cursor (an event id) is also a resume point
for a subscription's `after`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axonql.models.event import SUBJECT_FIELDS, Event
from axonql.subscriptions import log as event_log
from axonql.subscriptions.filters import EventFilter

MAX_WINDOW = 1 << 40  # beyond any log: the last window reaches the start


@dataclass(frozen=True)
class EventPage:
    """Events in the order asked for, and whether more follow the last one."""

    events: list[Event]
    has_next: bool


def _equalities(where: EventFilter) -> list[dict[str, Any]]:
    """The index-served equalities whose reads together cover `where`."""
    for name in SUBJECT_FIELDS:
        if name in where.subjects:
            return [{name: where.subjects[name]}]
    if where.types is not None:
        return [{"type": t} for t in sorted(where.types)]
    return [{}]


async def _window(equalities: list[dict[str, Any]], low: int, high: int) -> list[Event]:
    """Every event numbered in `low+1..high` for any of the equalities, by number."""
    found: list[Event] = []
    for equality in equalities:
        query = {**equality, "seq": {"$gt": low, "$lte": high}}
        found.extend(await Event.find(query).to_list())
    return sorted(found, key=lambda event: event.seq)


async def page(
    where: EventFilter, first: int, after: int | None = None, *, newest_first: bool = True
) -> EventPage:
    """Up to `first` matching events after the cursor `after` (a sequence number) in the
    order asked for; oldest first they end at the settled point, where a stream resumes."""
    settled = await event_log.last_seq()
    equalities = _equalities(where)
    wanted = first + 1  # one more says whether a next page exists
    taken: list[Event] = []
    width = wanted
    if newest_first:
        high = settled if after is None else min(settled, after - 1)
        while high > 0 and len(taken) < wanted:
            low = max(0, high - width)
            batch = await _window(equalities, low, high)
            taken.extend(e for e in reversed(batch) if _delivered(e, where))
            width = _next_width(width, len(batch), wanted - len(taken))
            high = low
    else:
        # from the oldest number still in the log (bisection on equalities), not from 1
        low = max(after or 0, (await event_log.oldest_after(after or 0) or 1) - 1)
        while low < settled and len(taken) < wanted:
            high = min(settled, low + width)
            batch = await _window(equalities, low, high)
            taken.extend(e for e in batch if _delivered(e, where))
            width = _next_width(width, len(batch), wanted - len(taken))
            low = high
    return EventPage(events=taken[:first], has_next=len(taken) > first)


def _next_width(width: int, read: int, missing: int) -> int:
    """The next window: doubled after an empty one; else as wide as the density just seen
    says the missing events need (so a dense stretch is not read far past the page)."""
    if read == 0:
        return min(width * 2, MAX_WINDOW)
    return min(max(missing, 1) * max(1, width // read) + missing, MAX_WINDOW)


def _delivered(event: Event, where: EventFilter) -> bool:
    return event.type != event_log.VOID and where.matches(event)
