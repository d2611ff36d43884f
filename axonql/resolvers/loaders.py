"""DataLoaders, one set per request: one database round trip per relation per tick."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar, cast

from aiodataloader import DataLoader
from beanie import Document

D = TypeVar("D", bound=Document)


class Loaders:
    """Creates each loader lazily and keeps it for the rest of the request."""

    def __init__(self) -> None:
        self._loaders: dict[tuple[Any, ...], DataLoader[Any, Any]] = {}

    def by_id(self, model: type[D]) -> DataLoader[Any, Any]:
        """`load(id)` → document or None."""
        key = ("id", model)
        if key not in self._loaders:

            async def batch(ids: Sequence[str]) -> list[D | None]:
                docs = await model.find({"_id": {"$in": list(ids)}}).to_list()
                found: dict[Any, D] = {doc.id: doc for doc in docs}
                return [found.get(i) for i in ids]

            self._loaders[key] = DataLoader(batch)
        return self._loaders[key]

    def custom(
        self, name: str, batch: Callable[[list[Any]], Coroutine[Any, Any, list[Any]]]
    ) -> DataLoader[Any, Any]:
        """A loader with its own batch function, one per request under `name`."""
        key = ("custom", name)
        if key not in self._loaders:
            self._loaders[key] = DataLoader(batch)
        return self._loaders[key]

    def by_field(
        self,
        model: type[D],
        field: str,
        *,
        where: dict[str, Any] | None = None,
        sort: list[tuple[str, int]] | None = None,
    ) -> DataLoader[Any, Any]:
        """`load(value)` → every document whose `field` equals value (or contains it)."""
        extra = where or {}
        key = ("field", model, field, json.dumps(extra, sort_keys=True, default=str), str(sort))
        if key not in self._loaders:

            async def batch(values: Sequence[str]) -> list[list[D]]:
                query = {field: {"$in": list(values)}, **extra}
                cursor = model.find(query)
                if sort:
                    cursor = cursor.sort(cast(Any, sort))
                grouped: dict[str, list[D]] = defaultdict(list)
                wanted = set(values)
                for doc in await cursor.to_list():
                    raw = getattr(doc, field)
                    for value in raw if isinstance(raw, list) else [raw]:
                        if value in wanted:
                            grouped[value].append(doc)
                return [grouped.get(v, []) for v in values]

            self._loaders[key] = DataLoader(batch)
        return self._loaders[key]
