"""The queue's head: the first queued tasks by priority then age, read without sorting the
backlog.

SecantusDB reads every document a filter matches before it sorts, so sorting the queued tasks
made a claim cost the whole backlog (480 ms with 10,000 queued). Instead the tallies keep, per
priority, how many tasks are queued and a `created_at` at or below the oldest of them
(`tallies.QueueHead`): queueing lowers it in its own transaction, and `advance` (the reaper's
pass) raises it to the oldest task still queued and notes how far the first `SAMPLE` of them
reach. A claim reads each priority that has tasks queued, highest first, in `created_at`
windows from there (`pagination.windows_of`) on the index (status, priority_rank, created_at):
it reads about the tasks it returns. The first window is open below, so a task queued below
the low (a retry keeps its `created_at`) is still read first: the low places and sizes the
windows, it decides nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import PyMongoError

from axonql import models
from axonql.models.base import utcnow
from axonql.models.task import PRIORITY_RANK, TaskPriority, TaskStatus
from axonql.services import pagination, tallies
from axonql.services.events import Change, atomically, conflicted

SAMPLE = 16  # the head's first tasks whose reach `advance` notes (a claim's first window)
_QUEUED = TaskStatus.QUEUED.value
_PRIORITIES = frozenset(priority.value for priority in TaskPriority)


async def first_tasks(
    offered: list[str], want: int, session: AsyncClientSession | None = None
) -> list[dict[str, Any]]:
    """The first `want` queued tasks whose required capabilities are all in `offered`, by
    priority (highest first) then age, as stored (read in `session`). Priorities with nothing
    queued are not read at all."""
    heads = await tallies.queue_heads(session)
    fetch = pagination.raw_reader(models.Task.get_pymongo_collection(), session)
    found: list[dict[str, Any]] = []
    for priority in sorted(TaskPriority, key=PRIORITY_RANK.__getitem__, reverse=True):
        head = heads.get(priority.value)
        if head is not None and head.count > 0:
            found += await _oldest(fetch, priority, head, offered, want - len(found))
        if len(found) >= want:
            break
    return found


async def advance() -> int:
    """Raise each priority's low to the `created_at` of its oldest task still queued, noting
    how far its first `SAMPLE` reach; drop it where nothing is queued. A low a claim's first
    window still reaches past is left, and a reach within 2× of the noted one is not noted
    again, so a busy queue is not written every pass. Returns how many tally documents it
    wrote. One unit of work; a pass that meets a concurrent writer is skipped (the next one
    raises it)."""

    async def move(unit: Change) -> int:
        fetch = pagination.raw_reader(models.Task.get_pymongo_collection(), unit.session)

        async def locate(priority: str, head: tallies.QueueHead) -> tallies.HeadMove | None:
            if priority not in _PRIORITIES:
                return None
            oldest = await _oldest(fetch, TaskPriority(priority), head, None, SAMPLE)
            if not oldest:
                return None
            low: datetime = pagination.aware(oldest[0]["created_at"])
            full = len(oldest) == SAMPLE
            reach = pagination.aware(oldest[-1]["created_at"]) - low if full else None
            if head.low is not None and reach is not None and low - head.low <= reach:
                low = head.low  # a claim's first window still reaches it: nothing to write
            return tallies.HeadMove(low, reach)

        return await tallies.advance_queue(locate, unit.session)

    try:
        return await atomically(move, retry=False)
    except PyMongoError as exc:
        if not conflicted(exc):
            raise
        return 0


async def _oldest(
    fetch: pagination.Fetch[dict[str, Any]],
    priority: TaskPriority,
    head: tallies.QueueHead,
    offered: list[str] | None,
    want: int,
) -> list[dict[str, Any]]:
    """The oldest `want` queued tasks of one priority (that `offered` can run, if given).

    The capabilities are checked here, not in the query: with that condition in it, SecantusDB
    serves a window from the `created_at` index alone and reads every task of the window's
    time, finished ones included (390 ms instead of 6 with 20,000 finished tasks below an
    open first window); without it, `(status, priority_rank, created_at)` serves the window.
    """
    query = {"status": _QUEUED, "priority_rank": PRIORITY_RANK[priority]}
    if offered is not None:
        fetch = _runnable(fetch, set(offered))
    reach = (head.spread, SAMPLE) if head.spread is not None else None
    span = pagination.Span(head.low, utcnow(), head.count, head.count, reach)
    return await pagination.windows_of(fetch, _age, query, "created_at", False, want, None, span)


def _runnable(
    fetch: pagination.Fetch[dict[str, Any]], offered: set[str]
) -> pagination.Fetch[dict[str, Any]]:
    """`fetch`, keeping only the tasks whose required capabilities are all in `offered`. It
    reads whole windows: a limit before the check could cut off tasks that pass it."""

    async def runnable(where: dict[str, Any], order: Any, limit: int) -> list[dict[str, Any]]:
        found = [
            stored
            for stored in await fetch(where, order, 0)
            if offered.issuperset(stored.get("required_capabilities") or ())
        ]
        return found[:limit] if limit else found

    return runnable


def _age(stored: dict[str, Any]) -> tuple[Any, str]:
    return pagination.aware(stored["created_at"]), str(stored["_id"])
