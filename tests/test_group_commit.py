"""Group commit: units of work waiting together share one transaction, and each still meets its
own outcome (a member that fails fails alone; without transactions each runs alone)."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import Any

import pytest

from axonql import models
from axonql.errors import ValidationError
from axonql.services.events import Change, bound, emit
from axonql.services.group_commit import GroupCommit
from axonql.settings import Settings
from axonql.subscriptions.realtime import RealTime
from tests.agents_support import COMPLETE, claim, queued_task, register
from tests.support import GraphQLClient, RunningServer, error_codes


def _service(settings: Settings, *, transactions: bool) -> RealTime:
    service = RealTime(settings, models.Event.get_pymongo_collection())
    service.log.transactions = transactions  # known, as after the instance's first unit
    return service


async def _create(n: int, units: list[Change], unit: Change) -> str:
    units.append(unit)
    task = models.Task(id=f"task_group_{n}", name=f"group {n}")
    await task.insert(session=unit.session)
    await emit("TASK_STATE_CHANGED", {"change": "created"}, task_id=task.id)
    if n == 3:
        await asyncio.sleep(0)  # a member may yield: the others still wait their turn
    return task.id


async def _stored(ids: list[str]) -> tuple[int, int]:
    tasks = await models.Task.find({"_id": {"$in": ids}}).count()
    events = await models.Event.find({"task_id": {"$in": ids}}).count()
    return tasks, events


async def test_units_waiting_together_share_a_transaction(settings: Settings) -> None:
    group = GroupCommit()
    units: list[Change] = []
    with bound(_service(settings, transactions=True)):
        ids = await asyncio.gather(*(group.run(partial(_create, n, units)) for n in range(8)))
    assert ids == [f"task_group_{n}" for n in range(8)]  # each caller gets its own result
    assert len({id(unit) for unit in units}) < 8 and group.groups >= 1
    assert await _stored(ids) == (8, 8)
    seqs = sorted(e.seq for e in await models.Event.find({"task_id": {"$in": ids}}).to_list())
    assert seqs == list(range(seqs[0], seqs[0] + 8))  # numbered once, in one block


async def test_a_member_that_fails_fails_alone(settings: Settings) -> None:
    group = GroupCommit()
    units: list[Change] = []

    async def refused(unit: Change) -> str:
        await _create(99, units, unit)  # writes, then refuses: nothing of it may remain
        raise ValidationError("refused after writing", field="name")

    with bound(_service(settings, transactions=True)):
        results = await asyncio.gather(
            *(group.run(partial(_create, n, units)) for n in range(3)),
            group.run(refused),
            *(group.run(partial(_create, n, units)) for n in range(4, 6)),
            return_exceptions=True,
        )
    assert isinstance(results[3], ValidationError)
    good = [r for r in results if isinstance(r, str)]
    assert good == ["task_group_0", "task_group_1", "task_group_2", "task_group_4", "task_group_5"]
    assert await _stored(good) == (5, 5)
    assert await _stored(["task_group_99"]) == (0, 0)


async def test_without_transactions_each_unit_runs_alone(settings: Settings) -> None:
    group = GroupCommit()
    units: list[Change] = []
    with bound(_service(settings, transactions=False)):
        ids = await asyncio.gather(*(group.run(partial(_create, n, units)) for n in range(4)))
    assert len({id(unit) for unit in units}) == 4 and group.groups == 0
    assert all(unit.session is None for unit in units)
    assert await _stored(ids) == (4, 4)


async def test_a_caller_that_left_before_its_turn_is_skipped(settings: Settings) -> None:
    group = GroupCommit()
    release = asyncio.Event()
    ran: list[str] = []

    async def first(unit: Change) -> None:
        await release.wait()  # the others queue up behind it
        ran.append("first")

    async def left(unit: Change) -> None:
        ran.append("left")

    async def last(unit: Change) -> None:
        ran.append("last")

    with bound(_service(settings, transactions=True)):
        running = asyncio.create_task(group.run(first))
        await asyncio.sleep(0.05)
        leaving = asyncio.create_task(group.run(left))
        staying = asyncio.create_task(group.run(last))
        await asyncio.sleep(0.05)
        leaving.cancel()
        release.set()
        await asyncio.gather(running, staying)
    with pytest.raises(asyncio.CancelledError):
        await leaving
    assert ran == ["first", "last"]


async def test_agents_completing_together_share_transactions_and_keep_their_errors(
    gql: GraphQLClient, admin_token: str, server: RunningServer
) -> None:
    """Over the API: concurrent completions commit together; a completion of a task the agent
    does not hold gets its own error and does not fail the others."""
    units: GroupCommit = server.app.state.axon.queue_units
    agents = [await register(gql, admin_token, f"together {i}", []) for i in range(9)]
    tasks = [await queued_task(gql, admin_token) for _ in agents]
    claimed = [await claim(gql, key) for _, key in agents]
    assert [c["id"] for c in claimed if c] == tasks
    *finishing, held = tasks  # the last agent's task stays running
    keys = [key for _, key in agents]

    def completing(n: int) -> Any:
        return gql(COMPLETE, {"id": tasks[n], "r": {"n": n}}, keys[n])

    before = units.groups
    first = await asyncio.gather(*(completing(n) for n in range(5)))
    assert units.groups > before  # some of them shared a transaction
    second = await asyncio.gather(
        *(completing(n) for n in range(5, 8)),
        gql(COMPLETE, {"id": held, "r": {}}, keys[0]),  # not its task
    )
    assert error_codes(second[-1]) == ["AUTHORIZATION_DENIED"], second[-1]
    replies = [*first, *second[:-1]]
    assert all(r["data"]["completeTask"]["status"] == "COMPLETED" for r in replies), replies
    stored = {t.id: t.status.value for t in await models.Task.find_all().to_list()}
    assert stored == {**dict.fromkeys(finishing, "completed"), held: "running"}
    assert await models.Event.find({"payload.change": "completed"}).count() == len(finishing)
