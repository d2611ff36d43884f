"""One document by id, or the not-found error that names what was asked for."""

from __future__ import annotations

from typing import TypeVar

from beanie import Document

from axonql.errors import NotFound

D = TypeVar("D", bound=Document)


async def fetch(
    model: type[D],
    doc_id: str,
    what: str,
    *,
    error: type[NotFound] = NotFound,
    key: str = "id",
) -> D:
    """The `model` document `doc_id`, or `error` ("{what} {doc_id} not found", `{key: doc_id}`)."""
    found = await model.get(doc_id)
    if found is None:
        raise error(f"{what} {doc_id} not found", details={key: doc_id})
    return found
