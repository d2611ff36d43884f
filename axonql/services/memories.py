"""Memory logic: validated create/update/delete, links between memories, list filters."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from axonql import models
from axonql.errors import NotFound, UserNotFound, ValidationError
from axonql.models.base import utcnow
from axonql.models.memory import MEMORY_POOLS
from axonql.services import memory_terms, tallies
from axonql.services import validation as v
from axonql.services.events import Change, atomically, emit
from axonql.services.listing import Listing, Searched
from axonql.services.lookup import fetch
from axonql.services.query_filters import (
    all_of,
    at_least,
    compact,
    contains,
    search_text,
    window,
)
from axonql.settings import Settings

MAX_RELATED = 100
_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]*$")


@dataclass
class MemoryFilterArgs:
    """Filter values, already typed; None means 'any'."""

    types: list[str] | None = None
    tags: list[str] | None = None
    pool: str | None = None
    owner_user_id: str | None = None
    owner_system_id: str | None = None
    min_importance: float | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    text: str | None = None


TEXT_LENGTH = 200
"""The characters of a `text` filter looked for."""


def memory_query(f: MemoryFilterArgs) -> dict[str, Any]:
    """The MongoDB filter for a MemoryFilter (the pool is checked: a typo is an error)."""
    text = contains(f.text, TEXT_LENGTH)
    return compact(
        {
            "type": {"$in": f.types} if f.types else None,
            "tags": all_of(f.tags),
            "pool": pool(f.pool) if f.pool is not None else None,
            "owner_user_id": f.owner_user_id or None,
            "owner_system_id": f.owner_system_id or None,
            "importance": at_least(f.min_importance),
            "created_at": window(f.created_after, f.created_before),
            "$or": [{"title": text}, {"content": text}] if text else None,
        }
    )


async def maintained_total(f: MemoryFilterArgs) -> int | None:
    """The count of a filter the tallies cover (none, or a pool alone), else None."""
    if f != MemoryFilterArgs(pool=f.pool):
        return None
    counts = await tallies.memory_counts()
    return counts.get(pool(f.pool), 0) if f.pool is not None else sum(counts.values())


MEMORIES: Listing[models.Memory, MemoryFilterArgs] = Listing(
    models.Memory,
    memory_query,
    maintained_total,
    tallies.MEMORIES,
    id_prefix="mem",
    searched=Searched[MemoryFilterArgs](
        field="$or",
        text=lambda f: search_text(f.text, TEXT_LENGTH),
        without=lambda f: replace(f, text=None),
        pieces=models.MemoryTerms,
        carried=frozenset({"created_at", *memory_terms.FILTERED}),
        piece=memory_terms.enclosed_word,
        words="terms",
        fields=("title", "content"),
        sampled=False,
    ),
)
"""A `text` filter with a whole word inside it is read from the memories holding that term
(`memory_terms`, with the filters kept there), newest first."""


def pool(value: str, field: str = "pool") -> str:
    if value not in MEMORY_POOLS:
        raise ValidationError(
            f"{field} must be one of {', '.join(MEMORY_POOLS)}",
            field=field,
            details={"allowed": list(MEMORY_POOLS)},
        )
    return value


def memory_type(value: str) -> str:
    """An open vocabulary (episodic, semantic, procedural, document …) of lowercase names."""
    checked = v.text("type", value, 50)
    if not _TYPE_PATTERN.match(checked):
        raise ValidationError("type must be a lowercase name such as semantic", field="type")
    return checked


@dataclass
class MemoryDraft:
    """Fields of a create or update; None leaves a field unchanged."""

    type: str | None = None
    title: str | None = None
    content: str | None = None
    context: Any = None
    tags: list[str] | None = None
    importance: float | None = None
    pool: str | None = None
    owner_user_id: str | None = None
    owner_system_id: str | None = None
    related_ids: list[str] | None = None


async def _check_owner(d: MemoryDraft) -> None:
    if d.owner_user_id and await models.User.get(d.owner_user_id) is None:
        raise UserNotFound(
            f"user {d.owner_user_id} not found",
            field="ownerUserId",
            details={"id": d.owner_user_id},
        )
    if d.owner_system_id and await models.System.get(d.owner_system_id) is None:
        raise NotFound(
            f"system {d.owner_system_id} not found",
            field="ownerSystemId",
            details={"id": d.owner_system_id},
        )


async def existing_ids(field: str, ids: list[str], *, exclude: str | None = None) -> list[str]:
    """Memory ids, de-duplicated, each naming a stored memory other than `exclude`."""
    wanted = v.strings(field, ids, 100)
    if exclude is not None and exclude in wanted:
        raise ValidationError("a memory cannot be related to itself", field=field)
    if len(wanted) > MAX_RELATED:
        raise ValidationError(f"{field} has more than {MAX_RELATED} ids", field=field)
    cursor = models.Memory.get_pymongo_collection().find({"_id": {"$in": wanted}}, {"_id": 1})
    found = {doc["_id"] async for doc in cursor}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise NotFound(
            f"unknown memories: {', '.join(missing)}", field=field, details={"ids": missing}
        )
    return wanted


def _apply(settings: Settings, memory: models.Memory, d: MemoryDraft) -> dict[str, Any]:
    """Validate every given field, then change the memory; returns what changed."""
    changes: dict[str, Any] = {}
    if d.type is not None:
        changes["type"] = memory_type(d.type)
    if d.title is not None:
        changes["title"] = v.text("title", d.title, settings.max_name_length, required=False)
    if d.content is not None:
        changes["content"] = v.text("content", d.content, settings.max_text_length)
    if d.context is not None:
        changes["context"] = v.json_object("context", d.context)
    if d.tags is not None:
        changes["tags"] = v.strings("tags", d.tags)
    if d.importance is not None:
        changes["importance"] = v.number_in("importance", d.importance, 0.0, 1.0)
    if d.pool is not None:
        changes["pool"] = pool(d.pool)
    if d.owner_user_id is not None:
        changes["owner_user_id"] = (
            v.text("ownerUserId", d.owner_user_id, 100, required=False) or None
        )
    if d.owner_system_id is not None:
        changes["owner_system_id"] = (
            v.text("ownerSystemId", d.owner_system_id, 100, required=False) or None
        )
    for key, value in changes.items():
        setattr(memory, key, value)
    return changes


async def get_memory(memory_id: str) -> models.Memory:
    return await fetch(models.Memory, memory_id, "memory")


async def create_memory(settings: Settings, d: MemoryDraft) -> models.Memory:
    memory = models.Memory(content="")
    if d.content is None:
        d.content = ""
    _apply(settings, memory, d)
    await _check_owner(d)
    if d.related_ids:
        memory.related_ids = await existing_ids("relatedIds", d.related_ids)

    async def write(unit: Change) -> None:
        await memory.insert(session=unit.session)
        await emit(
            "MEMORY_STORED",
            {"title": memory.title, **tallies.memory_fields(memory)},
            memory_id=memory.id,
            user_id=memory.owner_user_id,
            system_id=memory.owner_system_id,
        )

    await atomically(write)
    return memory


async def update_memory(settings: Settings, memory_id: str, d: MemoryDraft) -> models.Memory:
    memory = await get_memory(memory_id)
    changes = _apply(settings, memory.model_copy(deep=True), d)
    await _check_owner(d)
    if d.related_ids is not None:
        changes["related_ids"] = await existing_ids("relatedIds", d.related_ids, exclude=memory.id)
    changes["updated_at"] = utcnow()
    payload: dict[str, Any] = {
        "change": "updated",
        "fields": sorted(k for k in changes if k != "updated_at"),
    }
    if {"pool", "type", "owner_system_id"} & set(changes):  # what the tallies count by
        after = memory.model_copy(update=changes)
        payload.update(tallies.memory_fields(after), **tallies.memory_fields(memory, "previous_"))

    async def write(unit: Change) -> None:
        # $set only what changed, so concurrent recalls (access count, drift) are not overwritten
        await models.Memory.get_pymongo_collection().update_one(
            {"_id": memory.id}, {"$set": changes}, session=unit.session
        )
        for key, value in changes.items():
            setattr(memory, key, value)
        await emit(
            "MEMORY_UPDATED",
            payload,
            memory_id=memory.id,
            user_id=memory.owner_user_id,
        )

    await atomically(write)
    return memory


LINKS = ("related_ids",)  # what a link changes, on each side


async def link_memories(
    memory_id: str, related_ids: list[str], *, both_ways: bool = True
) -> models.Memory:
    """Add links from `memory_id` to each related memory (and back, unless told otherwise)."""
    memory = await get_memory(memory_id)
    wanted = await existing_ids("relatedIds", related_ids, exclude=memory.id)
    if not wanted:
        raise ValidationError("relatedIds must not be empty", field="relatedIds")
    merged = list(dict.fromkeys([*memory.related_ids, *wanted]))
    if len(merged) > MAX_RELATED:
        raise ValidationError(f"a memory has at most {MAX_RELATED} links", field="relatedIds")
    collection = models.Memory.get_pymongo_collection()
    now = utcnow()

    async def write(unit: Change) -> None:
        await collection.update_one(
            {"_id": memory.id},
            {"$addToSet": {"related_ids": {"$each": wanted}}, "$set": {"updated_at": now}},
            session=unit.session,
        )
        if both_ways:
            await collection.update_many(
                {"_id": {"$in": wanted}},
                {"$addToSet": {"related_ids": memory.id}, "$set": {"updated_at": now}},
                session=unit.session,
            )
        memory.related_ids, memory.updated_at = merged, now
        await emit(
            "MEMORY_UPDATED",
            {
                "change": "linked",
                "related_ids": wanted,
                "both_ways": both_ways,
                "fields": list(LINKS),
            },
            memory_id=memory.id,
        )
        for other in wanted if both_ways else []:  # each memory linked back changed too
            await emit(
                "MEMORY_UPDATED",
                {"change": "linked", "related_ids": [memory.id], "fields": list(LINKS)},
                memory_id=other,
            )

    await atomically(write)
    return memory


async def delete_memory(memory_id: str) -> bool:
    """Delete a memory and every link pointing at it."""
    memory = await get_memory(memory_id)

    async def write(unit: Change) -> None:
        await memory.delete(session=unit.session)
        await models.Memory.get_pymongo_collection().update_many(
            {"related_ids": memory_id}, {"$pull": {"related_ids": memory_id}}, session=unit.session
        )
        await emit(
            "MEMORY_UPDATED",
            {"change": "deleted", **tallies.memory_fields(memory)},
            memory_id=memory_id,
            user_id=memory.owner_user_id,
        )

    await atomically(write)
    return True
