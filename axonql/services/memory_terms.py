"""The terms of memories that relevance searches read (`models.MemoryTerms`), kept from the
memory events (`kept_words`): a memory stored, its title, content or tags changed, or deleted.

A search asks the index for the newest memories holding each of its terms (`relevance.tokens`,
the words the ranking scores), so it reads about its candidates at any size; a memory holding
none of them would score 0 and is never a result.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from axonql import models
from axonql.models.event import Event
from axonql.services import pagination, tallies
from axonql.services.kept_words import Kept, KeptWords
from axonql.services.relevance import Searchable

WORDED = frozenset({"title", "content", "tags"})
"""The fields a memory's terms come from."""


def _change(event: Event) -> Kept | None:
    if event.type == "MEMORY_STORED":
        return Kept.WRITTEN
    if event.type != "MEMORY_UPDATED":
        return None
    if event.payload.get("change") == "deleted":
        return Kept.DELETED
    fields = event.payload.get("fields")
    return Kept.WRITTEN if fields is None or WORDED & set(fields) else None


def searchable(memory: Mapping[str, Any]) -> Searchable:
    """A stored memory (or the fields of it read) as the ranking reads it."""
    tags = [t for t in memory.get("tags") or [] if isinstance(t, str)]
    title, content = memory.get("title") or "", memory.get("content") or ""
    return Searchable(str(memory.get("_id", "")), str(title), str(content), tags)


def terms_of(memory: Searchable) -> list[str]:
    """A memory's distinct terms: the words the ranking scores."""
    return sorted(set(memory.terms()))


def _terms(memory: Mapping[str, Any]) -> dict[str, Any] | None:
    created = memory.get("created_at")
    if not isinstance(created, datetime):
        return None
    return {"terms": terms_of(searchable(memory)), "created_at": created}


TERMS = KeptWords(
    models.Memory,
    models.MemoryTerms,
    "memory",
    _change,
    _terms,
    ("title", "content", "tags", "created_at"),
)


async def holding(terms: list[str], want: int) -> list[str]:
    """The ids of the newest `want` memories holding any of `terms`, newest first: each term's
    newest `want` read from the index in `created_at` windows sized from the memories' tallies,
    so a search costs about its candidates, not the collection."""
    totals = await tallies.read(tallies.MEMORIES)
    span = pagination.Span(totals.oldest, totals.newest, sum(totals.counts.values()))
    collection = models.MemoryTerms.get_pymongo_collection()
    fetch = pagination.reader(lambda where: collection.find(where, {"created_at": 1}))
    newest: dict[str, Any] = {}
    for term in dict.fromkeys(terms):
        for found in await pagination.windows_of(
            fetch, _age, {"terms": term}, "created_at", True, want, None, span
        ):
            newest[str(found["_id"])] = pagination.aware(found["created_at"])
    ordered = sorted(newest, key=lambda doc_id: (newest[doc_id], doc_id), reverse=True)
    return ordered[:want]


def _age(found: dict[str, Any]) -> tuple[Any, str]:
    return pagination.aware(found["created_at"]), str(found["_id"])
