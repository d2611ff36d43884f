"""The persisted event log: numbering, storing, settling and reading events.

An event's number is taken with one `$inc` on a counter document, *outside* the transaction
that stores the event (and the change it reports): writers never meet inside a transaction
on one document, and nothing is serialised per process. A number is taken last, just before
the event is inserted and its transaction commits, so numbers mostly commit in order; but a
writer may commit after a higher number, or never (its transaction aborted, its process died).

So a number below the counter is *settled* when its event is stored or it is void. Readers
settle a gap by inserting a void (`VOID`) under the same `_id`: if the writer's transaction
already inserted that id, the void's insert waits until the transaction ends and then fails
(the event committed) or goes through (it aborted); if the writer has not inserted it yet,
its insert conflicts with the void and the writer retries under a new number. Either way,
once every number up to `n` has an event or a void, no event numbered `n` or below can ever
commit again: that is what `last_seq()` returns, and the one meaning `after:` has everywhere.
No clock is involved. The highest settled number is kept in a second counter document
(`SETTLED_ID`, moved only forward with `$max`, outside any transaction) so a reader looks at
the few numbers above it, not the whole log.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from datetime import timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import BulkWriteError, DuplicateKeyError, PyMongoError

from axonql.errors import ValidationError, clip
from axonql.models.base import utcnow
from axonql.models.event import EVENT_ID_PREFIX, Event, event_id
from axonql.subscriptions.filters import EventFilter

COUNTER_COLLECTION = "event_counters"
COUNTER_ID = "events"
SETTLED_ID = "events_settled"
VOID = "_VOID"
"""The type of a void: a number whose event never committed. Never delivered or replayed."""
VOID_RETENTION = timedelta(hours=1)  # far beyond any transaction's lifetime (60 s)
REPLAY_BATCH = 500
HOLE_PATIENCE = 0.05  # how long `last_seq` lets an in-flight number commit before voiding it
IN_FLIGHT_WAIT = 0.5  # how long `retained` waits for a taken number to be stored
MARK_STRIDE = 256  # `last_seq` records the settled point itself when it is this far behind
_DUPLICATE_KEY = 11000
TRANSIENT = "TransientTransactionError"  # the label of errors a unit of work retries
NO_TRANSACTIONS = 20  # IllegalOperation: "Transaction numbers are only allowed on a replica set"


def parse_event_id(value: str, field: str = "after") -> int:
    """The sequence number in `evt_…`; anything else is a VALIDATION_ERROR naming `field`."""
    digits = value[len(EVENT_ID_PREFIX) :] if value.startswith(EVENT_ID_PREFIX) else ""
    if not digits.isdigit() or len(digits) > 18:
        raise ValidationError(
            f"{field} must be an event id like {event_id(42)}",
            field=field,
            details={field: clip(value)},
        )
    return int(digits)


def _counters() -> Any:
    return Event.get_pymongo_collection().database[COUNTER_COLLECTION]


def draft(
    event_type: str,
    payload: dict[str, Any],
    subjects: dict[str, str | None],
    retention: timedelta,
) -> Event:
    """An event not numbered yet (`seq` 0); `store` numbers it."""
    now = utcnow()
    return Event(
        id="",
        seq=0,
        type=event_type,
        payload=payload,
        created_at=now,
        updated_at=now,
        expires_at=now + retention,
        **subjects,
    )


async def take(count: int = 1) -> int:
    """Reserve `count` consecutive numbers (one `$inc`, never in a transaction): the first."""
    doc = await _counters().find_one_and_update(
        {"_id": COUNTER_ID},
        {"$inc": {"seq": count}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    assert doc is not None  # upsert=True always returns the document
    return int(doc["seq"]) - count + 1


async def store(events: list[Event], session: Any = None) -> None:
    """Number `events` (in order) and insert them in `session`'s transaction, if any.

    The numbers are taken here, as late as possible: whoever waits behind them waits for
    one insert and the commit. A caller whose transaction then fails voids them (`void`).
    """
    first = await take(len(events))
    for offset, event in enumerate(events):
        event.seq = first + offset
        event.id = event_id(event.seq)
    try:
        if len(events) == 1:
            await events[0].insert(session=session)
        else:
            await Event.insert_many(events, session=session)
    except (DuplicateKeyError, BulkWriteError) as exc:
        if isinstance(exc, BulkWriteError) and any(
            error.get("code") != _DUPLICATE_KEY for error in exc.details.get("writeErrors", [])
        ):
            raise
        # A reader voided a number before its event got here (the writer was slower than the
        # reader's patience): the unit of work runs again, under new numbers.
        raise PyMongoError(
            "an event number was settled as void before its event was stored; retry",
            error_labels=[TRANSIENT],
        ) from exc


async def void(numbers: Iterable[int]) -> None:
    """Settle `numbers` whose events are not stored: each gets a void unless its event
    commits first (an insert racing a live transaction waits for it to end)."""
    now = utcnow()
    docs = [
        {
            "_id": event_id(seq),
            "seq": seq,
            "type": VOID,
            "payload": {},
            "created_at": now,
            "updated_at": now,
            "expires_at": now + VOID_RETENTION,
        }
        for seq in numbers
    ]
    if not docs:
        return
    try:
        await Event.get_pymongo_collection().insert_many(docs, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if any(error.get("code") != _DUPLICATE_KEY for error in errors):
            raise


async def _stored(numbers: list[int]) -> list[Event]:
    """The events (and voids) stored under `numbers`: one range on the `seq` index from the
    lowest to the highest (an `$in` reads the whole log on SecantusDB)."""
    if not numbers:
        return []
    wanted = set(numbers)
    found = await Event.find({"seq": {"$gte": min(numbers), "$lte": max(numbers)}}).to_list()
    return [event for event in found if event.seq in wanted]


async def settle(first: int, last: int) -> list[Event]:
    """Settle every number in `first..last` at once; the real events among them, in order."""
    numbers = list(range(first, last + 1))
    found = {event.seq: event for event in await _stored(numbers)}
    missing = [n for n in numbers if n not in found]
    if missing:
        await void(missing)
        found.update((event.seq, event) for event in await _stored(missing))
    return [found[n] for n in sorted(found) if found[n].type != VOID]


async def mark_settled(seq: int) -> None:
    """Record that every number up to `seq` is settled (only ever moves forward)."""
    await _counters().update_one({"_id": SETTLED_ID}, {"$max": {"seq": seq}}, upsert=True)


async def _marks() -> tuple[int, int]:
    found = {
        doc["_id"]: int(doc.get("seq", 0))
        async for doc in _counters().find({"_id": {"$in": [COUNTER_ID, SETTLED_ID]}})
    }
    return found.get(SETTLED_ID, 0), found.get(COUNTER_ID, 0)


async def _absent(low: int, high: int) -> list[int]:
    """Numbers in `low+1..high` with neither an event nor a void (yet)."""
    present: set[int] = set()
    async for doc in Event.get_pymongo_collection().find(
        {"seq": {"$gt": low, "$lte": high}}, {"_id": 0, "seq": 1}
    ):
        present.add(int(doc["seq"]))
    return [n for n in range(low + 1, high + 1) if n not in present]


async def last_seq() -> int:
    """The highest number up to which every event is committed or never will be (0 before
    the first): the resume point. Everything numbered above it commits after this call.

    Numbers taken but not yet committed get `HOLE_PATIENCE` to commit, then are voided (which
    waits for a transaction that already wrote its event, so nothing is voided that commits).
    """
    settled, high = await _marks()
    if high <= settled:
        return settled
    missing = await _still_missing(await _absent(settled, high), HOLE_PATIENCE)
    if missing:
        await void(missing)
    if missing or high - settled >= MARK_STRIDE:  # else the feeds' marks keep it close enough
        await mark_settled(high)
    return high


async def _still_missing(numbers: list[int], patience: float) -> list[int]:
    """Which of `numbers` (taken, not stored) are still not stored after up to `patience`
    seconds of looking again: an in-flight writer's commits meanwhile."""
    deadline = time.monotonic() + patience
    while numbers and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
        present = {event.seq for event in await _stored(numbers)}
        numbers = [n for n in numbers if n not in present]
    return numbers


async def last_event_id() -> str:
    """The id of the newest settled event (`evt_0` before the first): a resume point."""
    return event_id(await last_seq())


async def replay(after: int, where: EventFilter, upto: int | None = None) -> AsyncIterator[Event]:
    """Every stored event numbered in `after+1..upto` matching `where`, oldest first.

    Only a settled range (up to `last_seq()`) is complete; `upto=None` reads what is there.
    """
    last = after
    bound: dict[str, int] = {} if upto is None else {"$lte": upto}
    while True:
        query = {"seq": {"$gt": last, **bound}, **where.mongo_query()}
        batch = await Event.find(query).sort("+seq").limit(REPLAY_BATCH).to_list()
        for event in batch:
            if event.type != VOID and where.matches(event):
                yield event
            last = event.seq
        if len(batch) < REPLAY_BATCH:
            return


RETAINED_PROBE = 64
"""How many numbers below a resume point are looked at for a retained event (or void)."""


async def _present(seq: int) -> bool:
    return await Event.find_one({"seq": seq}) is not None


async def retained(after: int) -> bool:
    """Whether the log still holds what follows `after`: an event (or void) numbered in
    `after-63..after+1`, or nothing numbered above `after` yet. Every read is an indexed
    equality or a short range, whatever the log's length (sorting the whole log for its
    oldest number read every event on SecantusDB).

    A resume point read a moment ago, with the events before it gone from the log, can see
    `after+1` taken by a writer that has not committed yet: that number is waited for (it
    commits, or is voided by its writer or by a feed settling a dead writer's gap) for up to
    `IN_FLIGHT_WAIT`; one that does not come has expired.
    """
    low = max(1, after + 1 - RETAINED_PROBE)
    if await Event.find_one({"seq": {"$gte": low, "$lte": after + 1}}) is not None:
        return True
    _settled, high = await _marks()
    return after >= high or not await _still_missing([after + 1], IN_FLIGHT_WAIT)


async def oldest_after(after: int) -> int | None:
    """The lowest number above `after` still in the log, found by bisection on indexed
    equalities (numbers are contiguous from the oldest retained one up, events or voids)."""
    _settled, high = await _marks()
    if high <= after or not await _present(high):
        return None
    low = after + 1  # absent; `high` present
    while high - low > 1:
        middle = (low + high) // 2
        if await _present(middle):
            high = middle
        else:
            low = middle
    return high


class EventLog:
    """What one instance knows about its database's log: whether it has transactions.

    One per real-time service (so per app); `None` until the first write finds out.
    """

    def __init__(self) -> None:
        self.transactions: bool | None = None
