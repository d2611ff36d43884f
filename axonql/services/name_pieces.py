"""Tasks stored before searches read pieces of names get theirs, once per database."""

from __future__ import annotations

from axonql import models
from axonql.text_grams import grams

FILLED = "name_grams#filled"
"""A document among the tallies saying every stored task has its `name_grams`."""


async def ensure() -> int:
    """At start: give every task without `name_grams` the pieces of its name; how many were
    given. Once done it is marked, so later starts read one document (tasks written since
    carry theirs: `models.Task`); instances starting together may both fill."""
    marks = models.Tally.get_pymongo_collection()
    if await marks.find_one({"_id": FILLED}) is not None:
        return 0
    tasks = models.Task.get_pymongo_collection()
    filled = 0
    async for doc in tasks.find({"name_grams": {"$exists": False}}, {"name": 1}):
        pieces = grams(str(doc.get("name") or ""))
        await tasks.update_one({"_id": doc["_id"]}, {"$set": {"name_grams": pieces}})
        filled += 1
    await marks.update_one({"_id": FILLED}, {"$setOnInsert": {"kind": FILLED}}, upsert=True)
    return filled
