"""The one write path: a state change and its events commit together, then reach the fan-out.

Services write through `atomically(body)`. `body(change)` makes its writes with
`session=change.session` and reports them with `emit(...)`; at the end the events are given
their subjects as they now stand (`subscriptions.snapshots`), numbered (see
`subscriptions.log`), inserted in the same transaction together with the counts they and the
body change (`services.tallies`, one write to the unit's own shard, see `shard_slots`), and
committed; only then are they handed to the fan-out. A transient conflict (another writer on
the same document) aborts the transaction and runs `body` again, so a body must only read and
write through its session and keep no effects outside it. A unit of work started inside another
joins it. Each try holds one of the instance's `write_concurrency` slots (`RealTime.write_slots`,
see `database.suited_write_concurrency`): the others wait for one before their transaction
starts.

Where the database has no transactions (a standalone mongod) the same call runs in two steps,
the change and then its events: a crash between them loses the events (see README).

`emit` is called from deep inside services that are not handed the app, so the app binds its
real-time service for the work it runs (`bound`: each request, via `app_scope.BindRealTime`,
and the lifespan's background tasks). The binding is a context variable, so two apps in one
process never see each other's; nothing is kept per module.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import OperationFailure, PyMongoError

from axonql.errors import Conflict
from axonql.models import Event
from axonql.services import memory_terms, name_pieces, tallies
from axonql.subscriptions import log as event_log
from axonql.subscriptions import snapshots
from axonql.subscriptions.log import EventLog

if TYPE_CHECKING:
    from axonql.subscriptions.realtime import RealTime

KEPT_WORDS = (
    name_pieces.PIECES,
    name_pieces.AGENTS,
    name_pieces.SYSTEMS,
    name_pieces.POPULATIONS,
    name_pieces.USERS,
    memory_terms.TERMS,
)
"""The words kept beside collections from their events (`kept_words`): written with the
events and the tallies."""


async def rebuild_kept() -> None:
    """What units of work keep beside the documents (the tallies, the kept words) recounted
    from the stored documents: after documents are written around the services (a bulk
    import, the demo). Never per request."""
    await tallies.rebuild()
    for kept in KEPT_WORDS:
        await kept.rebuild()


T = TypeVar("T")

DEFAULT_RETENTION = timedelta(days=7)
RETRY_SECONDS = 10.0  # how long a unit of work retries transient conflicts before giving up
STORE_ATTEMPTS = 5  # without transactions: numbers tried for one event (see `log.store`)

_bound: ContextVar[RealTime | None] = ContextVar("axonql_realtime", default=None)
_change: ContextVar[Change | None] = ContextVar("axonql_change", default=None)


@contextmanager
def bound(service: RealTime | None) -> Iterator[None]:
    """`emit` in this context (and tasks started from it) goes through `service`."""
    token = _bound.set(service)
    try:
        yield
    finally:
        _bound.reset(token)


def current() -> RealTime | None:
    """The real-time service bound to this context, if any."""
    return _bound.get()


class Change:
    """One unit of work in progress: the session its writes use (`None` without transactions),
    the events it will commit, the counts it changes beside them, and its tally shard."""

    def __init__(
        self, session: AsyncClientSession | None, retention: timedelta, shard: int | None = None
    ) -> None:
        self.session = session
        self.retention = retention
        self.shard = shard
        self.events: list[Event] = []
        self.deltas = tallies.Deltas()
        self.written: dict[tuple[str, str], dict[str, Any]] = {}
        self.open = True

    def wrote(self, subject: str, stored: dict[str, Any]) -> None:
        """Note a subject as this unit of work left it (`stored`: its stored form, `_id` and
        all; `subject`: its snapshot name, "task"), so its events' snapshot needs no read."""
        self.written[(subject, str(stored["_id"]))] = stored

    def count(self, deltas: tallies.Deltas) -> None:
        """Add counts that change without an event; written with the events' at commit."""
        self.deltas.merge(deltas)

    def counts(self) -> tallies.Deltas:
        """Everything this unit of work changes in the tallies: its events' and its own."""
        total = tallies.Deltas()
        for event in self.events:
            total.merge(tallies.deltas_of(event))
        total.merge(self.deltas)
        return total

    def emit(
        self,
        event_type: str,
        payload: dict[str, Any] | None = None,
        *,
        retention: timedelta | None = None,
        **subjects: str | None,
    ) -> Event:
        """Add one event; it is numbered (`id`, `seq`) when the unit of work commits."""
        event = event_log.draft(
            str(event_type), payload or {}, subjects, retention or self.retention
        )
        self.events.append(event)
        return event


def shares_transactions() -> bool:
    """Whether this context's units of work are known to run in transactions (so several can
    share one, `group_commit`): not before the first has run, nor without an app bound."""
    service = _bound.get()
    return service is not None and service.log.transactions is True


def joined() -> Change | None:
    """The unit of work this context is inside, if any (a task it spawned is not)."""
    change = _change.get()
    return change if change is not None and change.open else None


async def atomically(body: Callable[[Change], Awaitable[T]], *, retry: bool = True) -> T:
    """Run `body` as one unit of work (see the module docstring); its result once committed.

    `retry=False` hands a transient conflict to the caller (a PyMongoError labelled
    `TransientTransactionError`, see `conflicted`) instead of running `body` again: for a
    caller that would rather try something else, as a claim tries another task.
    """
    outer = joined()
    if outer is not None:
        return await body(outer)
    service = _bound.get()
    log = service.log if service is not None else EventLog()
    retention = service.retention if service is not None else DEFAULT_RETENTION
    events: list[Event]
    if log.transactions is False:
        result, events = await _two_steps(body, retention)
    else:
        try:
            result, events = await _in_transaction(body, retention, retry, service)
            log.transactions = True
        except OperationFailure as exc:
            if exc.code != event_log.NO_TRANSACTIONS or log.transactions:
                raise
            log.transactions = False
            result, events = await _two_steps(body, retention)
    if service is not None:
        for event in events:
            await service.publish(event)
    return result


async def emit(
    event_type: str,
    payload: dict[str, Any] | None = None,
    *,
    retention: timedelta | None = None,
    **subjects: str | None,
) -> Event:
    """Record one event; subjects are `task_id=…`, `agent_id=…` and the like.

    Inside a unit of work the event joins it (and is numbered when it commits); on its own
    it is a unit of work of one event, committed when this returns. Outside any app (a script,
    a benchmark, a test's own writes) it is only committed: instances following the log's
    change stream see it as they see any other writer's.
    """
    change = joined()
    if change is not None:
        return change.emit(event_type, payload, retention=retention, **subjects)

    async def alone(change: Change) -> Event:
        return change.emit(event_type, payload, retention=retention, **subjects)

    return await atomically(alone)


def conflicted(exc: BaseException) -> bool:
    """Whether `exc` is a transient conflict with another writer (worth trying again)."""
    return isinstance(exc, PyMongoError) and exc.has_error_label("TransientTransactionError")


async def _in_transaction(
    body: Callable[[Change], Awaitable[T]],
    retention: timedelta,
    retry: bool,
    service: RealTime | None,
) -> tuple[T, list[Event]]:
    deadline = time.monotonic() + RETRY_SECONDS
    backoff = 0.002
    while True:
        gate = service.write_slots if service is not None else contextlib.nullcontext()
        try:
            async with gate:  # one of the instance's `write_concurrency` slots per try
                return await _try_once(body, retention, service)
        except PyMongoError as exc:
            if not retry or not exc.has_error_label("TransientTransactionError"):
                raise
            if time.monotonic() > deadline:
                raise Conflict("too many concurrent changes to the same data; retry") from exc
        await asyncio.sleep(backoff * random.random())
        backoff = min(backoff * 2, 0.1)


async def _try_once(
    body: Callable[[Change], Awaitable[T]], retention: timedelta, service: RealTime | None
) -> tuple[T, list[Event]]:
    """One transaction: `body`, then its events and counts, committed (or abandoned)."""
    client = Event.get_pymongo_collection().database.client
    slots = service.shard_slots if service is not None else None
    shard = slots.take() if slots is not None else None
    async with client.start_session() as session:
        change = Change(session, retention, shard)
        token = _change.set(change)
        try:
            await session.start_transaction()
            result = await body(change)
            await _commit(change, session)
            return result, change.events
        except BaseException:
            await _abandon(change, session)
            raise
        finally:
            change.open = False
            _change.reset(token)
            if slots is not None and shard is not None:
                slots.give_back(shard)  # the transaction has ended either way


async def _commit(change: Change, session: AsyncClientSession) -> None:
    """Snapshot the subjects, number and insert the events, write the counts and the kept
    words, and commit."""
    if change.events:
        await snapshots.attach(change.events, session, change.written)
        await event_log.store(change.events, session)
    await tallies.apply(change.counts(), session, change.shard)
    for kept in KEPT_WORDS:
        await kept.apply(change.events, session)
    for attempt in range(3):
        try:
            await session.commit_transaction()
            return
        except PyMongoError as exc:
            # the driver retries a commit once by itself; a commit is idempotent, so again
            if attempt == 2 or not exc.has_error_label("UnknownTransactionCommitResult"):
                raise


async def _abandon(change: Change, session: AsyncClientSession) -> None:
    """Abort, and void the numbers taken (readers need not wait for them): best effort."""
    with contextlib.suppress(PyMongoError):
        if session.in_transaction:
            await session.abort_transaction()
    numbers = [event.seq for event in change.events if event.seq]
    for event in change.events:
        event.seq, event.id = 0, ""
    if numbers:
        with contextlib.suppress(PyMongoError, TimeoutError):
            async with asyncio.timeout(5):
                await event_log.void(numbers)


async def _two_steps(
    body: Callable[[Change], Awaitable[T]], retention: timedelta
) -> tuple[T, list[Event]]:
    """Without transactions: the change, then its events (each write atomic on its own)."""
    change = Change(None, retention)
    token = _change.set(change)
    try:
        result = await body(change)
    finally:
        change.open = False
        _change.reset(token)
    if change.events:
        await snapshots.attach(change.events, known=change.written)
    for event in change.events:  # one by one: a number voided meanwhile costs only its event
        for attempt in range(STORE_ATTEMPTS):
            try:
                await event_log.store([event])
                break
            except PyMongoError as exc:
                if attempt + 1 == STORE_ATTEMPTS or not exc.has_error_label(event_log.TRANSIENT):
                    raise
    await tallies.apply(change.counts())
    for kept in KEPT_WORDS:
        await kept.apply(change.events)
    return result, change.events
