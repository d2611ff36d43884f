"""The terms of memories that relevance searches read (`models.MemoryTerms`), kept from the
memory events (`kept_words`): a memory stored, a field kept here changed, or deleted.

A search asks the index for the newest memories holding each of its terms (`relevance.tokens`,
the words the ranking scores), so it reads about its candidates at any size; a memory holding
none of them would score 0 and is never a result. Each memory's term counts and the fields a
search filters on are kept with its terms, so the candidates are filtered and ranked from
these documents alone, without reading the memories' text. The memory list's `text` filter
asks it too, for a whole word inside the text (`enclosed_word`, `memories.MEMORIES`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from axonql import models
from axonql.models.event import Event
from axonql.services import pagination, relevance, tallies
from axonql.services.kept_words import Kept, KeptWords
from axonql.services.relevance import Searchable

WORDED = frozenset({"title", "content", "tags"})
"""The fields a memory's terms come from."""
FILTERED = ("type", "tags", "pool", "owner_user_id", "importance")
"""The fields a search filters on (besides `created_at`), kept as stored."""
RANKED = {"terms": 1, "counts": 1, "created_at": 1}
"""What a search reads of each candidate."""
MAX_TERMS = 16
"""The terms of a search whose holders are read (its first distinct ones): each may cost up to
the candidates wanted, so a long query costs at most this many times that (every term still
scores the candidates)."""


def _change(event: Event) -> Kept | None:
    if event.type == "MEMORY_STORED":
        return Kept.WRITTEN
    if event.type != "MEMORY_UPDATED":
        return None
    if event.payload.get("change") == "deleted":
        return Kept.DELETED
    fields = event.payload.get("fields")
    return Kept.WRITTEN if fields is None or (WORDED | set(FILTERED)) & set(fields) else None


def searchable(memory: Mapping[str, Any]) -> Searchable:
    """A stored memory (or the fields of it read) as the ranking reads it."""
    tags = [t for t in memory.get("tags") or [] if isinstance(t, str)]
    title, content = memory.get("title") or "", memory.get("content") or ""
    return Searchable(str(memory.get("_id", "")), str(title), str(content), tags)


def _terms(memory: Mapping[str, Any]) -> dict[str, Any] | None:
    created = memory.get("created_at")
    if not isinstance(created, datetime):
        return None
    counted = Counter(searchable(memory).terms())
    terms = sorted(counted)
    return {
        "terms": terms,
        "counts": [counted[term] for term in terms],
        "created_at": created,
        **{name: memory.get(name) for name in FILTERED},
    }


def enclosed_word(text: str) -> str | None:
    """The term a memory holding `text` (in its title or content, in any case) must have:
    the longest of the words with a character of `text` on each side (`relevance.enclosed`,
    the longest being the likeliest to be rare); None when there is none."""
    return max(relevance.enclosed(text), key=len, default=None)


def bag(kept: Mapping[str, Any]) -> relevance.Bag:
    """A kept memory as the ranking scores it (terms kept by an earlier revision, by an
    instance not yet upgraded, have no counts: each is counted once)."""
    terms = kept.get("terms") or []
    counts = kept.get("counts") or [1] * len(terms)
    return str(kept["_id"]), dict(zip(terms, counts, strict=False))


TERMS = KeptWords(
    models.Memory,
    models.MemoryTerms,
    "memory",
    _change,
    _terms,
    ("title", "content", "created_at", *FILTERED),
    revision=2,  # term counts and filtered fields joined the terms
)


async def holding(terms: list[str], want: int, where: dict[str, Any]) -> list[dict[str, Any]]:
    """At most `want` kept memories matching `where` and holding any of `terms`: each term's
    newest `want` read from the index in `created_at` windows sized from the memories'
    tallies, so a search costs about its candidates, not the collection. The rarest term's
    holders come first, so a common term in the search never crowds out a rare one's.

    `where` is on the kept fields (`FILTERED`, `created_at` as `$gte`/`$lt`)."""
    totals = await tallies.read(tallies.MEMORIES)
    span = pagination.Span(totals.oldest, totals.newest, sum(totals.counts.values()))
    collection = models.MemoryTerms.get_pymongo_collection()
    fetch = pagination.reader(lambda asked: collection.find(asked, RANKED))
    each = [
        await pagination.windows_of(
            fetch, _age, {"terms": term, **where}, "created_at", True, want, None, span
        )
        for term in list(dict.fromkeys(terms))[:MAX_TERMS]
    ]
    chosen: dict[str, dict[str, Any]] = {}
    for holders in sorted(each, key=len):
        for kept in holders:
            if len(chosen) == want:
                break
            chosen.setdefault(str(kept["_id"]), kept)
    return list(chosen.values())


def _age(found: dict[str, Any]) -> tuple[Any, str]:
    return pagination.aware(found["created_at"]), str(found["_id"])
