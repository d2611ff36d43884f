"""Appending to and reading from the persisted event log.

Each event gets the next number of one counter document. Where the database has
transactions (SecantusDB, replica sets) the increment and the insert commit together, so two
writers touching the counter are serialised: sequence order *is* commit order on every
instance, and `after: <id>` has one meaning everywhere. Without transactions the appending
instance's lock (`EventLog`, owned by its real-time service) keeps that true within it.

Reading needs no state, so `replay`, `last_seq` and `oldest_seq` are plain functions.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import OperationFailure

from axonql.errors import ValidationError, clip
from axonql.models.base import utcnow
from axonql.models.event import EVENT_ID_PREFIX, Event, event_id
from axonql.subscriptions.filters import EventFilter

COUNTER_COLLECTION = "event_counters"
COUNTER_ID = "events"
REPLAY_BATCH = 500
_NO_TRANSACTIONS = 20  # IllegalOperation: "Transaction numbers are only allowed on a replica set"


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


async def _next_seq(session: Any = None) -> int:
    counters = Event.get_pymongo_collection().database[COUNTER_COLLECTION]
    doc = await counters.find_one_and_update(
        {"_id": COUNTER_ID},
        {"$inc": {"seq": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    assert doc is not None  # upsert=True always returns the document
    return int(doc["seq"])


def _build(
    seq: int,
    event_type: str,
    payload: dict[str, Any],
    retention: timedelta,
    subjects: dict[str, str | None],
) -> Event:
    now = utcnow()
    return Event(
        id=event_id(seq),
        seq=seq,
        type=event_type,
        payload=payload,
        created_at=now,
        updated_at=now,
        expires_at=now + retention,
        **subjects,
    )


async def _append_in_transaction(build: Any) -> Event:
    client = Event.get_pymongo_collection().database.client

    async def body(session: Any) -> Event:
        event: Event = build(await _next_seq(session))
        await event.insert(session=session)
        return event

    async with client.start_session() as session:
        result: Event = await session.with_transaction(body)
        return result


class EventLog:
    """The appending side of the log for one instance: its lock, and whether it has transactions.

    One per real-time service (so per app), never per process: two apps in one process append
    as two instances would.
    """

    def __init__(self) -> None:
        self.transactions: bool | None = None  # unknown until the first append
        self._lock: asyncio.Lock | None = None

    def _serialised(self) -> asyncio.Lock:
        # Created on first use, in the loop that appends (an app lives in one loop).
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def append(
        self,
        event_type: str,
        payload: dict[str, Any],
        subjects: dict[str, str | None],
        retention: timedelta,
    ) -> Event:
        """Number and store one event; returns it once committed."""

        def build(seq: int) -> Event:
            return _build(seq, event_type, payload, retention, subjects)

        async with self._serialised():
            if self.transactions is not False:
                try:
                    event = await _append_in_transaction(build)
                    self.transactions = True
                    return event
                except OperationFailure as exc:
                    if exc.code != _NO_TRANSACTIONS or self.transactions:
                        raise
                    self.transactions = False
            event = build(await _next_seq())
            await event.insert()
            return event


async def replay(after: int, where: EventFilter) -> AsyncIterator[Event]:
    """Every stored event after sequence number `after` matching `where`, oldest first."""
    last = after
    while True:
        query = {"seq": {"$gt": last}, **where.mongo_query()}
        batch = await Event.find(query).sort("+seq").limit(REPLAY_BATCH).to_list()
        for event in batch:
            if where.matches(event):
                yield event
            last = event.seq
        if len(batch) < REPLAY_BATCH:
            return


async def last_seq() -> int:
    """The sequence number of the newest committed event (0 before the first).

    The counter moves in the same transaction as the insert, so every event numbered up to
    this value is committed, and every later one commits after this read.
    """
    counters = Event.get_pymongo_collection().database[COUNTER_COLLECTION]
    counter = await counters.find_one({"_id": COUNTER_ID})
    return int(counter["seq"]) if counter else 0


async def last_event_id() -> str:
    """The id of the newest committed event (`evt_0` before the first): a resume point."""
    return event_id(await last_seq())


async def oldest_seq() -> int | None:
    """The sequence number of the oldest event still retained, if any."""
    first = await Event.find({}).sort("+seq").limit(1).to_list()
    return first[0].seq if first else None
