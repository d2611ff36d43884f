"""The queue's heads: per priority, how many tasks are queued and a `created_at` at or below the
oldest of them, kept by the writes that queue and claim, where claims start reading.

How many documents a claim reads with a deep backlog is measured in `test_flat_reads.py`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from axonql import models
from axonql.models.base import utcnow
from axonql.models.task import TaskPriority
from axonql.services import queue, queue_heads, tallies
from axonql.services.pagination import aware
from tests.agents_support import FAIL, claim, queued_task, register
from tests.support import GraphQLClient, RequestCommands

MEDIUM = TaskPriority.MEDIUM.value


async def created(task_id: str) -> datetime:
    raw = await models.Task.get_pymongo_collection().find_one({"_id": task_id})
    assert raw is not None
    stamp: datetime = aware(raw["created_at"])
    return stamp


async def head(priority: str = MEDIUM) -> tallies.QueueHead | None:
    return (await tallies.queue_heads()).get(priority)


async def test_queueing_lowers_the_head_and_advancing_raises_it_to_the_oldest_queued(
    gql: GraphQLClient, admin_token: str
) -> None:
    _, key = await register(gql, admin_token, "head worker", [], max_concurrent=5)
    first, second, third = [await queued_task(gql, admin_token) for _ in range(3)]
    assert await head() == tallies.QueueHead(3, await created(first))

    claimed = await claim(gql, key)
    assert claimed is not None and claimed["id"] == first
    await queue_heads.advance()
    assert await head() == tallies.QueueHead(2, await created(second))

    # a retry keeps the task's `created_at`: queued again, it lowers the head below the
    # advanced one, and it is the next claimed (the oldest of its priority)
    failed = await gql(FAIL, {"id": first, "e": "flaky", "retry": True}, key)
    assert failed["data"]["failTask"]["status"] == "QUEUED", failed
    assert await head() == tallies.QueueHead(3, await created(first))
    again = await claim(gql, key)
    assert again is not None and again["id"] == first

    for expected in (second, third):
        claimed = await claim(gql, key)
        assert claimed is not None and claimed["id"] == expected
    await queue_heads.advance()
    assert await head() == tallies.QueueHead(0, None)  # nothing queued: no low left


async def test_advancing_notes_how_far_the_first_tasks_reach(
    gql: GraphQLClient, admin_token: str
) -> None:
    """The spread of the oldest `CLAIM_SPREAD` sizes a claim's first window: a backlog queued
    in a burst long ago and a trickle since is read from the burst, not across the gap."""
    _, key = await register(gql, admin_token, "reach worker", [], max_concurrent=5)
    tasks = [await queued_task(gql, admin_token) for _ in range(queue_heads.SAMPLE + 2)]
    start = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
    for i, task_id in enumerate(tasks):  # one second apart, so the reach is exact
        await models.Task.get_pymongo_collection().update_one(
            {"_id": task_id}, {"$set": {"created_at": start + timedelta(seconds=i)}}
        )
    await tallies.rebuild()
    await queue_heads.advance()
    reach = timedelta(seconds=queue_heads.SAMPLE - 1)
    assert await head() == tallies.QueueHead(len(tasks), start, reach)

    # a head that moved less than its reach is not written again (a busy queue would be
    # written every pass)
    claimed = await claim(gql, key)
    assert claimed is not None and claimed["id"] == tasks[0]
    assert await queue_heads.advance() == 0
    assert await head() == tallies.QueueHead(len(tasks) - 1, start, reach)


async def test_a_task_below_its_head_is_still_claimed_first(
    gql: GraphQLClient, admin_token: str
) -> None:
    """The first window a claim reads is open below the head: a low placed too high (by a
    writer that bypassed the tallies, say) costs reads, never a task."""
    _, key = await register(gql, admin_token, "low worker", [], max_concurrent=5)
    tasks = [await queued_task(gql, admin_token) for _ in range(20)]
    future = (utcnow() + timedelta(days=1)).replace(microsecond=0)

    async def above_all(priority: str, head: tallies.QueueHead) -> tallies.HeadMove:
        return tallies.HeadMove(future, None)

    assert await tallies.advance_queue(above_all) >= 1
    assert await head() == tallies.QueueHead(20, future)
    for expected in tasks[:3]:
        claimed = await claim(gql, key)
        assert claimed is not None and claimed["id"] == expected


async def test_priorities_with_nothing_queued_are_not_read(
    gql: GraphQLClient, admin_token: str, request_commands: RequestCommands
) -> None:
    _, key = await register(gql, admin_token, "priority worker", [], max_concurrent=5)
    low = await queued_task(gql, admin_token, priority="LOW")
    critical = await queued_task(gql, admin_token, priority="CRITICAL")
    heads = await tallies.queue_heads()
    assert {p: h.count for p, h in heads.items() if h.count} == {"low": 1, "critical": 1}
    claimed = [await claim(gql, key) for _ in range(2)]
    assert [c["id"] for c in claimed if c is not None] == [critical, low]
    request_commands.names.clear()
    assert await claim(gql, key) is None
    assert "find tallies" in request_commands.names
    assert "find tasks" not in request_commands.names, request_commands.names


async def test_a_database_counted_before_queue_heads_gets_them_at_start(
    gql: GraphQLClient, admin_token: str
) -> None:
    """An instance starting on a database whose tallies have no queue heads yet (written by an
    older version) recounts them, so its claims find the tasks already queued."""
    _, key = await register(gql, admin_token, "upgrade worker", [], max_concurrent=5)
    waiting = await queued_task(gql, admin_token)
    for kind in (tallies.QUEUE, tallies.QUEUE_LOWS):
        await models.Tally.get_pymongo_collection().delete_many({"kind": kind})
    assert await head() is None
    await tallies.ensure()
    assert await head() == tallies.QueueHead(1, await created(waiting))
    claimed = await claim(gql, key)
    assert claimed is not None and claimed["id"] == waiting


def test_claimers_that_met_spread_out_within_the_highest_priority() -> None:
    """After a write conflict a claim picks at random among the head's free tasks, but never a
    lower priority's before a higher one's."""
    free: list[dict[str, Any]] = [{"_id": f"c{i}", "priority_rank": 3} for i in range(3)]
    free += [{"_id": f"l{i}", "priority_rank": 0} for i in range(10)]
    seen: set[str] = set()
    for _ in range(50):
        picked = queue._spread(free, 2)
        assert [p["priority_rank"] for p in picked] == [3, 3]
        seen.update(p["_id"] for p in picked)
        assert [p["priority_rank"] for p in queue._spread(free, 5)] == [3, 3, 3, 0, 0]
    assert seen == {"c0", "c1", "c2"}  # spread over all of them
