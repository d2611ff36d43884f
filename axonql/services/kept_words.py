"""Words of a collection's documents kept beside them, from their events, so a text search is
an indexed equality: the pieces of task names (`name_pieces`), the terms of memories
(`memory_terms`).

Each document's words live in a document of their own (same id) in another collection, so no
other write of the document (a progress, a recall) has more index entries to rewrite. They are
written from the document's events in the unit of work's transaction, like the tallies
(`events._commit`); documents inserted around the services (a bulk import) get theirs from
`rebuild`, which a start runs once per database (`ensure`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from beanie import Document
from pymongo import DeleteOne, UpdateOne

from axonql import models
from axonql.models.event import Event


class Kept(Enum):
    """What an event does to its subject's words."""

    WRITTEN = "written"
    DELETED = "deleted"


@dataclass(frozen=True)
class KeptWords:
    """The words of `source`'s documents, kept in `words`.

    `subject` names the events' subject (`event.<subject>_id`, its snapshot); `change` says
    what an event does to the words (None: nothing); `fields` turns a stored document into its
    words document (None: it has none); `read` lists the stored fields `fields` needs.
    """

    source: type[Document]
    words: type[Document]
    subject: str
    change: Callable[[Event], Kept | None]
    fields: Callable[[Mapping[str, Any]], dict[str, Any] | None]
    read: tuple[str, ...]
    revision: int = 1
    """Raised when what `fields` writes changes, so a start rewrites every document's once."""

    @property
    def filled(self) -> str:
        """A document among the tallies saying every document stored before the words were
        kept (in this revision) has them."""
        mark = f"{self.words.get_collection_name()}#filled"
        return mark if self.revision == 1 else f"{mark}.{self.revision}"

    def _collection(self) -> Any:
        return self.words.get_pymongo_collection()

    def _written(self, doc_id: str, stored: Mapping[str, Any]) -> UpdateOne | None:
        fields = self.fields(stored)
        return None if fields is None else UpdateOne({"_id": doc_id}, {"$set": fields}, upsert=True)

    def writes_of(self, events: list[Event]) -> list[UpdateOne | DeleteOne]:
        """What these events change in the words (a document's from the event's snapshot of
        it, so the time is the document's own)."""
        writes: list[UpdateOne | DeleteOne] = []
        for event in events:
            doc_id = getattr(event, f"{self.subject}_id", None)
            change = self.change(event) if doc_id else None
            if change is Kept.DELETED:
                writes.append(DeleteOne({"_id": doc_id}))
            elif change is Kept.WRITTEN:
                write = self._written(str(doc_id), event.snapshots.get(self.subject) or {})
                if write is not None:
                    writes.append(write)
        return writes

    async def keep(self, doc_id: str, stored: Mapping[str, Any], session: Any = None) -> None:
        """Write one document's words from its stored fields (where it is written without an
        event), in `session`'s transaction if any."""
        write = self._written(doc_id, stored)
        if write is not None:
            await self._collection().bulk_write([write], session=session)

    async def apply(self, events: list[Event], session: Any = None) -> None:
        """Write what `events` change, in one command of the caller's transaction (`session`)."""
        writes = self.writes_of(events)
        if writes:
            await self._collection().bulk_write(writes, ordered=True, session=session)

    async def rebuild(self) -> int:
        """Words for every stored document (after a bulk import); how many were read."""
        stored = self.source.get_pymongo_collection()
        batch: list[UpdateOne | DeleteOne] = []
        read = 0
        async for doc in stored.find({}, dict.fromkeys(self.read, 1)):
            read += 1
            write = self._written(str(doc["_id"]), doc)
            if write is not None:
                batch.append(write)
            if len(batch) >= 1000:
                await self._collection().bulk_write(batch, ordered=False)
                batch = []
        if batch:
            await self._collection().bulk_write(batch, ordered=False)
        return read

    async def ensure(self) -> int:
        """At start, once per database: `rebuild` (documents written before the words were
        kept have none); later starts read one document. Instances starting together may both
        rebuild."""
        marks = models.Tally.get_pymongo_collection()
        if await marks.find_one({"_id": self.filled}) is not None:
            return 0
        read = await self.rebuild()
        await marks.update_one(
            {"_id": self.filled}, {"$setOnInsert": {"kind": self.filled}}, upsert=True
        )
        return read
