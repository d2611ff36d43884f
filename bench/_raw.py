"""What the raw-PyMongo baselines share: AxonQL's own collections' indexes and documents.

A baseline "doing the same writes" writes the documents AxonQL stores (a task as `createTask`
stores it, an event as the log stores it) into collections indexed as AxonQL's are: the index
upkeep is database work any store of these documents with these queries does. The benchmarks
also print a bare baseline (small documents, no indexes but the event number's) beside it.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

import pymongo
from pymongo import AsyncMongoClient

from axonql import models


def _index_models(document: type[Any]) -> list[pymongo.IndexModel]:
    return [
        index if isinstance(index, pymongo.IndexModel) else pymongo.IndexModel(index)
        for index in document.Settings.indexes
    ]


async def index_like_axonql(db: Any) -> None:
    """`db.tasks` and `db.events` indexed as AxonQL indexes its tasks and events."""
    await db["tasks"].create_indexes(_index_models(models.Task))
    await db["events"].create_indexes(_index_models(models.Event))


class Samples:
    """One task and one of its events as AxonQL stored them, copied under new ids."""

    def __init__(self, task: dict[str, Any], event: dict[str, Any]) -> None:
        self.task = task
        self.event = event

    @classmethod
    async def read(cls, mongo_url: str, database: str) -> Samples:
        """From an AxonQL database that holds at least one task with an event."""
        client: AsyncMongoClient[Any] = AsyncMongoClient(mongo_url)
        try:
            db = client[database]
            task = await db["tasks"].find_one({"is_automation": False})
            assert task is not None, "no task to copy: create one through the API first"
            event = await db["events"].find_one({"task_id": task["_id"]})
            assert event is not None
            return cls(task, event)
        finally:
            await client.close()

    def new_task(self, **fields: Any) -> dict[str, Any]:
        task = copy.deepcopy(self.task)
        task.update(_id=f"task_{secrets.token_hex(12)}", **fields)
        return task

    def new_event(self, seq: int, task: dict[str, Any], **payload: Any) -> dict[str, Any]:
        event = copy.deepcopy(self.event)
        event.update(_id=f"evt_{seq:012d}", seq=seq, task_id=task["_id"])
        event["payload"] = {**event.get("payload", {}), **payload}
        event.setdefault("snapshots", {})["task"] = task
        return event
