"""The pieces of task names that searches read (`models.TaskName`), kept from the task events.

A task created, scheduled, renamed or deleted writes its pieces in the same transaction as its
event, like the tallies (`events._commit`); tasks inserted around the services (a bulk import)
get theirs from `rebuild`, which a start runs once per database (`ensure`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import DeleteOne, UpdateOne

from axonql import models
from axonql.models.event import Event
from axonql.text_grams import grams

CREATIONS = frozenset({"created", "scheduled"})
FILLED = "name_grams#filled"
"""A document among the tallies saying every task stored before pieces were kept has them."""


def _collection() -> Any:
    return models.TaskName.get_pymongo_collection()


def _pieces(task_id: str, task: dict[str, Any]) -> UpdateOne | None:
    name, created = task.get("name"), task.get("created_at")
    if not isinstance(name, str) or not isinstance(created, datetime):
        return None
    pieces = {
        "name_grams": grams(name),
        "is_automation": bool(task.get("is_automation")),
        "created_at": created,
    }
    return UpdateOne({"_id": task_id}, {"$set": pieces}, upsert=True)


def writes_of(events: list[Event]) -> list[UpdateOne | DeleteOne]:
    """What these events change in the pieces: a task made or renamed (from the event's
    snapshot of the task, so the time is the task's own) and a task deleted."""
    writes: list[UpdateOne | DeleteOne] = []
    for event in events:
        if event.type != "TASK_STATE_CHANGED" or not event.task_id:
            continue
        change = event.payload.get("change")
        if change == "deleted":
            writes.append(DeleteOne({"_id": event.task_id}))
        elif change in CREATIONS or (
            change == "updated" and "name" in (event.payload.get("fields") or [])
        ):
            write = _pieces(event.task_id, event.snapshots.get("task") or {})
            if write is not None:
                writes.append(write)
    return writes


async def apply(events: list[Event], session: Any = None) -> None:
    """Write what `events` change, in one command of the caller's transaction (`session`)."""
    writes = writes_of(events)
    if writes:
        await _collection().bulk_write(writes, ordered=True, session=session)


async def rebuild() -> int:
    """Pieces for every stored task (after a bulk import); how many tasks were read."""
    tasks = models.Task.get_pymongo_collection()
    batch: list[UpdateOne | DeleteOne] = []
    read = 0
    async for task in tasks.find({}, {"name": 1, "created_at": 1, "is_automation": 1}):
        read += 1
        write = _pieces(str(task["_id"]), task)
        if write is not None:
            batch.append(write)
        if len(batch) >= 1000:
            await _collection().bulk_write(batch, ordered=False)
            batch = []
    if batch:
        await _collection().bulk_write(batch, ordered=False)
    return read


async def ensure() -> int:
    """At start, once per database: `rebuild` (tasks written before pieces were kept have
    none); later starts read one document. Instances starting together may both rebuild."""
    marks = models.Tally.get_pymongo_collection()
    if await marks.find_one({"_id": FILLED}) is not None:
        return 0
    read = await rebuild()
    await marks.update_one({"_id": FILLED}, {"$setOnInsert": {"kind": FILLED}}, upsert=True)
    return read
