"""DataLoaders, one set per request: one database round trip per relation per tick."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Sequence
from typing import Any, TypeVar, cast

from aiodataloader import DataLoader
from beanie import Document

from axonql.services.lookup import by_ids

D = TypeVar("D", bound=Document)


class Pacer:
    """Lets one request's loaded relations on, `budget` items per event-loop turn.

    A cached relation resolves without yielding, and graphql-core completes a whole level of a
    nested list in one loop turn, so an accepted but heavy query would hold the loop (and every
    other request, `/health` too) for seconds. Past the budget, loads wait for later turns;
    batching is untouched, since they wait after their batch has been fetched.
    """

    def __init__(self, budget: int = 30) -> None:
        self.budget = budget
        self.used = 0
        self.waiters: deque[tuple[int, asyncio.Future[None]]] = deque()
        self.turn_scheduled = False

    async def checkpoint(self, weight: int) -> None:
        if not self.waiters and self.used < self.budget:
            self.used += weight
            self._schedule()
            return
        waiter = asyncio.get_running_loop().create_future()
        self.waiters.append((weight, waiter))
        self._schedule()
        await waiter

    def _schedule(self) -> None:
        if not self.turn_scheduled:
            self.turn_scheduled = True
            asyncio.get_running_loop().call_soon(self._turn)

    def _turn(self) -> None:
        """A new loop turn: the next waiters, up to the budget, go on."""
        self.turn_scheduled = False
        self.used = 0
        while self.waiters and self.used < self.budget:
            weight, waiter = self.waiters.popleft()
            if not waiter.done():  # a cancelled request's
                waiter.set_result(None)
                self.used += weight
        if self.waiters:
            self._schedule()


class PacedDataLoader(DataLoader[Any, Any]):
    """A DataLoader whose results pass the request's `Pacer`."""

    def __init__(
        self, batch: Callable[[list[Any]], Coroutine[Any, Any, list[Any]]], pacer: Pacer
    ) -> None:
        super().__init__(batch)
        self.pacer = pacer

    def load(self, key: Any) -> asyncio.Future[Any]:
        return asyncio.ensure_future(self._paced(super().load(key), 1))

    def load_many(self, keys: Iterable[Any]) -> asyncio.Future[list[Any]]:
        pending = [DataLoader.load(self, key) for key in keys]
        return asyncio.ensure_future(self._paced(asyncio.gather(*pending), len(pending)))

    async def _paced(self, pending: Awaitable[Any], weight: int) -> Any:
        value = await pending
        await self.pacer.checkpoint(weight)
        return value


class Loaders:
    """Creates each loader lazily and keeps it for the rest of the request."""

    def __init__(self) -> None:
        self._loaders: dict[tuple[Any, ...], DataLoader[Any, Any]] = {}
        self.pacer = Pacer()

    def by_id(self, model: type[D]) -> DataLoader[Any, Any]:
        """`load(id)` → document or None."""
        key = ("id", model)
        if key not in self._loaders:

            async def batch(ids: Sequence[str]) -> list[D | None]:
                found: dict[Any, D] = {doc.id: doc for doc in await by_ids(model, list(ids))}
                return [found.get(i) for i in ids]

            self._loaders[key] = PacedDataLoader(batch, self.pacer)
        return self._loaders[key]

    def custom(
        self, name: str, batch: Callable[[list[Any]], Coroutine[Any, Any, list[Any]]]
    ) -> DataLoader[Any, Any]:
        """A loader with its own batch function, one per request under `name`."""
        key = ("custom", name)
        if key not in self._loaders:
            self._loaders[key] = PacedDataLoader(batch, self.pacer)
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

            self._loaders[key] = PacedDataLoader(batch, self.pacer)
        return self._loaders[key]
