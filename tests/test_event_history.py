"""The event log as a query reads about as many documents at 3,000 events as at 300.

As in tests/test_flat_reads.py: every filter the requests sent to the events collection is
counted again afterwards (SecantusDB reads every document a filter matches before it sorts and
limits), and each must be one an index serves there: one equality that is an index's prefix,
and a range on `seq` (never `$in` or `$or`). No timing.
"""

from __future__ import annotations

from typing import Any

from axonql import models
from axonql.services.events import emit
from axonql.subscriptions import log as event_log
from tests.support import GraphQLClient, RequestCommands, error_codes

SMALL, LARGE = 300, 3_000
RARE = "task_rare"  # three events, at the very start of the log
INDEXED = {"type", "task_id", "agent_id", "system_id", "user_id", "population_id", "memory_id"}


async def seed(n: int) -> str:
    """n events spread over ten tasks, after three of `RARE`; the id of the 100th newest."""
    for step in range(3):
        await emit("TASK_STATE_CHANGED", {"status": "created", "step": step}, task_id=RARE)
    drafts = [
        event_log.draft(
            "LOG_ENTRY" if i % 3 else "TASK_PROGRESS",
            {"level": "info", "progress": i % 100},
            {"task_id": f"task_{i % 10}"},
            event_log.VOID_RETENTION,
        )
        for i in range(n)
    ]
    for start in range(0, n, 1000):
        await event_log.store(drafts[start : start + 1000])
    await event_log.mark_settled(drafts[-1].seq)
    return drafts[-100].id


READS = {
    "newest page": "{ events(first: 20) { edges { cursor } } }",
    "oldest page": "{ events(first: 20, order: OLDEST_FIRST) { edges { cursor } } }",
    "by type": "{ events(first: 20, types: [TASK_PROGRESS]) { edges { cursor } } }",
    "by two types": (
        "{ events(first: 20, types: [TASK_PROGRESS, TASK_STATE_CHANGED]) { edges { cursor } } }"
    ),
    "a busy subject": '{ events(first: 20, taskId: "task_3") { edges { cursor } } }',
    "a sparse subject": f'{{ events(first: 20, taskId: "{RARE}") {{ edges {{ cursor }} }} }}',
    "an entity's events": (
        f'{{ task(id: "{RARE}") {{ events(first: 5) {{ edges {{ node {{ type }} }} }} }} }}'
    ),
    "after a deep cursor": (
        "query($after: ID) { events(first: 20, after: $after) { edges { cursor } } }"
    ),
}


async def matched(commands: list[dict[str, Any]]) -> int:
    """Documents the events filters match; each filter must be index-served (see above)."""
    collection = models.Event.get_pymongo_collection()
    total = 0
    for command in commands:
        if command.get("find") != collection.name:
            continue
        where = command.get("filter") or {}
        equalities = set(where) - {"seq"}
        assert len(equalities) <= 1 and equalities <= INDEXED, where
        assert all(not isinstance(v, dict) for k, v in where.items() if k != "seq"), where
        total += await collection.count_documents(where)
    return total


async def test_history_reads_do_not_grow_with_the_log(
    gql: GraphQLClient, request_commands: RequestCommands, admin_token: str
) -> None:
    measured: dict[int, dict[str, int]] = {}
    for n in (SMALL, LARGE):
        await models.Event.get_pymongo_collection().delete_many({})
        await models.Task.get_pymongo_collection().delete_many({})
        await models.Task(id=RARE, name="rare").insert()
        deep = await seed(n)
        found: dict[str, int] = {}
        for name, read in READS.items():
            with request_commands.kept():
                body = await gql(read, {"after": deep} if "$after" in read else None, admin_token)
            assert not body.get("errors"), body
            found[name] = await matched(request_commands.commands)
        measured[n] = found
        sparse = await gql(READS["a sparse subject"], None, admin_token)
        assert len(sparse["data"]["events"]["edges"]) == 3
    grown = {
        name: (measured[SMALL][name], measured[LARGE][name])
        for name in READS
        if measured[LARGE][name] > 2 * measured[SMALL][name] + 40
    }
    assert not grown, f"documents matched at {SMALL} vs {LARGE} events: {grown}"


async def test_bad_page_arguments_are_validation_errors(
    gql: GraphQLClient, admin_token: str
) -> None:
    """A page size past the limit or a cursor that is no event id is refused by name."""
    for arguments, field in [
        ("first: 100000", "first"),
        ("first: -1", "first"),
        ('after: "evt_x"', "after"),
        ('after: "not-a-cursor"', "after"),
    ]:
        body = await gql(f"{{ events({arguments}) {{ edges {{ cursor }} }} }}", None, admin_token)
        assert error_codes(body) == ["VALIDATION_ERROR"], body
        assert body["errors"][0]["extensions"]["field"] == field, body
