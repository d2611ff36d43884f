"""The unit of work: a change and its events commit together or not at all; numbers taken and
not used are settled by voids, which no reader ever delivers."""

from __future__ import annotations

import asyncio
from functools import partial

import pytest

from axonql import models
from axonql.errors import ValidationError
from axonql.models.event import event_id
from axonql.services.events import Change, atomically, bound, emit
from axonql.settings import Settings
from axonql.subscriptions import log
from axonql.subscriptions.filters import EventFilter
from axonql.subscriptions.realtime import RealTime


def _task(task_id: str) -> models.Task:
    return models.Task(id=task_id, name=task_id)


async def test_a_failed_unit_leaves_neither_change_nor_event() -> None:
    async def write(unit: Change) -> None:
        await _task("task_uow_a").insert(session=unit.session)
        await emit("TASK_STATE_CHANGED", {"change": "created"}, task_id="task_uow_a")
        raise ValidationError("refused after writing", field="name")

    with pytest.raises(ValidationError):
        await atomically(write)
    assert await models.Task.get("task_uow_a") is None
    assert await models.Event.find({"task_id": "task_uow_a"}).to_list() == []


async def test_nested_units_commit_as_one_and_events_are_numbered_at_commit() -> None:
    async def inner(unit: Change) -> models.Event:
        await _task("task_uow_b").insert(session=unit.session)
        return await emit("TASK_STATE_CHANGED", {"change": "created"}, task_id="task_uow_b")

    async def outer(unit: Change) -> models.Event:
        event = await atomically(inner)  # joins this unit
        assert event.seq == 0  # not numbered before the commit
        unit.emit("LOG_ENTRY", {"n": 1}, task_id="task_uow_b")
        return event

    event = await atomically(outer)
    stored = await models.Event.find({"task_id": "task_uow_b"}).sort("+seq").to_list()
    assert [e.id for e in stored] == [event.id, event_id(event.seq + 1)]


async def test_writers_on_one_document_are_retried_until_each_commits() -> None:
    await models.Task.get_pymongo_collection().insert_one({"_id": "task_uow_c", "n": 0})

    async def bump(unit: Change) -> None:
        await models.Task.get_pymongo_collection().update_one(
            {"_id": "task_uow_c"}, {"$inc": {"n": 1}}, session=unit.session
        )
        await emit("LOG_ENTRY", {"bump": True}, task_id="task_uow_c")

    await asyncio.gather(*(atomically(bump) for _ in range(8)))
    raw = await models.Task.get_pymongo_collection().find_one({"_id": "task_uow_c"})
    assert raw is not None and raw["n"] == 8
    assert len(await models.Event.find({"task_id": "task_uow_c"}).to_list()) == 8


async def test_a_number_never_used_is_voided_and_never_replayed() -> None:
    before = await emit("LOG_ENTRY", {"n": "before"})
    lost = await log.take()  # a writer that died after taking its number
    after = await emit("LOG_ENTRY", {"n": "after"})
    assert await log.last_seq() >= after.seq  # the gap is settled, not waited for forever
    void = await models.Event.find_one({"seq": lost})
    assert void is not None and void.type == log.VOID
    replayed = [e.seq async for e in log.replay(before.seq - 1, EventFilter.of())]
    assert replayed == [before.seq, after.seq]


async def _voiding_the_next_number() -> int:
    """Void the number the next writer will take, as a reader does when that writer is slower
    than its patience between taking the number and inserting the event."""
    upcoming = await log.take() + 1
    await log.void([upcoming - 1, upcoming])
    return upcoming


async def test_a_unit_whose_number_was_voided_runs_again_under_a_new_one() -> None:
    voided = await _voiding_the_next_number()

    async def write(unit: Change) -> None:
        await _task("task_uow_v").insert(session=unit.session)
        await emit("TASK_STATE_CHANGED", {"change": "created"}, task_id="task_uow_v")

    await atomically(write)
    assert await models.Task.get("task_uow_v") is not None
    stored = await models.Event.find({"task_id": "task_uow_v"}).to_list()
    assert [e.seq > voided for e in stored] == [True]
    void = await models.Event.find_one({"seq": voided})
    assert void is not None and void.type == log.VOID


async def test_an_instance_runs_at_most_its_write_concurrency_units_at_once(
    settings: Settings,
) -> None:
    service = RealTime(settings, models.Event.get_pymongo_collection(), write_concurrency=2)
    running: list[int] = []
    most = 0

    async def write(n: int, unit: Change) -> None:
        nonlocal most
        running.append(n)
        most = max(most, len(running))
        try:
            await _task(f"task_uow_gate_{n}").insert(session=unit.session)
            await asyncio.sleep(0.05)  # the others start meanwhile, if they may
        finally:
            running.remove(n)  # a try that conflicts and runs again is not left counted

    with bound(service):
        await asyncio.gather(*(atomically(partial(write, n)) for n in range(8)))
    assert most == 2
    assert await models.Task.find({"_id": {"$regex": "^task_uow_gate_"}}).count() == 8


async def test_without_transactions_a_voided_number_is_replaced(settings: Settings) -> None:
    service = RealTime(settings, models.Event.get_pymongo_collection())
    service.log.transactions = False
    voided = await _voiding_the_next_number()
    with bound(service):
        event = await emit("LOG_ENTRY", {"n": "after a void"})
    assert event.seq > voided
    assert (await models.Event.find_one({"seq": event.seq})) is not None


async def test_without_transactions_the_change_then_its_event(settings: Settings) -> None:
    service = RealTime(settings, models.Event.get_pymongo_collection())
    service.log.transactions = False  # as on a standalone mongod

    async def write(unit: Change) -> None:
        assert unit.session is None
        await _task("task_uow_d").insert(session=unit.session)
        await emit("TASK_STATE_CHANGED", {"change": "created"}, task_id="task_uow_d")

    with bound(service):
        await atomically(write)
    assert await models.Task.get("task_uow_d") is not None
    assert len(await models.Event.find({"task_id": "task_uow_d"}).to_list()) == 1
